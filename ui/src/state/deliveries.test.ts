import { describe, expect, it } from 'vitest';

import type { DeliverySummary } from '../api';
import {
  type Action,
  MAX_RELOAD_ROWS,
  MAX_ROWS,
  PAGE_SIZE,
  hasToolbarFilters,
  type State,
  indexOfId,
  initialState,
  matchesFilters,
  mergeNewestFirst,
  reducer,
  totalCount,
} from './deliveries';

function d(id: number, over: Partial<DeliverySummary> = {}): DeliverySummary {
  return {
    id,
    receivedAt: 1_700_000_000_000 + id,
    method: 'POST',
    path: '/fleiko',
    query: null,
    endpointId: 3,
    endpoint: 'fleiko',
    provider: 'fleiko',
    contentType: 'application/json',
    bodySize: 20,
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
    ...over,
  };
}

const ids = (s: State) => s.rows.map((r) => r.id);
const run = (state: State, ...actions: Action[]) => actions.reduce(reducer, state);

/** A state with the first query loaded: rows newest first. */
function loaded(rows: DeliverySummary[], over: Partial<State> = {}): State {
  const s = run(initialState, { type: 'loaded', gen: initialState.queryGen, rows, cursor: rows.at(-1)?.id ?? null, hasMore: false, append: false });
  return { ...s, ...over };
}

