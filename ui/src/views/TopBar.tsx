import { type KeyboardEvent, type ReactNode, useRef, useState } from 'react';

import { CopyButton } from '../components/CopyButton';
import { CarIcon, InboxIcon, LayersIcon, LogoMark, SendIcon, ShieldIcon } from '../components/icons';
import { joinUrl } from '../format/shell';
import { useStore } from '../state/store';
import { SampleDialog } from './replay/SampleDialog';
import { ExportDialog } from './ExportDialog';
import { HandlerCheckDialog } from './HandlerCheckDialog';
import { TunnelControl } from './TunnelControl';

export type AppView = 'inspector' | 'flovi';

const VIEWS: ReadonlyArray<{ id: AppView; label: string; testId: string; shortcut: string; icon: ReactNode }> = [
  { id: 'inspector', label: 'Inspector', testId: 'nav-inspector', shortcut: '1', icon: <InboxIcon /> },
  { id: 'flovi', label: 'Flovi API', testId: 'nav-flovi', shortcut: '2', icon: <CarIcon /> },
];

const MOD = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+';

/** The two views as tabs: arrow keys move between them, Ctrl+1 / Ctrl+2 work from anywhere. */
function ViewTabs({ view, onView }: { view: AppView; onView: (v: AppView) => void }) {
  const refs = useRef<Array<HTMLButtonElement | null>>([]);
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    let next = delta === 0 ? -1 : (index + delta + VIEWS.length) % VIEWS.length;
    if (e.key === 'Home') next = 0;
    if (e.key === 'End') next = VIEWS.length - 1;
    const target = VIEWS[next];
    if (!target) return;
    e.preventDefault();
    onView(target.id);
    refs.current[next]?.focus();
  };
  return (
    <nav className="view-tabs" role="tablist" aria-label="Views">
      {VIEWS.map((v, i) => {
        const active = v.id === view;
        return (
          <button
            key={v.id}
            ref={(el) => {
              refs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={v.testId}
            className={`view-tab ${active ? 'active' : ''}`}
            data-testid={v.testId}
            aria-selected={active}
            aria-controls={`view-${v.id}`}
            tabIndex={active ? 0 : -1}
            title={`${v.label} (${MOD}${v.shortcut})`}
            onClick={() => onView(v.id)}
            onKeyDown={(e) => onKeyDown(e, i)}
          >
            {v.icon}
            <span>{v.label}</span>
          </button>
        );
      })}
    </nav>
  );
}

export function TopBar({
  view,
  onView,
  onOpenReplay,
}: {
  view: AppView;
  onView: (v: AppView) => void;
  /** Shows a captured delivery's Replay tab in the inspector. */
  onOpenReplay: (deliveryId: number) => void;
}) {
  const { state } = useStore();
  // An empty base URL means the listener could not start; listenError says why.
  const baseUrl = state.serverInfo?.baseUrl || null;
  const listenError = state.serverInfo?.listenError ?? null;
  const [sampleOpen, setSampleOpen] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [checking, setChecking] = useState(false);

  return (
    <header className="topbar">
      <div className="brand">
        <LogoMark />
        <span className="brand-name">Hookscope</span>
      </div>
      <ViewTabs view={view} onView={onView} />
      <div className="listener">
        <span className={`live-dot ${baseUrl ? 'on' : listenError ? 'down' : ''}`} aria-hidden />
        <span className="listener-label">{listenError ? 'Listener not running' : 'Listening on'}</span>
        <code className="url" data-testid="base-url">
          {baseUrl ?? '…'}
        </code>
        {baseUrl && <CopyButton text={baseUrl} title="Copy listener base URL" />}
        {listenError && (
          <span className="listen-error" title={listenError}>
            {listenError}
          </span>
        )}
      </div>
      <nav className="endpoint-urls" aria-label="Endpoint URLs">
        {baseUrl &&
          state.endpoints.map((ep) => {
            const url = joinUrl(baseUrl, ep.pathPrefix);
            return (
              <span className="endpoint-chip" key={ep.id} title={`${ep.name} endpoint`}>
                <code className="endpoint-chip-url" data-testid="endpoint-url">
                  {url}
                </code>
                <CopyButton text={url} title={`Copy ${ep.name} URL`} />
              </span>
            );
          })}
      </nav>
      <div className="topbar-tools">
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          data-testid="open-send-sample"
          title="Send a signed sample delivery to a URL"
          onClick={() => setSampleOpen(true)}
        >
          <SendIcon />
          Send sample
        </button>
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          data-testid="open-handler-check"
          title="Check your own webhook handler against the provider's documented contract"
          onClick={() => setChecking(true)}
        >
          <ShieldIcon />
          Handler check
        </button>
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          data-testid="export-open-button"
          title="Export deliveries as HAR, curl or JSON; import a HAR file"
          onClick={() => setExporting(true)}
        >
          <LayersIcon />
          Export / Import
        </button>
      </div>
      {sampleOpen && <SampleDialog onClose={() => setSampleOpen(false)} />}
      {exporting && <ExportDialog onClose={() => setExporting(false)} />}
      {checking && (
        <HandlerCheckDialog
          onClose={() => setChecking(false)}
          onOpenReplay={(id) => {
            setChecking(false);
            onOpenReplay(id);
          }}
        />
      )}
      <div className="tunnel-slot">
        <TunnelControl />
      </div>
    </header>
  );
}
