import { describe, expect, it } from 'vitest';

import { formatBytesExact, formatSize } from './size';

describe('formatSize', () => {
  it('keeps bytes below 1 KiB exact', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1)).toBe('1 B');
    expect(formatSize(1023)).toBe('1023 B');
  });

  it('switches to binary units at 1024', () => {
    expect(formatSize(1024)).toBe('1 KiB');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(10 * 1024 + 102)).toBe('10.1 KiB');
    expect(formatSize(150 * 1024)).toBe('150 KiB');
    expect(formatSize(1024 * 1024)).toBe('1 MiB');
    expect(formatSize(25 * 1024 * 1024)).toBe('25 MiB');
    expect(formatSize(3 * 1024 ** 3)).toBe('3 GiB');
  });

  it('does not show 1024 of a unit', () => {
    expect(formatSize(1024 * 1024 - 1)).toBe('1 MiB');
    expect(formatSize(1023 * 1024)).toBe('1023 KiB');
    expect(formatSize(99.97 * 1024)).toBe('100 KiB');
  });

  it('rejects nonsense', () => {
    expect(formatSize(-1)).toBe('—');
    expect(formatSize(Number.NaN)).toBe('—');
  });

  it('formats exact byte counts', () => {
    expect(formatBytesExact(1)).toBe('1 byte');
    expect(formatBytesExact(26214400)).toBe('26,214,400 bytes');
  });
});