describe('mergeNewestFirst', () => {
  it('prepends newer rows, newest first, whatever the batch order', () => {
    const { rows, inserted } = mergeNewestFirst([d(3), d(2), d(1)], [d(4), d(6), d(5)]);
    expect(rows.map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(inserted).toBe(3);
  });

  it('drops ids already present and repeats inside the batch', () => {
    const { rows, inserted } = mergeNewestFirst([d(3), d(2)], [d(3), d(4), d(4)]);
    expect(rows.map((r) => r.id)).toEqual([4, 3, 2]);
    expect(inserted).toBe(1);
  });

  it('merges rows older than the head into place', () => {
    const { rows } = mergeNewestFirst([d(9), d(5), d(1)], [d(7), d(3), d(10)]);
    expect(rows.map((r) => r.id)).toEqual([10, 9, 7, 5, 3, 1]);
  });

  it('returns the same array when nothing is new', () => {
    const base = [d(2), d(1)];
    expect(mergeNewestFirst(base, [d(1)]).rows).toBe(base);
  });
});

describe('indexOfId', () => {
  it('binary-searches descending ids', () => {
    const rows = [d(50), d(40), d(30), d(20), d(10)];
    expect(indexOfId(rows, 50)).toBe(0);
    expect(indexOfId(rows, 20)).toBe(3);
    expect(indexOfId(rows, 10)).toBe(4);
    expect(indexOfId(rows, 35)).toBe(-1);
    expect(indexOfId([], 1)).toBe(-1);
  });
});

describe('matchesFilters', () => {
  const f = initialState.filters;
  it('applies endpoint, other-paths and method filters', () => {
    expect(matchesFilters(d(1), f)).toBe(true);
    expect(matchesFilters(d(1), { ...f, endpoint: 3 })).toBe(true);
    expect(matchesFilters(d(1), { ...f, endpoint: 1 })).toBe(false);
    expect(matchesFilters(d(1), { ...f, endpoint: 'other' })).toBe(false);
    expect(matchesFilters(d(1, { endpointId: null }), { ...f, endpoint: 'other' })).toBe(true);
    expect(matchesFilters(d(1), { ...f, method: 'GET' })).toBe(false);
    expect(matchesFilters(d(1, { method: 'get' }), { ...f, method: 'GET' })).toBe(true);
  });

  it('applies provider, event type and signature filters', () => {
    const sealed = d(1, { provider: 'flovi', eventType: 'reservation_status_change.sealed', signature: 'valid' });
    expect(matchesFilters(sealed, { ...f, provider: 'flovi' })).toBe(true);
    expect(matchesFilters(sealed, { ...f, provider: 'fleiko' })).toBe(false);
    expect(matchesFilters(d(2, { provider: null }), { ...f, provider: 'flovi' })).toBe(false);
    // Detection may report the provider in another case; the filter is by id.
    expect(matchesFilters(d(3, { provider: 'Flovi' }), { ...f, provider: 'flovi' })).toBe(true);
    expect(matchesFilters(sealed, { ...f, eventType: 'reservation_status_change.sealed' })).toBe(true);
    expect(matchesFilters(sealed, { ...f, eventType: 'reservation_status_change.taken' })).toBe(false);
    expect(matchesFilters(d(4), { ...f, eventType: 'job.completed' })).toBe(false);
    expect(matchesFilters(sealed, { ...f, signature: 'valid' })).toBe(true);
    expect(matchesFilters(sealed, { ...f, signature: 'invalid' })).toBe(false);
    // No provider means no signature status at all: it matches no signature filter.
    expect(matchesFilters(d(5, { signature: null }), { ...f, signature: 'unsigned' })).toBe(false);
    expect(matchesFilters(sealed, { ...f, provider: 'flovi', eventType: 'reservation_status_change.sealed', signature: 'valid', method: 'POST' })).toBe(true);
  });
});

describe('toolbar filters', () => {
  it('each start a new query and clear together', () => {
    let s = loaded([d(1)]);
    const gen = s.queryGen;
    s = run(
      s,
      { type: 'setProviderFilter', provider: 'fleiko' },
      { type: 'setEventTypeFilter', eventType: 'job.completed' },
      { type: 'setSignatureFilter', signature: 'invalid' },
    );
    expect(s.queryGen).toBe(gen + 3);
    expect(s.request).toEqual({ gen: s.queryGen, limit: PAGE_SIZE, keepPosition: false });
    expect(s.filters).toMatchObject({ provider: 'fleiko', eventType: 'job.completed', signature: 'invalid' });
    expect(hasToolbarFilters(s.filters)).toBe(true);
    // Setting the same value again is not a new query.
    expect(reducer(s, { type: 'setSignatureFilter', signature: 'invalid' })).toBe(s);
    s = reducer(s, { type: 'clearFilters' });
    expect(s.filters).toMatchObject({ method: null, provider: null, eventType: null, signature: null });
    expect(hasToolbarFilters(s.filters)).toBe(false);
    expect(reducer(s, { type: 'clearFilters' })).toBe(s);
  });

  it('apply to live batches client-side', () => {
    let s = run(initialState, { type: 'setProviderFilter', provider: 'fleiko' }, { type: 'setSignatureFilter', signature: 'invalid' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [], cursor: null, hasMore: false, append: false });
    s = reducer(s, {
      type: 'batch',
      items: [
        d(1, { provider: 'fleiko', signature: 'invalid' }),
        d(2, { provider: 'fleiko', signature: 'valid' }),
        d(3, { provider: 'flovi', signature: 'invalid' }),
        d(4, { provider: null, signature: null }),
      ],
    });
    expect(ids(s)).toEqual([1]);
    s = reducer(s, { type: 'setEventTypeFilter', eventType: 'job.completed' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [], cursor: null, hasMore: false, append: false });
    s = reducer(s, {
      type: 'batch',
      items: [d(5, { provider: 'fleiko', signature: 'invalid', eventType: 'job.completed' }), d(6, { provider: 'fleiko', signature: 'invalid', eventType: 'test.ping' })],
    });
    expect(ids(s)).toEqual([5]);
  });
});

describe('resync', () => {
  it('reloads the rows on screen in place, keeping the scroll anchor generation', () => {
    const many = Array.from({ length: 450 }, (_, i) => d(450 - i, { signature: 'unchecked' }));
    let s = loaded(many);
    const loadedGen = s.loadedGen;
    const resyncGen = s.resyncGen;
    s = reducer(s, { type: 'select', id: 400 });
    s = reducer(s, { type: 'resync' });
    expect(s.loading).toBe('refresh');
    expect(s.request).toEqual({ gen: s.queryGen, limit: 450, keepPosition: true });
    expect(s.resyncGen).toBe(resyncGen + 1);
    expect(ids(s)).toHaveLength(450); // the old rows stay on screen meanwhile
    const fresh = many.map((r) => ({ ...r, signature: 'valid' as const }));
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: fresh, cursor: 1, hasMore: false, append: false, keepPosition: true });
    expect(s.loading).toBe('idle');
    expect(s.loadedGen).toBe(loadedGen);
    expect(s.rows.every((r) => r.signature === 'valid')).toBe(true);
    expect(s.selectedId).toBe(400);
  });

  it('asks for at least a page and at most MAX_RELOAD_ROWS', () => {
    expect(reducer(loaded([d(2), d(1)]), { type: 'resync' }).request.limit).toBe(PAGE_SIZE);
    const huge = Array.from({ length: MAX_RELOAD_ROWS + 500 }, (_, i) => d(MAX_RELOAD_ROWS + 500 - i));
    expect(reducer(loaded(huge), { type: 'resync' }).request.limit).toBe(MAX_RELOAD_ROWS);
  });

  it('drops rows that no longer match the filters after re-verification', () => {
    let s = reducer(initialState, { type: 'setSignatureFilter', signature: 'unchecked' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(3, { signature: 'unchecked' }), d(2, { signature: 'unchecked' })], cursor: 2, hasMore: false, append: false });
    s = reducer(s, { type: 'resync' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(2, { signature: 'unchecked' })], cursor: 2, hasMore: false, append: false, keepPosition: true });
    expect(ids(s)).toEqual([2]);
  });

  it('keeps live deliveries that arrive during the reload', () => {
    let s = loaded([d(2), d(1)]);
    s = reducer(s, { type: 'resync' });
    s = reducer(s, { type: 'batch', items: [d(3)] });
    expect(ids(s)).toEqual([2, 1]);
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(2), d(1)], cursor: 1, hasMore: false, append: false, keepPosition: true });
    expect(ids(s)).toEqual([3, 2, 1]);
  });

  it('drops the answer of the query it superseded and restarts a fresh query in flight', () => {
    let s = loaded([d(2), d(1)]);
    const before = s.queryGen;
    s = reducer(s, { type: 'resync' });
    expect(reducer(s, { type: 'loaded', gen: before, rows: [], cursor: null, hasMore: false, append: false })).toBe(s);
    // A filter change is loading: the resync restarts that query rather than keeping old rows.
    s = reducer(loaded([d(1)]), { type: 'setMethodFilter', method: 'GET' });
    s = reducer(s, { type: 'resync' });
    expect(s.loading).toBe('initial');
    expect(s.request.keepPosition).toBe(false);
  });
});

