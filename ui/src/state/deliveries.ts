import type { DeliverySummary, Endpoint, EndpointCount, ProviderId, ServerInfo, SignatureStatus } from '../api';

/** Sidebar selection: every delivery, one endpoint, or paths that matched no endpoint. */
export type EndpointFilter = 'all' | 'other' | number;

export interface Filters {
  endpoint: EndpointFilter;
  method: string | null;
  provider: ProviderId | null;
  eventType: string | null;
  signature: SignatureStatus | null;
  search: string;
}

/** The settings dialog: an existing endpoint, or a new one (optionally prefilled). */
export type SettingsTarget =
  | { kind: 'edit'; id: number }
  | { kind: 'new'; provider: ProviderId | null; pathPrefix: string };

/** The next list query the store should run. A new object means "run it". */
export interface ListRequest {
  gen: number;
  limit: number;
  /** A resync reload: replace the rows in place and keep the scroll position. */
  keepPosition: boolean;
}

export const PAGE_SIZE = 200;
/** A resync reloads what is on screen, up to this many rows (the rest come back by scrolling). */
export const MAX_RELOAD_ROWS = 2000;
/** Rows kept in memory; older ones are dropped (and re-fetched by infinite scroll) when at top. */
export const MAX_ROWS = 20_000;
/** Ids remembered for counting each live delivery once. */
const MAX_COUNTED_IDS = 4096;

export const OTHER_KEY = 'other';
export type CountKey = string;
export const countKey = (endpointId: number | null): CountKey =>
  endpointId === null ? OTHER_KEY : String(endpointId);

export interface State {
  serverInfo: ServerInfo | null;
  endpoints: Endpoint[];
  counts: Record<CountKey, number>;
  countsLoaded: boolean;
  countedIds: readonly number[];

  filters: Filters;
  /** What is typed in the search box; becomes `filters.search` after a short pause. */
  searchInput: string;
  /** Bumped on every filter change (and search re-run); stale responses are dropped. */
  queryGen: number;
  request: ListRequest;
  /** Bumped on `deliveries:resync`: the open detail and its group reload. */
  resyncGen: number;
  /** Gen of the rows on screen; the list scrolls to top when it changes. */
  loadedGen: number;
  /** Newest first; every row matches `filters`. */
  rows: DeliverySummary[];
  /** Smallest id the server returned for this query: the `beforeId` of the next page. */
  cursor: number | null;
  hasMore: boolean;
  /** 'refresh': a resync reload with the old rows still on screen. */
  loading: 'idle' | 'initial' | 'more' | 'refresh';
  error: string | null;
  /** The backend refused access (the browser's token): the access banner speaks, the list stays blank. */
  locked: boolean;
  /** Live rows that arrived while a fresh query was in flight. */
  liveWhileLoading: DeliverySummary[];

  selectedId: number | null;
  /** Bumped when the keyboard moves the selection, so the list scrolls it into view. */
  selectionNudge: number;
  /**
   * Deliveries marked for a bulk action (replay in order, export), oldest first: the order
   * they arrived in, which is the order a replay sends them. Independent of the selection.
   */
  marked: number[];

  /** The user has scrolled away from the top: new rows are counted in `newAbove`. */
  scrolledAway: boolean;
  newAbove: number;
  /** Live deliveries not inserted because a search is active (the search must re-run). */
  newUnsearched: number;

  settings: SettingsTarget | null;
}

export const initialFilters: Filters = {
  endpoint: 'all',
  method: null,
  provider: null,
  eventType: null,
  signature: null,
  search: '',
};

export const initialState: State = {
  serverInfo: null,
  endpoints: [],
  counts: {},
  countsLoaded: false,
  countedIds: [],
  filters: initialFilters,
  searchInput: '',
  queryGen: 1,
  request: { gen: 1, limit: PAGE_SIZE, keepPosition: false },
  resyncGen: 0,
  loadedGen: 0,
  rows: [],
  cursor: null,
  hasMore: false,
  loading: 'initial',
  error: null,
  locked: false,
  liveWhileLoading: [],
  selectedId: null,
  selectionNudge: 0,
  marked: [],
  scrolledAway: false,
  newAbove: 0,
  newUnsearched: 0,
  settings: null,
};

