import { useEffect, useRef, useState } from 'react';

import { AccessBanner } from './components/AccessBanner';
import { useSplitter } from './components/useSplitter';
import { hasToolbarFilters, isSearchActive } from './state/deliveries';
import { useStore } from './state/store';
import { DeliveryList } from './views/DeliveryList';
import { DetailPane } from './views/DetailPane';
import { EmptyState } from './views/EmptyState';
import { EndpointSettingsDialog } from './views/EndpointSettingsDialog';
import { FloviPanel } from './views/FloviPanel';
import { Sidebar } from './views/Sidebar';
import { type AppView, TopBar } from './views/TopBar';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function App() {
  const { state, dispatch } = useStore();
  const searchRef = useRef<HTMLInputElement>(null);
  const [listWidth, splitterProps] = useSplitter('hookscope.listWidth', 640, 380, 0.72);
  const [view, setView] = useState<AppView>('inspector');
  // Mounted on first visit, then kept (hidden) so the form, result and offices survive a switch.
  const [floviMounted, setFloviMounted] = useState(false);
  const showView = (next: AppView) => {
    if (next === 'flovi') setFloviMounted(true);
    setView(next);
  };

  // Bumped to show the selected delivery's Replay tab (a handler check's "Open in Replay").
  const [replayRequest, setReplayRequest] = useState(0);
  const openReplay = (id: number) => {
    dispatch({ type: 'select', id, reveal: true });
    setView('inspector');
    setReplayRequest((n) => n + 1);
  };

  const dialogOpen = state.settings !== null;

  // Ctrl+1 / Ctrl+2 (⌘ on macOS) switch views from anywhere, even while typing.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || dialogOpen) return;
      if (e.key === '1' || e.key === '2') {
        e.preventDefault();
        if (e.key === '2') setFloviMounted(true);
        setView(e.key === '1' ? 'inspector' : 'flovi');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialogOpen]);

  const inspecting = view === 'inspector';
  useEffect(() => {
    if (!inspecting) return;
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
        case 'x':
          e.preventDefault();
          dispatch({ type: 'markSelected' });
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
  }, [dispatch, dialogOpen, inspecting]);

  const f = state.filters;
  const noDeliveriesAtAll =
    state.loading === 'idle' &&
    !state.error &&
    !state.locked &&
    state.rows.length === 0 &&
    !state.hasMore &&
    f.endpoint === 'all' &&
    !hasToolbarFilters(f) &&
    !isSearchActive(f);

  return (
    <div className="app">
      <AccessBanner />
      <TopBar view={view} onView={showView} onOpenReplay={openReplay} />
      {inspecting && (
        <div className="main" id="view-inspector" role="tabpanel" aria-labelledby="nav-inspector">
          <Sidebar />
          {noDeliveriesAtAll ? (
            <EmptyState />
          ) : (
            <div className="workspace" style={{ gridTemplateColumns: `minmax(340px, ${listWidth}px) 6px minmax(400px, 1fr)` }}>
              <DeliveryList searchRef={searchRef} />
              <div className="splitter" {...splitterProps} />
              <DetailPane replayRequest={replayRequest} />
            </div>
          )}
        </div>
      )}
      {floviMounted && <FloviPanel hidden={inspecting} />}
      <EndpointSettingsDialog />
    </div>
  );
}
