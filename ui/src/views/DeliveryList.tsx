import { type RefObject, memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';

import { type DeliverySummary, listEventTypes } from '../api';
import { Marker, MethodBadge, ProviderBadge, RefusedBadge, SignatureBadge, StatusBadge } from '../components/Badges';
import { ArrowUpIcon, SearchIcon } from '../components/icons';
import { windowRange } from '../components/useViewport';
import { FILTER_METHODS, pathWithQuery } from '../format/http';
import { PROVIDERS, PROVIDER_NAMES, asProviderId } from '../format/provider';
import { SIGNATURE_FILTER_LABEL, SIGNATURE_STATUSES, isSignatureStatus } from '../format/signature';
import { formatSize } from '../format/size';
import { formatTime } from '../format/time';
import { countKey, hasToolbarFilters, indexOfId, isSearchActive, totalCount } from '../state/deliveries';
import { useStore } from '../state/store';
import { MarkedBar } from './MarkedBar';

export const ROW_HEIGHT = 30;
const SEARCH_DEBOUNCE_MS = 200;
/** Start fetching the next page this many rows before the end. */
const PREFETCH_ROWS = 40;

/**
 * Where the user is looking, as "this row, this many pixels into it". Rows prepended above the
 * anchor push it down, and the list follows, so what the user reads stays put.
 */
interface Anchor {
  id: number | null;
  offset: number;
  gen: number;
}

export function DeliveryList({ searchRef }: { searchRef: RefObject<HTMLInputElement | null> }) {
  const { state, dispatch, loadMore } = useStore();
  const { rows, loadedGen } = state;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [anchor, setAnchor] = useState<Anchor>({ id: null, offset: 0, gen: 0 });
  const [height, setHeight] = useState(0);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const anchorIndex = anchor.id !== null && anchor.gen === loadedGen ? indexOfId(rows, anchor.id) : -1;
  const maxTop = Math.max(0, rows.length * ROW_HEIGHT - height);
  const top = anchorIndex >= 0 ? Math.min(maxTop, anchorIndex * ROW_HEIGHT + anchor.offset) : 0;

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top;
  }, [top]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const st = el.scrollTop;
    const away = st >= 1;
    if (!away) {
      setAnchor({ id: null, offset: 0, gen: loadedGen });
    } else {
      const i = Math.min(rows.length - 1, Math.floor(st / ROW_HEIGHT));
      const row = rows[i];
      setAnchor(row ? { id: row.id, offset: st - i * ROW_HEIGHT, gen: loadedGen } : { id: null, offset: 0, gen: loadedGen });
    }
    if (away !== state.scrolledAway) dispatch({ type: 'setScrolledAway', away });
  };

  const { start, end } = windowRange(top, height, ROW_HEIGHT, rows.length, 12);

  useEffect(() => {
    if (state.hasMore && state.loading === 'idle' && end >= rows.length - PREFETCH_ROWS) loadMore();
  }, [end, rows.length, state.hasMore, state.loading, loadMore]);

  // Keyboard moves: bring the selected row into view (clicks already are).
  const handledNudge = useRef(state.selectionNudge);
  useLayoutEffect(() => {
    if (handledNudge.current === state.selectionNudge) return;
    handledNudge.current = state.selectionNudge;
    const el = scrollRef.current;
    if (!el || state.selectedId === null) return;
    const idx = indexOfId(rows, state.selectedId);
    if (idx < 0) return;
    const rowTop = idx * ROW_HEIGHT;
    if (rowTop < el.scrollTop) el.scrollTop = rowTop;
    else if (rowTop + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = rowTop + ROW_HEIGHT - el.clientHeight;
  }, [state.selectionNudge, state.selectedId, rows]);

  const select = useCallback((id: number) => dispatch({ type: 'select', id }), [dispatch]);
  const mark = useCallback((id: number, range: boolean) => dispatch({ type: 'mark', id, range }), [dispatch]);
  const marked = useMemo(() => new Set(state.marked), [state.marked]);
  const searchActive = isSearchActive(state.filters);
  const visible: DeliverySummary[] = rows.slice(start, end);

  return (
    <section className="list-pane" aria-label="Deliveries">
      <ListToolbar searchRef={searchRef} />
      {state.marked.length > 0 && <MarkedBar ids={state.marked} onClear={() => dispatch({ type: 'clearMarks' })} />}
      <div className="list-header" aria-hidden>
        <span>Time</span>
        <span className="c-sig-head" title="Signature">Sig</span>
        <span>Method</span>
        <span>Event · path</span>
        <span className="c-source-head">Source</span>
        <span className="num">Size</span>
        <span className="num">Status</span>
      </div>
      <div className="list-body">
        {searchActive && state.newUnsearched > 0 ? (
          <button type="button" className="new-pill" data-testid="new-rows-pill" onClick={() => dispatch({ type: 'rerunQuery' })}>
            <ArrowUpIcon /> {state.newUnsearched} new · re-run search
          </button>
        ) : state.newAbove > 0 ? (
          <button type="button" className="new-pill" data-testid="new-rows-pill" onClick={() => scrollRef.current?.scrollTo({ top: 0 })}>
            <ArrowUpIcon /> {state.newAbove} new
          </button>
        ) : null}
        <div
          className="delivery-list"
          ref={scrollRef}
          onScroll={onScroll}
          data-testid="delivery-list"
          role="listbox"
          aria-label="Deliveries, newest first"
          aria-busy={state.loading !== 'idle'}
          tabIndex={-1}
        >
          <div className="list-canvas" style={{ height: rows.length * ROW_HEIGHT }}>
            {visible.map((d, k) => (
              <Row
                key={d.id}
                delivery={d}
                index={start + k}
                selected={d.id === state.selectedId}
                marked={marked.has(d.id)}
                onSelect={select}
                onMark={mark}
              />
            ))}
          </div>
          {rows.length === 0 && state.loading === 'idle' && !state.error && !state.locked && !state.hasMore && (
            <div className="list-empty">
              {searchActive
                ? 'No deliveries match this search.'
                : hasToolbarFilters(state.filters)
                  ? 'No deliveries match these filters.'
                  : 'No deliveries here yet.'}
              {hasToolbarFilters(state.filters) && (
                <button type="button" className="link-btn" onClick={() => dispatch({ type: 'clearFilters' })}>
                  Clear filters
                </button>
              )}
            </div>
          )}
          {state.error && (
            <div className="list-error" role="alert">
              Could not load deliveries: {state.error}
              <button type="button" className="link-btn" onClick={() => dispatch({ type: 'rerunQuery' })}>
                Retry
              </button>
            </div>
          )}
        </div>
        {state.loading !== 'idle' && <div className="list-loading" aria-hidden />}
      </div>
    </section>
  );
}