export type Action =
  | { type: 'serverInfo'; info: ServerInfo }
  | { type: 'endpoints'; endpoints: Endpoint[] }
  | { type: 'counts'; counts: EndpointCount[] }
  | { type: 'setEndpointFilter'; endpoint: EndpointFilter }
  | { type: 'setMethodFilter'; method: string | null }
  | { type: 'setProviderFilter'; provider: ProviderId | null }
  | { type: 'setEventTypeFilter'; eventType: string | null }
  | { type: 'setSignatureFilter'; signature: SignatureStatus | null }
  | { type: 'clearFilters' }
  | { type: 'resync' }
  | { type: 'openSettings'; target: SettingsTarget }
  | { type: 'closeSettings' }
  | { type: 'setSearchInput'; text: string }
  | { type: 'setSearch'; search: string }
  | { type: 'clearSearch' }
  | { type: 'rerunQuery' }
  | { type: 'loadMoreStarted'; gen: number }
  | {
      type: 'loaded';
      gen: number;
      rows: DeliverySummary[];
      cursor: number | null;
      hasMore: boolean;
      append: boolean;
      /** A resync reload: replace rows without scrolling back to the top. */
      keepPosition?: boolean;
    }
  | { type: 'loadFailed'; gen: number; message: string; locked?: boolean }
  | { type: 'batch'; items: DeliverySummary[] }
  /** `reveal` scrolls the list to the row (for selections made outside the list). */
  | { type: 'select'; id: number | null; reveal?: boolean }
  | { type: 'moveSelection'; delta: number }
  /** Toggle one delivery's mark; with `range`, mark every row from the selection to it. */
  | { type: 'mark'; id: number; range?: boolean }
  | { type: 'markSelected' }
  | { type: 'clearMarks' }
  | { type: 'setScrolledAway'; away: boolean };

export const isSearchActive = (f: Filters): boolean => f.search.trim() !== '';

/** Any filter besides the sidebar's endpoint and the search box. */
export const hasToolbarFilters = (f: Filters): boolean =>
  f.method !== null || f.provider !== null || f.eventType !== null || f.signature !== null;

/** The filters the client can check itself (search is the server's job). */
export function matchesFilters(d: DeliverySummary, f: Filters): boolean {
  if (f.endpoint === 'other' && d.endpointId !== null) return false;
  if (typeof f.endpoint === 'number' && d.endpointId !== f.endpoint) return false;
  if (f.method !== null && d.method.toUpperCase() !== f.method.toUpperCase()) return false;
  if (f.provider !== null && (d.provider ?? '').toLowerCase() !== f.provider) return false;
  if (f.eventType !== null && d.eventType !== f.eventType) return false;
  if (f.signature !== null && d.signature !== f.signature) return false;
  return true;
}

/** Index of `id` in rows sorted by id descending, or -1. */
/**
 * The marks after a ctrl/cmd-click (toggle `id`) or a shift-click (add every loaded row between
 * the selected one and `id`, both included; `id` alone when nothing is selected).
 */
export function markRows(state: Pick<State, 'rows' | 'selectedId' | 'marked'>, id: number, range: boolean): number[] {
  const marked = new Set(state.marked);
  if (range) {
    const to = indexOfId(state.rows, id);
    const from = state.selectedId === null ? -1 : indexOfId(state.rows, state.selectedId);
    if (to === -1 || from === -1) {
      marked.add(id);
    } else {
      for (let i = Math.min(from, to); i <= Math.max(from, to); i++) marked.add((state.rows[i] as DeliverySummary).id);
    }
  } else if (marked.has(id)) {
    marked.delete(id);
  } else {
    marked.add(id);
  }
  return [...marked].sort((a, b) => a - b);
}

