import type { ReactNode } from 'react';

import { providerTone } from '../components/Badges';
import { GearIcon, InboxIcon, LayersIcon, PlusIcon } from '../components/icons';
import { type EndpointFilter, OTHER_KEY, countKey, totalCount } from '../state/deliveries';
import { useStore } from '../state/store';
import { PublicUrls } from './PublicUrls';

export function Sidebar() {
  const { state, dispatch } = useStore();
  const active = state.filters.endpoint;
  const select = (endpoint: EndpointFilter) => dispatch({ type: 'setEndpointFilter', endpoint });
  const count = (n: number | undefined) => (state.countsLoaded ? (n ?? 0) : null);

  return (
    <aside className="sidebar" aria-label="Filter by endpoint">
      <div className="sidebar-section">
        <Entry id="all" active={active === 'all'} onSelect={() => select('all')} icon={<InboxIcon />} count={count(totalCount(state.counts))}>
          All deliveries
        </Entry>
      </div>
      <div className="sidebar-heading">
        <span>Endpoints</span>
        <button
          type="button"
          className="icon-btn sidebar-add"
          data-testid="add-endpoint-button"
          title="Add endpoint"
          aria-label="Add endpoint"
          onClick={() => dispatch({ type: 'openSettings', target: { kind: 'new', provider: null, pathPrefix: '' } })}
        >
          <PlusIcon />
        </button>
      </div>
      <div className="sidebar-section">
        {state.endpoints.map((ep) => (
          <Entry
            key={ep.id}
            id={String(ep.id)}
            active={active === ep.id}
            onSelect={() => select(ep.id)}
            icon={<span className={`ep-dot ep-${providerTone(ep.provider ?? ep.name)}`} />}
            count={count(state.counts[countKey(ep.id)])}
            hint={ep.pathPrefix}
            onSettings={() => dispatch({ type: 'openSettings', target: { kind: 'edit', id: ep.id } })}
            settingsLabel={`Settings for ${ep.name}`}
          >
            {ep.name}
          </Entry>
        ))}
        <Entry
          id={OTHER_KEY}
          active={active === 'other'}
          onSelect={() => select('other')}
          icon={<LayersIcon />}
          count={count(state.counts[OTHER_KEY])}
          hint="no endpoint matched"
        >
          Other paths
        </Entry>
      </div>
      <PublicUrls />
      {state.serverInfo && (
        <div className="sidebar-foot">
          <div title={state.serverInfo.dataDir}>
            <span className="foot-label">Data</span> <span className="foot-value">{state.serverInfo.dataDir}</span>
          </div>
        </div>
      )}
    </aside>
  );
}

interface EntryProps {
  id: string;
  active: boolean;
  onSelect: () => void;
  icon: ReactNode;
  count: number | null;
  hint?: string;
  /** A gear beside the entry opens the endpoint's settings. */
  onSettings?: () => void;
  settingsLabel?: string;
  children: ReactNode;
}

function Entry({ id, active, onSelect, icon, count, hint, onSettings, settingsLabel, children }: EntryProps) {
  const entry = (
    <button
      type="button"
      className={`sidebar-entry ${active ? 'active' : ''}`}
      data-testid="sidebar-endpoint"
      data-endpoint-id={id}
      aria-current={active ? 'true' : undefined}
      onClick={onSelect}
    >
      <span className="entry-icon">{icon}</span>
      <span className="entry-text">
        <span className="entry-name">{children}</span>
        {hint && <span className="entry-hint">{hint}</span>}
      </span>
      <span className="entry-count">{count === null ? '' : count.toLocaleString('en-US')}</span>
    </button>
  );
  if (!onSettings) return entry;
  return (
    <div className={`sidebar-item ${active ? 'active' : ''}`}>
      {entry}
      <button
        type="button"
        className="icon-btn entry-gear"
        data-testid="endpoint-settings-button"
        data-endpoint-id={id}
        title={settingsLabel}
        aria-label={settingsLabel}
        onClick={onSettings}
      >
        <GearIcon />
      </button>
    </div>
  );
}