interface RowProps {
  delivery: DeliverySummary;
  index: number;
  selected: boolean;
  marked: boolean;
  onSelect: (id: number) => void;
  onMark: (id: number, range: boolean) => void;
}

const Row = memo(function Row({ delivery: d, index, selected, marked, onSelect, onMark }: RowProps) {
  const full = pathWithQuery(d.path, d.query);
  return (
    <div
      className={`row ${selected ? 'selected' : ''} ${marked ? 'marked' : ''} ${index % 2 ? 'odd' : ''}`}
      role="option"
      aria-selected={selected}
      data-testid="delivery-row"
      data-id={d.id}
      data-marked={marked || undefined}
      style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
      title={marked ? 'Marked for a bulk action (Ctrl+click or x to unmark)' : undefined}
      onClick={(e) => {
        // Ctrl/Cmd+click marks one delivery, Shift+click a range; a plain click selects.
        if (e.ctrlKey || e.metaKey || e.shiftKey) {
          e.preventDefault();
          onMark(d.id, e.shiftKey);
        } else {
          onSelect(d.id);
        }
      }}
    >
      <span className="c-time">{formatTime(d.receivedAt)}</span>
      <span className="c-sig">
        <SignatureBadge status={d.signature} explanation={d.signatureDetail?.explanation ?? null} />
      </span>
      <span className="c-method">
        <MethodBadge method={d.method} />
      </span>
      <span className={`c-main ${d.eventType !== null ? 'has-event' : ''}`} title={d.summary ? `${d.summary}\n${full}` : full}>
        <EventType eventType={d.eventType} />
        {d.attempt !== null && d.attempt > 1 && (
          <Marker tone="attempt" title={`The provider's attempt ${d.attempt}: a retry`}>{`attempt ${d.attempt}`}</Marker>
        )}
        {d.duplicateOf !== null && (
          <Marker tone="dup" title={`Repeats delivery #${d.duplicateOf} (same event)`}>{`dup of #${d.duplicateOf}`}</Marker>
        )}
        {d.viaTunnel !== null && (
          <Marker tone="tunnel" title={`Came through the ${d.viaTunnel} tunnel`}>{`via ${d.viaTunnel}`}</Marker>
        )}
        <span className="c-path" data-testid="row-path">
          {d.path}
          {d.query !== null && <span className="c-query">?{d.query}</span>}
        </span>
      </span>
      <span className="c-endpoint">
        {!d.bodyStored && <RefusedBadge />}
        <ProviderBadge delivery={d} />
      </span>
      <span className={`c-size num ${d.bodyStored ? '' : 'refused'}`}>{formatSize(d.bodySize)}</span>
      <span className="c-status num">
        <StatusBadge status={d.responseStatus} />
      </span>
    </div>
  );
});

/**
 * The event type, truncated from its namespace so the part that differs stays readable:
 * `reservation_status_change.sealed` → `reservation_st….sealed`.
 */