export function indexOfId(rows: readonly DeliverySummary[], id: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const midId = (rows[mid] as DeliverySummary).id;
    if (midId === id) return mid;
    if (midId > id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Merge `incoming` (any order, may repeat) into newest-first `rows`, dropping ids already present. */
export function mergeNewestFirst(
  rows: readonly DeliverySummary[],
  incoming: readonly DeliverySummary[],
): { rows: DeliverySummary[]; inserted: number } {
  const seen = new Set<number>();
  const fresh: DeliverySummary[] = [];
  for (const d of incoming) {
    if (seen.has(d.id) || indexOfId(rows, d.id) !== -1) continue;
    seen.add(d.id);
    fresh.push(d);
  }
  if (fresh.length === 0) return { rows: rows as DeliverySummary[], inserted: 0 };
  fresh.sort((a, b) => b.id - a.id);
  const head = rows[0];
  const lastFresh = fresh[fresh.length - 1] as DeliverySummary;
  // The usual case: everything new is newer than what we hold.
  if (!head || lastFresh.id > head.id) return { rows: [...fresh, ...rows], inserted: fresh.length };
  const merged: DeliverySummary[] = [];
  let i = 0;
  let j = 0;
  while (i < fresh.length || j < rows.length) {
    const a = fresh[i];
    const b = rows[j];
    if (a && (!b || a.id > b.id)) {
      merged.push(a);
      i++;
    } else if (b) {
      merged.push(b);
      j++;
    }
  }
  return { rows: merged, inserted: fresh.length };
}

function countsFrom(list: readonly EndpointCount[]): Record<CountKey, number> {
  const out: Record<CountKey, number> = {};
  for (const c of list) out[countKey(c.endpointId)] = (out[countKey(c.endpointId)] ?? 0) + c.count;
  return out;
}

export function totalCount(counts: Record<CountKey, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function withFilters(state: State, filters: Filters): State {
  const gen = state.queryGen + 1;
  return {
    ...state,
    filters,
    queryGen: gen,
    request: { gen, limit: PAGE_SIZE, keepPosition: false },
    loading: 'initial',
    error: null,
    liveWhileLoading: [],
    newAbove: 0,
    newUnsearched: 0,
  };
}

function applyBatch(state: State, batch: readonly DeliverySummary[]): State {
  if (batch.length === 0) return state;
  // A delivery may be announced again with the answer it finally got (a proxied forward's
  // status): the latest announcement wins, and rows already shown take its status.
  const latest = new Map<number, DeliverySummary>();
  for (const d of batch) latest.set(d.id, d);
  const items = [...latest.values()];
  const counted = new Set(state.countedIds);
  const repeats = items.filter((d) => counted.has(d.id));
  if (repeats.length > 0) state = { ...state, rows: withAnswers(state.rows, repeats) };
  // Counts: each id once, whatever the filters.
  let counts = state.counts;
  const countedIds = [...state.countedIds];
  const fresh: DeliverySummary[] = [];
  for (const d of items) {
    if (counted.has(d.id)) continue;
    counted.add(d.id);
    countedIds.push(d.id);
    fresh.push(d);
    if (counts === state.counts) counts = { ...counts };
    const key = countKey(d.endpointId);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const next: State = {
    ...state,
    counts,
    countedIds: countedIds.length > MAX_COUNTED_IDS ? countedIds.slice(-MAX_COUNTED_IDS) : countedIds,
  };

  const matching = fresh.filter((d) => matchesFilters(d, state.filters));
  if (matching.length === 0) return next;

  if (state.loading === 'initial' || state.loading === 'refresh') {
    // The rows on screen belong to the previous query; hold these until the new one lands.
    if (isSearchActive(state.filters)) {
      return { ...next, newUnsearched: state.newUnsearched + matching.length };
    }
    return { ...next, liveWhileLoading: mergeNewestFirst(state.liveWhileLoading, matching).rows };
  }

  const { rows, inserted } = mergeNewestFirst(state.rows, matching);
  if (inserted === 0) return next;
  if (isSearchActive(state.filters)) {
    // We cannot tell whether these match the search; offer a re-run instead of guessing.
    return { ...next, newUnsearched: state.newUnsearched + inserted };
  }
  let trimmed = rows;
  let { hasMore, cursor } = state;
  if (!state.scrolledAway && rows.length > MAX_ROWS) {
    trimmed = rows.slice(0, MAX_ROWS);
    hasMore = true;
    cursor = (trimmed[trimmed.length - 1] as DeliverySummary).id;
  }
  return {
    ...next,
    rows: trimmed,
    hasMore,
    cursor,
    newAbove: state.scrolledAway ? state.newAbove + inserted : 0,
  };
}

function withAnswers(rows: DeliverySummary[], updates: readonly DeliverySummary[]): DeliverySummary[] {
  const byId = new Map(updates.map((d) => [d.id, d]));
  let changed = false;
  const next = rows.map((row) => {
    const update = byId.get(row.id);
    if (!update || update.responseStatus === row.responseStatus) return row;
    changed = true;
    return { ...row, responseStatus: update.responseStatus };
  });
  return changed ? next : rows;
}

/**
 * Deliveries changed in place: reload what is on screen (same filters) without losing the scroll
 * position, and let the open detail reload. A fresh query already in flight is simply restarted.
 */
function resync(state: State): State {
  const gen = state.queryGen + 1;
  const keepPosition = state.loading !== 'initial';
  const limit = keepPosition ? Math.min(MAX_RELOAD_ROWS, Math.max(PAGE_SIZE, state.rows.length)) : PAGE_SIZE;
  return {
    ...state,
    queryGen: gen,
    request: { gen, limit, keepPosition },
    resyncGen: state.resyncGen + 1,
    loading: keepPosition ? 'refresh' : 'initial',
    error: null,
    liveWhileLoading: keepPosition ? [] : state.liveWhileLoading,
  };
}

export function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'serverInfo':
      return { ...state, serverInfo: action.info };
    case 'endpoints':
      return { ...state, endpoints: action.endpoints };
    case 'counts':
      return { ...state, counts: countsFrom(action.counts), countsLoaded: true };
    case 'setEndpointFilter':
      if (state.filters.endpoint === action.endpoint) return state;
      return withFilters(state, { ...state.filters, endpoint: action.endpoint });
    case 'setMethodFilter':
      if (state.filters.method === action.method) return state;
      return withFilters(state, { ...state.filters, method: action.method });
    case 'setProviderFilter':
      if (state.filters.provider === action.provider) return state;
      return withFilters(state, { ...state.filters, provider: action.provider });
    case 'setEventTypeFilter':
      if (state.filters.eventType === action.eventType) return state;
      return withFilters(state, { ...state.filters, eventType: action.eventType });
    case 'setSignatureFilter':
      if (state.filters.signature === action.signature) return state;
      return withFilters(state, { ...state.filters, signature: action.signature });
    case 'clearFilters':
      if (!hasToolbarFilters(state.filters)) return state;
      return withFilters(state, { ...state.filters, method: null, provider: null, eventType: null, signature: null });
    case 'resync':
      return resync(state);
    case 'openSettings':
      return { ...state, settings: action.target };
    case 'closeSettings':
      return state.settings === null ? state : { ...state, settings: null };
    case 'setSearchInput':
      return { ...state, searchInput: action.text };
    case 'setSearch':
      if (state.filters.search === action.search) return state;
      return withFilters(state, { ...state.filters, search: action.search });
    case 'clearSearch':
      if (state.filters.search === '') return { ...state, searchInput: '' };
      return withFilters({ ...state, searchInput: '' }, { ...state.filters, search: '' });
    case 'rerunQuery':
      return withFilters(state, state.filters);
    case 'loadMoreStarted':
      if (action.gen !== state.queryGen || state.loading !== 'idle') return state;
      return { ...state, loading: 'more' };
    case 'loaded': {
      if (action.gen !== state.queryGen) return state;
      if (action.append) {
        const { rows } = mergeNewestFirst(state.rows, action.rows);
        return {
          ...state,
          rows,
          cursor: action.cursor,
          hasMore: action.hasMore,
          loading: 'idle',
          error: null,
          locked: false,
        };
      }
      if (action.keepPosition) {
        // Same query, fresher rows: the anchor (by id) keeps the user where they were.
        const newestLoaded = action.rows[0]?.id ?? -Infinity;
        const live = state.liveWhileLoading.filter((d) => d.id > newestLoaded);
        return {
          ...state,
          rows: mergeNewestFirst(action.rows, live).rows,
          cursor: action.cursor,
          hasMore: action.hasMore,
          loading: 'idle',
          error: null,
          locked: false,
          liveWhileLoading: [],
        };
      }
      // Deliveries that arrived live during the query may be newer than its snapshot.
      const newestLoaded = action.rows[0]?.id ?? -Infinity;
      const live = state.liveWhileLoading.filter((d) => d.id > newestLoaded);
      return {
        ...state,
        rows: mergeNewestFirst(action.rows, live).rows,
        cursor: action.cursor,
        hasMore: action.hasMore,
        loading: 'idle',
        error: null,
        locked: false,
        liveWhileLoading: [],
        loadedGen: action.gen,
        newAbove: 0,
      };
    }
    case 'loadFailed':
      if (action.gen !== state.queryGen) return state;
      return {
        ...state,
        loading: 'idle',
        error: action.locked ? null : action.message,
        locked: action.locked === true,
        hasMore: false,
      };
    case 'batch':
      return applyBatch(state, action.items);
    case 'select':
      if (action.reveal) return { ...state, selectedId: action.id, selectionNudge: state.selectionNudge + 1 };
      return state.selectedId === action.id ? state : { ...state, selectedId: action.id };
    case 'moveSelection': {
      if (state.rows.length === 0) return state;
      const idx = state.selectedId === null ? -1 : indexOfId(state.rows, state.selectedId);
      const target = idx === -1 ? 0 : Math.max(0, Math.min(state.rows.length - 1, idx + action.delta));
      const id = (state.rows[target] as DeliverySummary).id;
      return { ...state, selectedId: id, selectionNudge: state.selectionNudge + 1 };
    }
    case 'mark':
      return { ...state, marked: markRows(state, action.id, action.range ?? false) };
    case 'markSelected':
      return state.selectedId === null ? state : { ...state, marked: markRows(state, state.selectedId, false) };
    case 'clearMarks':
      return state.marked.length === 0 ? state : { ...state, marked: [] };
    case 'setScrolledAway':
      if (state.scrolledAway === action.away) return state;
      return { ...state, scrolledAway: action.away, newAbove: action.away ? state.newAbove : 0 };
  }
}