describe('settings dialog target', () => {
  it('opens and closes', () => {
    let s = reducer(initialState, { type: 'openSettings', target: { kind: 'edit', id: 3 } });
    expect(s.settings).toEqual({ kind: 'edit', id: 3 });
    s = reducer(s, { type: 'closeSettings' });
    expect(s.settings).toBeNull();
    expect(reducer(s, { type: 'closeSettings' })).toBe(s);
  });
});

describe('live batches', () => {
  it('insert new deliveries newest first and dedupe by id', () => {
    let s = loaded([d(2), d(1)]);
    s = reducer(s, { type: 'batch', items: [d(3), d(4)] });
    expect(ids(s)).toEqual([4, 3, 2, 1]);
    s = reducer(s, { type: 'batch', items: [d(4), d(5), d(5)] });
    expect(ids(s)).toEqual([5, 4, 3, 2, 1]);
  });

  it('update the answer of a delivery announced again, counting it once', () => {
    let s = loaded([d(1)]);
    s = reducer(s, { type: 'batch', items: [d(2, { responseStatus: 200 })] });
    const counts = s.counts;
    s = reducer(s, { type: 'batch', items: [d(2, { responseStatus: 502 })] });
    expect(s.rows.map((r) => [r.id, r.responseStatus])).toEqual([
      [2, 502],
      [1, 200],
    ]);
    expect(s.counts).toEqual(counts);
    // Both announcements in one batch: the later one wins.
    s = reducer(s, { type: 'batch', items: [d(3, { responseStatus: 200 }), d(3, { responseStatus: 201 })] });
    expect(s.rows[0]).toMatchObject({ id: 3, responseStatus: 201 });
  });

  it('never change the selection', () => {
    let s = loaded([d(2), d(1)]);
    s = reducer(s, { type: 'select', id: 1 });
    s = reducer(s, { type: 'batch', items: [d(3), d(4)] });
    expect(s.selectedId).toBe(1);
    expect(s.rows[indexOfId(s.rows, 1)]?.id).toBe(1);
  });

  it('respect the endpoint and method filters', () => {
    let s = run(initialState, { type: 'setEndpointFilter', endpoint: 3 }, { type: 'setMethodFilter', method: 'POST' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(1)], cursor: 1, hasMore: false, append: false });
    s = reducer(s, {
      type: 'batch',
      items: [d(2), d(3, { endpointId: 1, endpoint: 'flovi' }), d(4, { method: 'GET' }), d(5, { endpointId: null })],
    });
    expect(ids(s)).toEqual([2, 1]);
  });

  it('respect the other-paths filter', () => {
    let s = reducer(initialState, { type: 'setEndpointFilter', endpoint: 'other' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [], cursor: null, hasMore: false, append: false });
    s = reducer(s, { type: 'batch', items: [d(1), d(2, { endpointId: null, endpoint: null })] });
    expect(ids(s)).toEqual([2]);
  });

  it('are held back while a search is active and counted for the pill instead', () => {
    let s = reducer(loaded([d(1)]), { type: 'setSearch', search: 'ping' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(1)], cursor: 1, hasMore: false, append: false });
    s = reducer(s, { type: 'batch', items: [d(2), d(3), d(4, { method: 'GET' })] });
    expect(ids(s)).toEqual([1]);
    expect(s.newUnsearched).toBe(3);
    // The same ids again do not inflate the pill.
    s = reducer(s, { type: 'batch', items: [d(2)] });
    expect(s.newUnsearched).toBe(3);
    // Filters still apply to what the pill counts.
    s = reducer(s, { type: 'setMethodFilter', method: 'GET' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [], cursor: null, hasMore: false, append: false });
    s = reducer(s, { type: 'batch', items: [d(5), d(6, { method: 'GET' })] });
    expect(s.newUnsearched).toBe(1);
    // Re-running clears it.
    s = reducer(s, { type: 'rerunQuery' });
    expect(s.newUnsearched).toBe(0);
  });

  it('count rows added above the viewport only while scrolled away', () => {
    let s = loaded([d(2), d(1)]);
    s = reducer(s, { type: 'batch', items: [d(3)] });
    expect(s.newAbove).toBe(0);
    s = reducer(s, { type: 'setScrolledAway', away: true });
    s = reducer(s, { type: 'batch', items: [d(4), d(5)] });
    s = reducer(s, { type: 'batch', items: [d(6)] });
    expect(s.newAbove).toBe(3);
    expect(ids(s)).toEqual([6, 5, 4, 3, 2, 1]);
    s = reducer(s, { type: 'setScrolledAway', away: false });
    expect(s.newAbove).toBe(0);
  });

  it('update counts once per delivery, whatever the filters', () => {
    let s = run(initialState, { type: 'counts', counts: [{ endpointId: 3, count: 10 }, { endpointId: null, count: 2 }] });
    s = reducer(s, { type: 'setEndpointFilter', endpoint: 1 });
    s = reducer(s, { type: 'batch', items: [d(100), d(101, { endpointId: null }), d(102, { endpointId: 1 })] });
    s = reducer(s, { type: 'batch', items: [d(100)] });
    expect(s.counts).toEqual({ '3': 11, other: 3, '1': 1 });
    expect(totalCount(s.counts)).toBe(15);
  });

  it('that arrive while a new query is in flight survive its response', () => {
    let s = loaded([d(1)]);
    s = reducer(s, { type: 'setMethodFilter', method: 'POST' });
    s = reducer(s, { type: 'batch', items: [d(5), d(6, { method: 'GET' })] });
    expect(ids(s)).toEqual([1]); // old rows untouched until the response
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(4), d(1)], cursor: 1, hasMore: false, append: false });
    expect(ids(s)).toEqual([5, 4, 1]);
  });

  it('trim the oldest rows past the cap only when the user is at the top', () => {
    const many = Array.from({ length: MAX_ROWS }, (_, i) => d(MAX_ROWS - i));
    let s = loaded(many);
    s = reducer(s, { type: 'batch', items: [d(MAX_ROWS + 1), d(MAX_ROWS + 2)] });
    expect(s.rows).toHaveLength(MAX_ROWS);
    expect(s.rows[0]?.id).toBe(MAX_ROWS + 2);
    expect(s.hasMore).toBe(true);
    expect(s.cursor).toBe(3);
    s = reducer(s, { type: 'setScrolledAway', away: true });
    s = reducer(s, { type: 'batch', items: [d(MAX_ROWS + 3)] });
    expect(s.rows).toHaveLength(MAX_ROWS + 1);
  });
});

