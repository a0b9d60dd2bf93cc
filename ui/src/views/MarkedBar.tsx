import { useEffect, useState } from 'react';

import { ApiError, type ReplayResult, getReplayDraft, replayDeliveries } from '../api';
import { Modal } from '../components/Modal';
import { NO_OPTIONS, outcome } from '../state/replayForm';
import { ExportDialog } from './ExportDialog';
import './replay/replay.css';

/** What to do with the deliveries marked in the list (Ctrl/Shift+click, or x). */
export function MarkedBar({ ids, onClear }: { ids: number[]; onClear: () => void }) {
  const [open, setOpen] = useState<'replay' | 'export' | null>(null);
  return (
    <div className="marked-bar" role="toolbar" aria-label="Marked deliveries" data-testid="marked-bar">
      <span className="marked-count" data-testid="marked-count">
        {ids.length} marked
      </span>
      <button type="button" className="btn btn-sm" data-testid="marked-replay" onClick={() => setOpen('replay')}>
        Replay in order…
      </button>
      <button type="button" className="btn btn-sm btn-ghost" data-testid="marked-export" onClick={() => setOpen('export')}>
        Export…
      </button>
      <span className="spacer" />
      <button type="button" className="btn btn-sm btn-ghost" data-testid="marked-clear" onClick={onClear}>
        Clear
      </button>
      {open === 'replay' && <MarkedReplayDialog ids={ids} onClose={() => setOpen(null)} />}
      {open === 'export' && <ExportDialog onClose={() => setOpen(null)} />}
    </div>
  );
}

/** Replays the marked deliveries one after another, oldest first, to one target. */
function MarkedReplayDialog({ ids, onClose }: { ids: number[]; onClose: () => void }) {
  const [url, setUrl] = useState('');
  const [options, setOptions] = useState(NO_OPTIONS);
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [results, setResults] = useState<ReplayResult[] | null>(null);

  // Start from where the first delivery's endpoint was replayed to last time.
  const first = ids[0];
  useEffect(() => {
    if (first === undefined) return;
    let alive = true;
    getReplayDraft(first).then(
      (draft) => alive && setUrl((current) => (current === '' ? draft.url : current)),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [first]);

  const send = async () => {
    if (sending || url.trim() === '') return;
    setSending(true);
    setFailure(null);
    try {
      setResults(await replayDeliveries(ids, url.trim(), options));
    } catch (err) {
      setFailure(ApiError.from(err).message);
    } finally {
      setSending(false);
    }
  };

  const check = (key: keyof typeof options, label: string, title: string) => (
    <label className="lab-check" title={title}>
      <input
        type="checkbox"
        data-testid={`marked-opt-${key}`}
        checked={options[key]}
        onChange={(e) => setOptions((o) => ({ ...o, [key]: e.target.checked, ...(key === 'resign' && !e.target.checked ? { alsoPrevious: false } : {}) }))}
      />
      {label}
    </label>
  );

  return (
    <Modal title={`Replay ${ids.length} deliveries in order`} testId="marked-replay-dialog" onClose={onClose}>
          <p className="muted">
            Oldest first: {ids.map((id) => `#${id}`).join(', ')}. Each is sent as captured, with its own query, to the
            target below; the next waits for the previous one's answer.
          </p>
          <label className="field wide">
            <span className="field-label">Target URL</span>
            <input
              className="mono"
              data-testid="marked-replay-url"
              value={url}
              placeholder="http://localhost:3000/webhooks"
              onChange={(e) => setUrl(e.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
          </label>
          <div className="export-row">
            {check('resign', 'Re-sign', "Sign again with each endpoint's current secret (Fleiko: fresh timestamp)")}
            {check('newDeliveryId', 'New delivery ids', 'Fresh delivery and event ids, so an idempotent handler treats them as new')}
            {check('bumpAttempt', 'Bump attempt', "Add one to Fleiko's attempt header")}
          </div>
          <div className="export-row">
            <button
              type="button"
              className="btn btn-primary"
              data-testid="marked-replay-send"
              disabled={sending || url.trim() === ''}
              onClick={() => void send()}
            >
              {sending ? 'Sending…' : `Replay ${ids.length} in order`}
            </button>
          </div>
          {failure !== null && (
            <p className="lab-note err" role="alert">
              {failure}
            </p>
          )}
          {results && (
            <ol className="replay-many" data-testid="marked-replay-results">
              {results.map((r) => (
                <li key={r.record.id} data-testid="marked-replay-result" data-delivery={r.record.deliveryId ?? undefined}>
                  <span className={`replay-status tone-${outcome(r.record).tone}`}>{outcome(r.record).title}</span> #
                  {r.record.deliveryId} → r{r.record.id}
                  {r.record.error !== null && <span className="muted"> · {r.record.error}</span>}
                </li>
              ))}
            </ol>
          )}
    </Modal>
  );
}
