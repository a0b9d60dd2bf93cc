import { useState } from 'react';

import {
  ApiError,
  type DeliverySummary,
  type DiffSide,
  type OutboundRecord,
  type ReplayDraft,
  diffDeliveries,
  getReplayDraft,
  type ReplayResult,
  listReplays,
  replayDeliveries,
  replayDelivery,
} from '../../api';
import { type ReplayForm, blockReason, formFromDraft, outcome, parseIds, toRequest } from '../../state/replayForm';
import { useAsync } from '../../state/useAsync';
import { CodeEditor } from './CodeEditor';
import { DiffView } from './DiffView';
import { Outcome } from './Outcome';
import './replay.css';

/** The delivery detail's Replay tab: edit, re-sign, send to the user's code, compare. */
export function ReplayPanel({ delivery }: { delivery: DeliverySummary }) {
  const draft = useAsync(() => getReplayDraft(delivery.id), [delivery.id]);
  if (draft.status === 'loading') return <div className="detail-loading">Loading…</div>;
  if (draft.status === 'error') {
    return (
      <div className="detail-error" role="alert">
        Could not prepare a replay: {draft.error.message}
      </div>
    );
  }
  return <Editor key={delivery.id} draft={draft.value} delivery={delivery} />;
}

type Compare = { a: DiffSide; b: DiffSide } | null;

