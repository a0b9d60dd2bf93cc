import type { ReactNode } from 'react';

import { providerTone } from '../components/Badges';
import { InboxIcon, LayersIcon } from '../components/icons';
import { type EndpointFilter, OTHER_KEY, countKey, totalCount } from '../state/deliveries';
import { useStore } from '../state/store';

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
      <div className="sidebar-heading">Endpoints</div>
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
  children: ReactNode;
}

function Entry({ id, active, onSelect, icon, count, hint, children }: EntryProps) {
  return (
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
}