describe('queries', () => {
  it('ignore responses from superseded queries', () => {
    const s0 = loaded([d(1)]);
    const oldGen = s0.queryGen;
    const s1 = reducer(s0, { type: 'setEndpointFilter', endpoint: 1 });
    const s2 = reducer(s1, { type: 'loaded', gen: oldGen, rows: [d(9)], cursor: 9, hasMore: false, append: false });
    expect(s2).toBe(s1);
  });

  it('append older pages in order', () => {
    let s = loaded([d(10), d(9)], { hasMore: true, cursor: 9 });
    s = reducer(s, { type: 'loadMoreStarted', gen: s.queryGen });
    expect(s.loading).toBe('more');
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [d(8), d(7)], cursor: 7, hasMore: false, append: true });
    expect(ids(s)).toEqual([10, 9, 8, 7]);
    expect(s.cursor).toBe(7);
    expect(s.hasMore).toBe(false);
    expect(s.loading).toBe('idle');
  });

  it('bump the load generation so the list returns to the top', () => {
    const s0 = loaded([d(1)]);
    let s = reducer(s0, { type: 'setSearch', search: 'x' });
    s = reducer(s, { type: 'loaded', gen: s.queryGen, rows: [], cursor: null, hasMore: false, append: false });
    expect(s.loadedGen).toBeGreaterThan(s0.loadedGen);
  });

  it('clear the search box and query together', () => {
    let s = run(initialState, { type: 'setSearchInput', text: 'ping' }, { type: 'setSearch', search: 'ping' });
    const gen = s.queryGen;
    s = reducer(s, { type: 'clearSearch' });
    expect(s.searchInput).toBe('');
    expect(s.filters.search).toBe('');
    expect(s.queryGen).toBe(gen + 1);
  });
});

