import type { FloviOffice } from '../../api';
import { LayersIcon, RefreshIcon } from '../../components/icons';
import type { Explanation } from '../../format/flovi';
import type { End } from '../../state/floviForm';
import { Card, FloviErrorBox } from './FloviErrorBox';

/** The organisation's offices from GET /offices; each can be used as the origin or destination. */
export function FloviOffices({
  offices,
  busy,
  error,
  onLoad,
  onDismissError,
  onUse,
}: {
  offices: FloviOffice[] | null;
  busy: boolean;
  error: Explanation | null;
  onLoad: () => void;
  onDismissError: () => void;
  onUse: (end: End, id: string) => void;
}) {
  return (
    <Card
      title="Offices"
      icon={<LayersIcon />}
      testId="flovi-offices"
      aside={
        <>
          {offices && <span className="muted">{offices.length}</span>}
          <button type="button" className="btn btn-sm" data-testid="flovi-load-offices" disabled={busy} onClick={onLoad}>
            <RefreshIcon className={busy ? 'spin' : undefined} />
            {busy ? 'Loading…' : offices ? 'Reload' : 'Load offices'}
          </button>
        </>
      }
    >
      {error && <FloviErrorBox error={error} source="offices" onDismiss={onDismissError} />}
      {offices === null ? (
        !error && <p className="flovi-empty">Load your organisation’s offices to pick them by name in the form.</p>
      ) : offices.length === 0 ? (
        <p className="flovi-empty">Flovi lists no offices for this organisation.</p>
      ) : (
        <ul className="office-list" aria-label="Offices">
          {offices.map((o) => (
            <li key={o.id} className="office-row" data-testid="flovi-office-row" data-id={o.id}>
              <code className="office-id" title="Office id">
                {o.id}
              </code>
              <span className="office-name">{o.name}</span>
              <span className="office-use">
                <button type="button" className="btn btn-ghost btn-sm" title={`Use ${o.name} as the origin`} onClick={() => onUse('origin', o.id)}>
                  From
                </button>
                <button type="button" className="btn btn-ghost btn-sm" title={`Use ${o.name} as the destination`} onClick={() => onUse('destination', o.id)}>
                  To
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