function Editor({ draft, delivery }: { draft: ReplayDraft; delivery: DeliverySummary }) {
  const [form, setForm] = useState<ReplayForm>(() => formFromDraft(draft));
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [shown, setShown] = useState<{ record: OutboundRecord; notes: string[] } | null>(null);
  const [historyGen, setHistoryGen] = useState(0);
  const [compare, setCompare] = useState<Compare>(null);
  const [manyText, setManyText] = useState(String(delivery.id));
  const [many, setMany] = useState<ReplayResult[] | null>(null);
  const history = useAsync(() => listReplays(delivery.id), [delivery.id, historyGen]);
  const diff = useAsync(() => (compare ? diffDeliveries(compare.a, compare.b) : Promise.resolve(null)), [JSON.stringify(compare)]);

  const blocked = blockReason(draft, form);
  const set = (patch: Partial<ReplayForm>) => setForm((f) => ({ ...f, ...patch }));
  const option = (key: keyof ReplayForm['options'], value: boolean) =>
    setForm((f) => ({ ...f, options: { ...f.options, [key]: value, ...(key === 'resign' && !value ? { alsoPrevious: false } : {}) } }));

  const send = async () => {
    if (blocked !== null || sending) return;
    setSending(true);
    setFailure(null);
    try {
      const result = await replayDelivery(toRequest(draft, form));
      setShown({ record: result.record, notes: result.notes });
      setCompare(null);
      setHistoryGen((g) => g + 1);
    } catch (err) {
      setFailure(ApiError.from(err).message);
    } finally {
      setSending(false);
    }
  };

  const manyIds = parseIds(manyText);
  const sendMany = async () => {
    if (manyIds.error !== null || sending) return;
    setSending(true);
    setFailure(null);
    try {
      setMany(await replayDeliveries(manyIds.ids, form.url.trim(), form.options));
      setHistoryGen((g) => g + 1);
    } catch (err) {
      setFailure(ApiError.from(err).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="replay-panel" data-testid="replay-panel">
      <div className="replay-line">
        <input
          className="replay-method"
          data-testid="replay-method"
          aria-label="Method"
          value={form.method}
          onChange={(e) => set({ method: e.target.value.toUpperCase() })}
        />
        <input
          className="replay-url"
          data-testid="replay-url"
          aria-label="Target URL"
          placeholder="http://localhost:3000/webhooks"
          value={form.url}
          onChange={(e) => set({ url: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void send();
          }}
        />
        <button type="button" className="btn btn-primary" data-testid="replay-send" disabled={blocked !== null || sending} onClick={() => void send()}>
          {sending ? 'Sending…' : 'Send'}
        </button>
        <button type="button" className="btn btn-ghost" data-testid="replay-reset" onClick={() => setForm(formFromDraft(draft))}>
          Reset
        </button>
      </div>
      <p className="replay-hint muted">
        {draft.remembered ? 'The target last used for this endpoint.' : 'No target remembered for this endpoint yet: this one is remembered once sent.'}{' '}
        Host and Content-Length are recomputed.
      </p>
      <fieldset className="replay-options" aria-label="Replay options">
        <label title="Sign again with the endpoint's current secret (Fleiko: fresh timestamp). Otherwise the original signature is sent.">
          <input type="checkbox" data-testid="replay-opt-resign" checked={form.options.resign} disabled={!draft.canResign} onChange={(e) => option('resign', e.target.checked)} />
          Re-sign{!draft.canResign && <span className="muted"> (no secret)</span>}
        </label>
        <label title="Also sign with the previous secret, to test a rotation">
          <input
            type="checkbox"
            data-testid="replay-opt-previous"
            checked={form.options.alsoPrevious}
            disabled={!form.options.resign || !draft.hasPreviousSecret}
            onChange={(e) => option('alsoPrevious', e.target.checked)}
          />
          Also previous secret
        </label>
        <label title="A fresh delivery id (and event id in the payload), to test idempotency">
          <input type="checkbox" data-testid="replay-opt-new-id" checked={form.options.newDeliveryId} onChange={(e) => option('newDeliveryId', e.target.checked)} />
          New delivery id
        </label>
        <label title="Add one to the attempt header (Fleiko)">
          <input type="checkbox" data-testid="replay-opt-bump" checked={form.options.bumpAttempt} onChange={(e) => option('bumpAttempt', e.target.checked)} />
          Bump attempt
        </label>
        <label title="Send a body that is not valid JSON, on purpose">
          <input type="checkbox" data-testid="replay-opt-raw" checked={form.sendRaw} onChange={(e) => set({ sendRaw: e.target.checked })} />
          Send raw
        </label>
        {!form.options.resign && <span className="muted replay-keep">Original signature kept</span>}
      </fieldset>
      <div className="replay-columns">
        <label className="replay-block">
          <span className="replay-label">Headers</span>
          <textarea
            className="replay-headers"
            data-testid="replay-headers"
            spellCheck={false}
            value={form.headersText}
            // As tall as the headers (within reason), so the body editor stays in view.
            rows={Math.min(14, Math.max(4, form.headersText.split('\n').length + 1))}
            onChange={(e) => set({ headersText: e.target.value })}
          />
        </label>
        <div className="replay-block">
          <span className="replay-label">Body{draft.json && <span className="muted"> · JSON</span>}</span>
          {form.body === null ? (
            <p className="muted">The body is not text; it is sent exactly as stored.</p>
          ) : (
            <CodeEditor value={form.body} onChange={(body) => set({ body })} json={draft.json} testId="replay-body" label="Request body" />
          )}
        </div>
      </div>
      {blocked !== null && (
        <p className="replay-blocked" role="status" data-testid="replay-blocked">
          {blocked}
        </p>
      )}
      {failure !== null && (
        <p className="replay-error" role="alert" data-testid="replay-failure">
          {failure}
        </p>
      )}
      {shown && (
        <>
          <Outcome record={shown.record} notes={shown.notes} />
          <div className="replay-actions">
            <button
              type="button"
              className="btn btn-sm"
              data-testid="replay-diff-source"
              onClick={() => setCompare({ a: { kind: 'delivery', id: delivery.id }, b: { kind: 'outbound', id: shown.record.id } })}
            >
              Compare with source
            </button>
          </div>
        </>
      )}
      {delivery.duplicateOf !== null && (
        <div className="replay-actions">
          <button
            type="button"
            className="btn btn-sm"
            data-testid="replay-diff-original"
            onClick={() => setCompare({ a: { kind: 'delivery', id: delivery.duplicateOf ?? delivery.id }, b: { kind: 'delivery', id: delivery.id } })}
          >
            Compare with original #{delivery.duplicateOf}
          </button>
        </div>
      )}
      {compare &&
        (diff.status === 'ok' && diff.value ? (
          <DiffView diff={diff.value} />
        ) : diff.status === 'error' ? (
          <p className="replay-error">Could not compare: {diff.error.message}</p>
        ) : null)}
      <h4>Replay several, in order</h4>
      <div className="replay-line">
        <input
          className="replay-url"
          data-testid="replay-many-ids"
          aria-label="Delivery ids, in order"
          placeholder="e.g. 12, 13, 15"
          value={manyText}
          onChange={(e) => setManyText(e.target.value)}
        />
        <button type="button" className="btn" data-testid="replay-many-send" disabled={manyIds.error !== null || sending} onClick={() => void sendMany()}>
          Replay in order
        </button>
      </div>
      <p className="replay-hint muted">
        {manyIds.error ?? 'Each as captured, to the target above with its own query, with the options above; the edits apply only to Send.'}
      </p>
      {many && (
        <ol className="replay-many" data-testid="replay-many-results">
          {many.map((r) => (
            <li key={r.record.id}>
              <span className={`replay-status tone-${outcome(r.record).tone}`}>{outcome(r.record).title}</span> #{r.record.deliveryId} → r{r.record.id}
              {r.record.error !== null && <span className="muted"> · {r.record.error}</span>}
            </li>
          ))}
        </ol>
      )}
      <h4>Past replays</h4>
      {history.status === 'ok' && history.value.length === 0 && <p className="muted">None yet.</p>}
      {history.status === 'ok' && history.value.length > 0 && (
        <ul className="replay-history" data-testid="replay-history">
          {history.value.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className={`replay-history-row ${shown?.record.id === r.id ? 'active' : ''}`}
                data-testid="replay-history-row"
                title={r.url}
                onClick={() => {
                  setShown({ record: r, notes: [] });
                  setCompare({ a: { kind: 'delivery', id: delivery.id }, b: { kind: 'outbound', id: r.id } });
                }}
              >
                <span className={`replay-status tone-${r.error !== null ? 'error' : r.status !== null && r.status < 300 ? 'ok' : 'error'}`}>
                  {r.error !== null ? 'error' : r.status}
                </span>
                <code>{r.url}</code>
                <span className="muted">
                  r{r.id} · {r.durationMs} ms
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