describe('keyboard selection', () => {
  it('reveals a selection made outside the list', () => {
    const s = loaded([d(3), d(2), d(1)]);
    const next = reducer(s, { type: 'select', id: 1, reveal: true });
    expect(next.selectedId).toBe(1);
    expect(next.selectionNudge).toBe(s.selectionNudge + 1);
  });

  it('moves within bounds and starts at the top', () => {
    let s = loaded([d(3), d(2), d(1)]);
    s = reducer(s, { type: 'moveSelection', delta: 1 });
    expect(s.selectedId).toBe(3);
    s = run(s, { type: 'moveSelection', delta: 1 }, { type: 'moveSelection', delta: 1 }, { type: 'moveSelection', delta: 1 });
    expect(s.selectedId).toBe(1);
    s = reducer(s, { type: 'moveSelection', delta: -1 });
    expect(s.selectedId).toBe(2);
    s = run(s, { type: 'moveSelection', delta: -1 }, { type: 'moveSelection', delta: -1 });
    expect(s.selectedId).toBe(3);
  });

  it('keeps following the same delivery after rows are prepended', () => {
    let s = loaded([d(3), d(2), d(1)]);
    s = run(s, { type: 'select', id: 2 }, { type: 'batch', items: [d(4), d(5)] }, { type: 'moveSelection', delta: 1 });
    expect(s.selectedId).toBe(1);
  });
});

describe('marks for bulk actions', () => {
  const rows = [d(50), d(40), d(30), d(20), d(10)];

  it('toggles one delivery and keeps them oldest first', () => {
    const s = run(loaded(rows), { type: 'mark', id: 30 }, { type: 'mark', id: 50 }, { type: 'mark', id: 10 });
    expect(s.marked).toEqual([10, 30, 50]);
    expect(run(s, { type: 'mark', id: 30 }).marked).toEqual([10, 50]);
    expect(s.selectedId).toBeNull();
  });

  it('marks a range from the selection, in either direction', () => {
    const down = run(loaded(rows), { type: 'select', id: 40 }, { type: 'mark', id: 20, range: true });
    expect(down.marked).toEqual([20, 30, 40]);
    const up = run(loaded(rows), { type: 'select', id: 10 }, { type: 'mark', id: 30, range: true });
    expect(up.marked).toEqual([10, 20, 30]);
    // Adds to what is already marked.
    expect(run(up, { type: 'mark', id: 50 }).marked).toEqual([10, 20, 30, 50]);
  });

  it('marks only the clicked row when nothing is selected, and clears', () => {
    const s = run(loaded(rows), { type: 'mark', id: 20, range: true });
    expect(s.marked).toEqual([20]);
    expect(run(s, { type: 'clearMarks' }).marked).toEqual([]);
  });
});

describe('a refused access token', () => {
  it('leaves the list blank, without an error of its own, until a load succeeds', () => {
    const gen = initialState.queryGen;
    const locked = reducer(initialState, { type: 'loadFailed', gen, message: 'no valid access token', locked: true });
    expect(locked.error).toBeNull();
    expect(locked.locked).toBe(true);
    const failed = reducer(initialState, { type: 'loadFailed', gen, message: 'database is locked' });
    expect(failed.error).toBe('database is locked');
    expect(failed.locked).toBe(false);
    const loaded = reducer(locked, { type: 'loaded', gen, append: false, keepPosition: false, rows: [d(1)], cursor: 1, hasMore: false });
    expect(loaded.locked).toBe(false);
    expect(loaded.rows.map((r) => r.id)).toEqual([1]);
  });
});
