import { describe, expect, it } from 'vitest';

import { formatDateTime, formatLatency, formatTime } from './time';

describe('formatTime', () => {
  it('is HH:MM:SS.mmm in local time, zero padded', () => {
    const t = new Date(2025, 0, 2, 3, 4, 5, 6).getTime();
    expect(formatTime(t)).toBe('03:04:05.006');
  });

  it('uses a 24-hour clock', () => {
    expect(formatTime(new Date(2025, 10, 22, 23, 59, 58, 999).getTime())).toBe('23:59:58.999');
  });

  it('formats full local date-times', () => {
    expect(formatDateTime(new Date(2025, 10, 2, 14, 7, 9, 120).getTime())).toBe('2025-11-02 14:07:09.120');
  });
});

describe('formatLatency', () => {
  it('picks a readable unit', () => {
    expect(formatLatency(850)).toBe('850 µs');
    expect(formatLatency(12_345)).toBe('12.3 ms');
    expect(formatLatency(250_000)).toBe('250 ms');
    expect(formatLatency(1_200_000)).toBe('1.20 s');
  });
});
