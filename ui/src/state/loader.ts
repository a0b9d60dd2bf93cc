import type { DeliveryQuery, DeliverySummary } from '../api';
import { type Filters, PAGE_SIZE, isSearchActive, matchesFilters } from './deliveries';

export interface Page {
  rows: DeliverySummary[];
  cursor: number | null;
  hasMore: boolean;
}

export type ListFn = (query: DeliveryQuery) => Promise<DeliverySummary[]>;

export function queryFor(filters: Filters, beforeId: number | null, limit: number = PAGE_SIZE): DeliveryQuery {
  return {
    search: isSearchActive(filters) ? filters.search.trim() : null,
    provider: filters.provider,
    endpointId: typeof filters.endpoint === 'number' ? filters.endpoint : null,
    method: filters.method,
    eventType: filters.eventType,
    signature: filters.signature,
    unrouted: filters.endpoint === 'other',
    beforeId,
    limit,
  };
}

/** The next page of rows matching `filters`, older than `beforeId` (null = newest). */
export async function fetchPage(
  list: ListFn,
  filters: Filters,
  beforeId: number | null,
  limit: number = PAGE_SIZE,
): Promise<Page> {
  const page = await list(queryFor(filters, beforeId, limit));
  const rows = page.filter((d) => matchesFilters(d, filters));
  const cursor = page.reduce<number | null>((min, d) => (min === null || d.id < min ? d.id : min), beforeId);
  return { rows, cursor, hasMore: page.length >= limit };
}
