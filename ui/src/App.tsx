import { useEffect, useRef } from 'react';

import { useSplitter } from './components/useSplitter';
import { hasToolbarFilters, isSearchActive } from './state/deliveries';
import { useStore } from './state/store';
import { DeliveryList } from './views/DeliveryList';
import { DetailPane } from './views/DetailPane';
import { EmptyState } from './views/EmptyState';
import { EndpointSettingsDialog } from './views/EndpointSettingsDialog';
import { Sidebar } from './views/Sidebar';
import { TopBar } from './views/TopBar';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function App() {
  const { state, dispatch } = useStore();
  const searchRef = useRef<HTMLInputElement>(null);
  const [listWidth, splitterProps] = useSplitter('hookscope.listWidth', 640, 380, 0.72);

  const dialogOpen = state.settings !== null;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey || dialogOpen) return;
      if (e.key === 'Escape') {
        if (document.activeElement === searchRef.current) searchRef.current?.blur();
        dispatch({ type: 'clearSearch' });
        return;
      }
      if (isTyping(e.target)) return;
      switch (e.key) {
        case 'j':
        case 'ArrowDown':
          e.preventDefault();
          dispatch({ type: 'moveSelection', delta: 1 });
          break;
        case 'k':
        case 'ArrowUp':
          e.preventDefault();
          dispatch({ type: 'moveSelection', delta: -1 });
          break;
        case '/':
          e.preventDefault();
          searchRef.current?.focus();
          searchRef.current?.select();
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dispatch, dialogOpen]);

  const f = state.filters;
  const noDeliveriesAtAll =
    state.loading === 'idle' &&
    !state.error &&
    state.rows.length === 0 &&
    !state.hasMore &&
    f.endpoint === 'all' &&
    !hasToolbarFilters(f) &&
    !isSearchActive(f);

  return (
    <div className="app">
      <TopBar />
      <div className="main">
        <Sidebar />
        {noDeliveriesAtAll ? (
          <EmptyState />
        ) : (
          <div className="workspace" style={{ gridTemplateColumns: `minmax(340px, ${listWidth}px) 6px minmax(400px, 1fr)` }}>
            <DeliveryList searchRef={searchRef} />
            <div className="splitter" {...splitterProps} />
            <DetailPane />
          </div>
        )}
      </div>
      <EndpointSettingsDialog />
    </div>
  );
}
