import { useMemo } from 'react';

import type { DeliveryGroup } from '../api';
import { StatusBadge } from '../components/Badges';
import { buildTimeline, describeTimeline, formatDrift, formatSinceFirst } from '../format/attempts';
import { statusTone } from '../format/http';
import { asProviderId } from '../format/provider';
import { formatTime } from '../format/time';

interface Props {
  group: DeliveryGroup;
  currentId: number;
  provider: string | null;
  onSelect: (id: number) => void;
}

/** Every delivery of one event, oldest first, against the provider's documented retry schedule. */
export function AttemptsPanel({ group, currentId, provider, onSelect }: Props) {
  const entries = useMemo(() => buildTimeline(group, currentId), [group, currentId]);
  const scheduled = entries.some((e) => e.expectedAt !== null);
  return (
    <div className="pane-scroll" data-testid="group-view">
      <div className="group-view">
        <header className="group-head">
          <h3>Retries &amp; duplicates</h3>
          <span className="muted">{describeTimeline(entries)}</span>
          {group.key !== null && (
            <code className="group-key" title="What these deliveries share (the provider's dedupe key)">
              {group.key}
            </code>
          )}
        </header>
        <ol className="timeline">
          {entries.map((e, i) => (
            <li key={e.deliveryId} className={`tl-item ${e.current ? 'current' : ''}`}>
              <span className={`tl-dot tl-${statusTone(e.responseStatus)}`} aria-hidden />
              <button
                type="button"
                className="attempt-row"
                data-testid="attempt-row"
                data-delivery-id={e.deliveryId}
                aria-current={e.current ? 'true' : undefined}
                onClick={() => onSelect(e.deliveryId)}
              >
                <span className="tl-line">
                  <strong className="tl-label">{e.label}</strong>
                  <span className="tl-id">#{e.deliveryId}</span>
                  {e.current && <span className="chip chip-accent">this delivery</span>}
                  <span className="spacer" />
                  <span className="tl-answer muted">answered</span>
                  <StatusBadge status={e.responseStatus} />
                </span>
                <span className="tl-line tl-times">
                  <span title="Received">{formatTime(e.receivedAt)}</span>
                  <span className="tl-sep">·</span>
                  <span>{formatSinceFirst(e.sinceFirst, i === 0)}</span>
                  {e.expectedAt !== null && (
                    <>
                      <span className="tl-sep">·</span>
                      <span title="When the provider's documented schedule says this attempt should come">
                        expected {formatTime(e.expectedAt)}
                      </span>
                      {e.drift !== null && (
                        <span className={`drift ${Math.abs(e.drift) < 1000 ? 'on-time' : e.drift > 0 ? 'late' : 'early'}`}>
                          {formatDrift(e.drift)}
                        </span>
                      )}
                    </>
                  )}
                </span>
                {e.meaning !== '' && <span className="tl-meaning">{e.meaning}</span>}
              </button>
            </li>
          ))}
        </ol>
        <p className="group-foot muted">{scheduleNote(asProviderId(provider), scheduled)}</p>
      </div>
    </div>
  );
}

function scheduleNote(provider: ReturnType<typeof asProviderId>, scheduled: boolean): string {
  switch (provider) {
    case 'fleiko':
      return 'Fleiko retries 5xx, 408, 429 and timeouts after 1 m, 5 m, 30 m, 2 h, 6 h and 24 h, then dead-letters; 400, 401, 403, 404, 405, 410, 415, 422 and 451 dead-letter at once. Retries repeat X-Fleiko-Delivery and the event id.';
    case 'flowella':
      return 'Flowella waits 10 s for a 2xx and retries up to three times with backoff (no published schedule); retries repeat the event id.';
    case 'flovi':
      return 'Flovi documents no retry schedule; repeats of the same reservation state are grouped as duplicates.';
    default:
      return scheduled ? 'Expected times follow the provider’s documented schedule.' : 'Deliveries grouped by their shared key.';
  }
}
