import { describe, expect, it } from 'vitest';

import type { DeliveryQuery, DeliverySummary } from '../api';
import { type Filters, PAGE_SIZE, initialFilters } from './deliveries';
import { fetchPage, queryFor } from './loader';

function d(id: number, endpointId: number | null): DeliverySummary {
  return {
    id,
    receivedAt: id,
    method: 'POST',
    path: '/x',
    query: null,
    endpointId,
    endpoint: null,
    provider: null,
    contentType: null,
    bodySize: 0,
    bodySha256: null,
    bodyStored: true,
    responseStatus: 200,
    eventType: null,
    eventId: null,
    attempt: null,
    duplicateOf: null,
    signature: null,
    signatureDetail: null,
    summary: null,
    viaTunnel: null,
  };
}

/** A fake list_deliveries over ids n..1, honouring beforeId, endpointId, unrouted and limit. */
function fakeServer(all: DeliverySummary[]) {
  const calls: DeliveryQuery[] = [];
  const list = (q: DeliveryQuery) => {
    calls.push(q);
    const rows = all
      .filter((r) => (q.beforeId === null || r.id < q.beforeId) && (q.endpointId === null || r.endpointId === q.endpointId) && (!q.unrouted || r.endpointId === null))
      .slice(0, q.limit ?? 200);
    return Promise.resolve(rows);
  };
  return { list, calls };
}

describe('queryFor', () => {
  it('maps filters onto the command query', () => {
    const f: Filters = { ...initialFilters, endpoint: 2, method: 'POST', search: '  ping ' };
    expect(queryFor(f, 42)).toEqual({
      search: 'ping',
      provider: null,
      endpointId: 2,
      method: 'POST',
      eventType: null,
      signature: null,
      unrouted: false,
      beforeId: 42,
      limit: PAGE_SIZE,
    });
    expect(queryFor({ ...initialFilters, endpoint: 'other' }, null)).toMatchObject({ endpointId: null, unrouted: true, search: null });
  });

  it('sends provider, event type and signature to the backend', () => {
    const f: Filters = { ...initialFilters, provider: 'fleiko', eventType: 'job.completed', signature: 'invalid' };
    expect(queryFor(f, null, 500)).toMatchObject({ provider: 'fleiko', eventType: 'job.completed', signature: 'invalid', limit: 500 });
  });
});

describe('fetchPage', () => {
  it('reloads with a larger limit and reports more only when that limit was filled', async () => {
    const all = Array.from({ length: 700 }, (_, i) => d(700 - i, 1));
    const { list, calls } = fakeServer(all);
    const page = await fetchPage(list, initialFilters, null, 650);
    expect(calls[0]?.limit).toBe(650);
    expect(page.rows).toHaveLength(650);
    expect(page.hasMore).toBe(true);
    expect(page.cursor).toBe(51);
  });

  it('filters out rows the backend returned that the client filters reject', async () => {
    const all = [
      { ...d(3, 1), signature: 'valid' as const },
      { ...d(2, 1), signature: 'invalid' as const },
    ];
    const { list } = fakeServer(all);
    const page = await fetchPage(list, { ...initialFilters, signature: 'invalid' }, null);
    expect(page.rows.map((r) => r.id)).toEqual([2]);
  });

  it('pages with beforeId = smallest id returned', async () => {
    const all = Array.from({ length: PAGE_SIZE + 50 }, (_, i) => d(PAGE_SIZE + 50 - i, 1));
    const { list } = fakeServer(all);
    const first = await fetchPage(list, initialFilters, null);
    expect(first.rows).toHaveLength(PAGE_SIZE);
    expect(first.hasMore).toBe(true);
    expect(first.cursor).toBe(51);
    const second = await fetchPage(list, initialFilters, first.cursor);
    expect(second.rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
    expect(second.hasMore).toBe(false);
  });

  it('asks the backend for unrouted deliveries under "Other paths"', async () => {
    // 1000 deliveries, every 100th has no endpoint.
    const all = Array.from({ length: 1000 }, (_, i) => d(1000 - i, (1000 - i) % 100 === 0 ? null : 1));
    const { list, calls } = fakeServer(all);
    const page = await fetchPage(list, { ...initialFilters, endpoint: 'other' }, null);
    expect(page.rows.map((r) => r.id)).toEqual([1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]);
    expect(page.hasMore).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ endpointId: null, unrouted: true });
  });
});
