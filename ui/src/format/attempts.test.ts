import { describe, expect, it } from 'vitest';

import type { DeliveryGroup, DeliverySummary } from '../api';
import { buildTimeline, describeTimeline, formatDrift, formatSinceFirst, formatSpan, mayHaveGroup } from './attempts';

const T0 = 1_717_437_600_000;

function d(id: number, receivedAt: number, over: Partial<DeliverySummary> = {}): DeliverySummary {
  return {
    id,
    receivedAt,
    method: 'POST',
    path: '/fleiko',
    query: null,
    endpointId: 3,
    endpoint: 'fleiko',
    provider: 'fleiko',
    contentType: 'application/json',
    bodySize: 10,
    bodySha256: null,
    bodyStored: true,
    responseStatus: 500,
    eventType: 'job.completed',
    eventId: 'evt_1',
    attempt: null,
    duplicateOf: null,
    signature: 'valid',
    signatureDetail: null,
    summary: null,
    viaTunnel: null,
    ...over,
  };
}

/** Fleiko's chain: 500 at once, 500 62 s later, 200 5 m 03 s after that. */
const chain: DeliveryGroup = {
  key: 'dlv_7Kq2mX_c1',
  deliveries: [
    d(10, T0, { attempt: 1 }),
    d(11, T0 + 62_000, { attempt: 2, duplicateOf: 10 }),
    d(14, T0 + 365_000, { attempt: 3, duplicateOf: 10, responseStatus: 200 }),
  ],
  attempts: [
    { deliveryId: 10, attempt: 1, receivedAt: T0, expectedAt: null, responseStatus: 500, meaning: 'will retry in 1 m (attempt 2 of 7): 500 is a server error' },
    { deliveryId: 11, attempt: 2, receivedAt: T0 + 62_000, expectedAt: T0 + 60_000, responseStatus: 500, meaning: 'will retry in 5 m (attempt 3 of 7): 500 is a server error' },
    { deliveryId: 14, attempt: 3, receivedAt: T0 + 365_000, expectedAt: T0 + 362_000, responseStatus: 200, meaning: '2xx: done' },
  ],
};

describe('buildTimeline', () => {
  it('lines attempts up against the schedule', () => {
    const t = buildTimeline(chain, 11);
    expect(t.map((e) => e.label)).toEqual(['Attempt 1', 'Attempt 2', 'Attempt 3']);
    expect(t.map((e) => e.sinceFirst)).toEqual([0, 62_000, 365_000]);
    expect(t.map((e) => e.sincePrevious)).toEqual([null, 62_000, 303_000]);
    expect(t.map((e) => e.drift)).toEqual([null, 2_000, 3_000]);
    expect(t.map((e) => e.current)).toEqual([false, true, false]);
    expect(t[2]?.meaning).toBe('2xx: done');
    expect(t[2]?.responseStatus).toBe(200);
  });

  it('sorts by arrival and labels deliveries when the provider does not count attempts', () => {
    const dupes: DeliveryGroup = {
      key: '34123:sealed',
      deliveries: [d(7, T0 + 50_000, { provider: 'flovi', duplicateOf: 5 }), d(5, T0, { provider: 'flovi' })],
      attempts: [],
    };
    const t = buildTimeline(dupes, 7);
    expect(t.map((e) => [e.deliveryId, e.label])).toEqual([
      [5, 'Delivery 1'],
      [7, 'Delivery 2'],
    ]);
    expect(t[1]?.expectedAt).toBeNull();
    expect(t[1]?.meaning).toBe('');
    expect(describeTimeline(t)).toBe('2 deliveries over 50 s');
  });

  it('summarises the group', () => {
    expect(describeTimeline(buildTimeline(chain, 10))).toBe('3 attempts over 6 m 05 s');
    expect(describeTimeline(buildTimeline({ key: null, deliveries: [d(1, T0, { attempt: 1 })], attempts: [] }, 1))).toBe('1 attempt');
    expect(describeTimeline([])).toBe('No related deliveries');
  });
});

describe('time formatting', () => {
  it('picks readable spans', () => {
    expect(formatSpan(850)).toBe('850 ms');
    expect(formatSpan(42_000)).toBe('42 s');
    expect(formatSpan(60_000)).toBe('1 m');
    expect(formatSpan(303_000)).toBe('5 m 03 s');
    expect(formatSpan(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 05 m');
    expect(formatSpan(6 * 3_600_000)).toBe('6 h');
    expect(formatSpan(27 * 3_600_000)).toBe('1 d 3 h');
    expect(formatSpan(-42_000)).toBe('42 s');
  });

  it('says how far a retry drifted from the schedule', () => {
    expect(formatDrift(400)).toBe('on time');
    expect(formatDrift(-999)).toBe('on time');
    expect(formatDrift(2_000)).toBe('2 s late');
    expect(formatDrift(-90_000)).toBe('1 m 30 s early');
  });

  it('offsets every delivery from the first', () => {
    expect(formatSinceFirst(0, true)).toBe('first');
    expect(formatSinceFirst(62_000, false)).toBe('+1 m 02 s');
  });
});

describe('mayHaveGroup', () => {
  it('asks for a group when anything ties the delivery to others', () => {
    expect(mayHaveGroup({ duplicateOf: null, attempt: null, eventId: null })).toBe(false);
    expect(mayHaveGroup({ duplicateOf: 3, attempt: null, eventId: null })).toBe(true);
    expect(mayHaveGroup({ duplicateOf: null, attempt: 1, eventId: null })).toBe(true);
    expect(mayHaveGroup({ duplicateOf: null, attempt: null, eventId: 'evt' })).toBe(true);
  });
});
