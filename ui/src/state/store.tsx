import { type Dispatch, type ReactNode, createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef } from 'react';

import {
  ApiError,
  type DeliverySummary,
  type StoreChange,
  getServerInfo,
  listDeliveries,
  listEndpointCounts,
  listEndpoints,
  subscribeDeliveries,
  subscribeResync,
  subscribeStoreChanged,
} from '../api';
import { invalidateDetails } from './cache';
import { Coalescer, frameScheduler } from './coalesce';
import { type Action, type State, initialState, reducer } from './deliveries';
import { fetchPage } from './loader';

const COUNTS_REFRESH_MS = 30_000;

interface Store {
  state: State;
  dispatch: Dispatch<Action>;
  /** Fetch the next older page for the current query, once per cursor. */
  loadMore: () => void;
  /** Re-read the endpoints and their counts (after the settings dialog changed them). */
  refreshEndpoints: () => void;
  /** What `deliveries:resync` does, for changes the UI made itself (an endpoint saved or deleted). */
  resync: () => void;
}

const StoreContext = createContext<Store | null>(null);

/** A failed page load; a refused access token is the access banner's to tell, not the list's. */
function loadFailed(gen: number, err: unknown): Action {
  const error = ApiError.from(err);
  return { type: 'loadFailed', gen, message: error.message, locked: error.code === 'unauthorized' };
}

export function StoreProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(reducer, initialState);
  const refreshRef = useRef<() => void>(() => undefined);
  const resyncRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    let alive = true;
    const report = (what: string) => (err: unknown) => console.error(what, ApiError.from(err).message);
    getServerInfo().then((info) => alive && dispatch({ type: 'serverInfo', info }), report('get_server_info'));
    const refresh = () => {
      listEndpoints().then((endpoints) => alive && dispatch({ type: 'endpoints', endpoints }), report('list_endpoints'));
      listEndpointCounts().then((counts) => alive && dispatch({ type: 'counts', counts }), report('list_endpoint_counts'));
    };
    refreshRef.current = refresh;
    refresh();
    const timer = window.setInterval(refresh, COUNTS_REFRESH_MS);
    window.addEventListener('focus', refresh);
    // Re-verified or missed deliveries: cached details are stale, the list reloads in place.
    const resync = () => {
      if (!alive) return;
      invalidateDetails();
      dispatch({ type: 'resync' });
      refresh();
    };
    resyncRef.current = resync;
    const unsubscribeResync = subscribeResync(resync);
    // Changes made anywhere (a CLI command setting secrets, an import): one reload per frame.
    const changes = new Coalescer<StoreChange>(resync, frameScheduler);
    const unsubscribeChanges = subscribeStoreChanged((change) => changes.push([change]));
    return () => {
      alive = false;
      unsubscribeChanges();
      changes.dispose();
      refreshRef.current = () => undefined;
      resyncRef.current = () => undefined;
      window.clearInterval(timer);
      window.removeEventListener('focus', refresh);
      unsubscribeResync();
    };
  }, []);

  // A new `request` object is a new query to run; filters change only together with it.
  const { filters, request } = state;
  useEffect(() => {
    let alive = true;
    const { gen, limit, keepPosition } = request;
    fetchPage(listDeliveries, filters, null, limit).then(
      (page) => alive && dispatch({ type: 'loaded', gen, append: false, keepPosition, ...page }),
      (err: unknown) => alive && dispatch(loadFailed(gen, err)),
    );
    return () => {
      alive = false;
    };
  }, [filters, request]);

  useEffect(() => {
    const coalescer = new Coalescer<DeliverySummary>((items) => dispatch({ type: 'batch', items }), frameScheduler);
    const unsubscribe = subscribeDeliveries((batch) => coalescer.push(batch));
    return () => {
      unsubscribe();
      coalescer.dispose();
    };
  }, []);

  // Effects run child-first, so the list may ask twice before our state catches up: remember the ask.
  const requested = useRef<string | null>(null);
  const loadMore = useCallback(() => {
    const { loading, hasMore, cursor, queryGen: gen, filters: f } = state;
    if (loading !== 'idle' || !hasMore || cursor === null) return;
    const key = `${gen}:${cursor}`;
    if (requested.current === key) return;
    requested.current = key;
    dispatch({ type: 'loadMoreStarted', gen });
    fetchPage(listDeliveries, f, cursor).then(
      (page) => dispatch({ type: 'loaded', gen, append: true, ...page }),
      (err: unknown) => {
        requested.current = null;
        dispatch(loadFailed(gen, err));
      },
    );
  }, [state]);

  const refreshEndpoints = useCallback(() => refreshRef.current(), []);
  const resync = useCallback(() => resyncRef.current(), []);

  const store = useMemo(
    () => ({ state, dispatch, loadMore, refreshEndpoints, resync }),
    [state, loadMore, refreshEndpoints, resync],
  );
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreProvider');
  return store;
}