function EventType({ eventType }: { eventType: string | null }) {
  if (eventType === null) return <span className="c-event" data-testid="event-type" />;
  const dot = eventType.lastIndexOf('.');
  const ns = dot > 0 ? eventType.slice(0, dot + 1) : '';
  const leaf = dot > 0 ? eventType.slice(dot + 1) : eventType;
  // Monospace: the leaf's width in ch is exact, so the namespace alone gives way.
  return (
    <span className="c-event" data-testid="event-type" style={{ minWidth: `${leaf.length + (ns ? 2 : 0)}ch` }}>
      {ns && <span className="c-event-ns">{ns}</span>}
      <span className="c-event-leaf">{leaf}</span>
    </span>
  );
}

function ListToolbar({ searchRef }: { searchRef: RefObject<HTMLInputElement | null> }) {
  const { state, dispatch } = useStore();
  const { searchInput } = state;

  useEffect(() => {
    const timer = window.setTimeout(() => dispatch({ type: 'setSearch', search: searchInput }), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [searchInput, dispatch]);

  const f = state.filters;
  const total =
    !hasToolbarFilters(f) && !isSearchActive(f) && state.countsLoaded
      ? f.endpoint === 'all'
        ? totalCount(state.counts)
        : (state.counts[countKey(f.endpoint === 'other' ? null : f.endpoint)] ?? 0)
      : null;
  const shown = total ?? state.rows.length;

  return (
    <div className="list-toolbar">
      <div className="toolbar-row">
        <label className="search">
          <SearchIcon />
          <input
            ref={searchRef}
            type="search"
            placeholder="Search path, headers, body…"
            aria-label="Search deliveries"
            data-testid="search-input"
            value={searchInput}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => dispatch({ type: 'setSearchInput', text: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                e.stopPropagation();
                dispatch({ type: 'clearSearch' });
                e.currentTarget.blur();
              }
            }}
          />
          {searchInput === '' && <kbd className="search-hint">/</kbd>}
        </label>
        <span className="list-count" aria-live="polite">
          {shown.toLocaleString('en-US')}
          {total === null && state.hasMore ? '+' : ''} {shown === 1 ? 'delivery' : 'deliveries'}
        </span>
      </div>
      <div className="toolbar-row filters" role="group" aria-label="Filters">
        <select
          className={`filter-select ${f.method !== null ? 'active' : ''}`}
          data-testid="method-filter"
          aria-label="Filter by method"
          value={f.method ?? ''}
          onChange={(e) => dispatch({ type: 'setMethodFilter', method: e.target.value === '' ? null : e.target.value })}
        >
          <option value="">All methods</option>
          {FILTER_METHODS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <select
          className={`filter-select ${f.provider !== null ? 'active' : ''}`}
          data-testid="provider-filter"
          aria-label="Filter by provider"
          value={f.provider ?? ''}
          onChange={(e) => dispatch({ type: 'setProviderFilter', provider: asProviderId(e.target.value) })}
        >
          <option value="">All providers</option>
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {PROVIDER_NAMES[p]}
            </option>
          ))}
        </select>
        <EventTypeFilter />
        <select
          className={`filter-select ${f.signature !== null ? 'active' : ''}`}
          data-testid="signature-filter"
          aria-label="Filter by signature status"
          value={f.signature ?? ''}
          onChange={(e) =>
            dispatch({ type: 'setSignatureFilter', signature: isSignatureStatus(e.target.value) ? e.target.value : null })
          }
        >
          <option value="">All signatures</option>
          {SIGNATURE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {SIGNATURE_FILTER_LABEL[s]}
            </option>
          ))}
        </select>
        {hasToolbarFilters(f) && (
          <button type="button" className="link-btn clear-filters" onClick={() => dispatch({ type: 'clearFilters' })}>
            Clear
          </button>
        )}
      </div>
    </div>
  );
}

/** Event types stored so far; re-read whenever the menu is about to open. */
function EventTypeFilter() {
  const { state, dispatch } = useStore();
  const selected = state.filters.eventType;
  const [types, setTypes] = useState<string[]>([]);
  const alive = useRef(true);

  const refresh = useCallback(() => {
    listEventTypes().then(
      (list) => alive.current && setTypes(list),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    alive.current = true;
    refresh();
    return () => {
      alive.current = false;
    };
  }, [refresh]);

  const options = selected !== null && !types.includes(selected) ? [selected, ...types] : types;
  return (
    <select
      className={`filter-select event-filter ${selected !== null ? 'active' : ''}`}
      data-testid="event-type-filter"
      aria-label="Filter by event type"
      value={selected ?? ''}
      onMouseDown={refresh}
      onFocus={refresh}
      onKeyDown={(e) => {
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === ' ' || e.key === 'Enter') refresh();
      }}
      onChange={(e) => dispatch({ type: 'setEventTypeFilter', eventType: e.target.value === '' ? null : e.target.value })}
    >
      <option value="">All event types</option>
      {options.map((t) => (
        <option key={t} value={t}>
          {t}
        </option>
      ))}
    </select>
  );
}
