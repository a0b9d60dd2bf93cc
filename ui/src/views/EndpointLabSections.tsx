import { useEffect, useState } from 'react';

import { ApiError } from '../api';
import { type EndpointLab, getEndpointLab, setEndpointForward, setEndpointResponse } from '../api/lab';
import {
  type ForwardForm,
  type LabErrors,
  type ResponseForm,
  describeRule,
  forwardForm,
  responseForm,
  toForward,
  toRule,
} from '../state/labForm';
import './lab.css';

type Note = { kind: 'ok' | 'err'; text: string } | null;

/** "Response" and "Forward to" sections of an existing endpoint's settings; each saves on its own. */
export function EndpointLabSections({ endpointId }: { endpointId: number }) {
  const [lab, setLab] = useState<EndpointLab | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [response, setResponse] = useState<ResponseForm>(() => responseForm(null));
  const [forward, setForward] = useState<ForwardForm>(() => forwardForm(null));
  const [errors, setErrors] = useState<LabErrors>({});
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);

  useEffect(() => {
    let alive = true;
    getEndpointLab(endpointId).then(
      (value) => {
        if (!alive) return;
        setLab(value);
        setResponse(responseForm(value));
        setForward(forwardForm(value));
      },
      (err: unknown) => alive && setLoadError(ApiError.from(err).message),
    );
    return () => {
      alive = false;
    };
  }, [endpointId]);

  if (loadError) {
    return (
      <div className="detail-error" role="alert">
        Could not load response settings: {loadError}
      </div>
    );
  }
  if (!lab) return <div className="detail-loading">Loading response settings…</div>;

  /** Saves one section, then shows it as stored (normalised); the other keeps its edits. */
  const run = async (what: string, action: () => Promise<EndpointLab>, show: (saved: EndpointLab) => void) => {
    setBusy(true);
    setNote(null);
    try {
      const saved = await action();
      setLab(saved);
      show(saved);
      setNote({ kind: 'ok', text: `${what} saved; the listener uses it within a second.` });
    } catch (err) {
      setNote({ kind: 'err', text: ApiError.from(err).message });
    } finally {
      setBusy(false);
    }
  };

  const saveResponse = () => {
    const { rule, errors: found } = toRule(response);
    setErrors((e) => ({ ...e, status: found.status, headers: found.headers, delayMs: found.delayMs, sequence: found.sequence }));
    if (Object.keys(found).length > 0) return;
    void run('Response', () => setEndpointResponse(endpointId, rule), (saved) => setResponse(responseForm(saved)));
  };

  const saveForward = () => {
    const { forward: config, errors: found } = toForward(forward);
    setErrors((e) => ({ ...e, url: found.url, fallbackStatus: found.fallbackStatus, timeoutSecs: found.timeoutSecs }));
    if (Object.keys(found).length > 0) return;
    void run('Forwarding', () => setEndpointForward(endpointId, config), (saved) => setForward(forwardForm(saved)));
  };

  // The main Save does not cover these sections: say when one holds unsaved edits.
  const responsePending = JSON.stringify(response) !== JSON.stringify(responseForm(lab));
  const forwardPending = JSON.stringify(forward) !== JSON.stringify(forwardForm(lab));
  const r = (patch: Partial<ResponseForm>) => setResponse((f) => ({ ...f, ...patch }));
  const f = (patch: Partial<ForwardForm>) => setForward((v) => ({ ...v, ...patch }));

  return (
    <div className="lab-sections">
      <section className="lab-section" aria-labelledby="lab-response-title" data-testid="response-section">
        <header className="lab-head">
          <h3 id="lab-response-title">Response</h3>
          <span className="lab-current" data-testid="response-current">
            {describeRule(lab.rule)}
          </span>
        </header>
        <label className="lab-check">
          <input
            type="checkbox"
            data-testid="response-enabled"
            checked={response.enabled}
            onChange={(e) => r({ enabled: e.target.checked })}
          />
          Answer with a custom response
        </label>
        {response.enabled && (
          <div className="form-grid">
            <div className="field wide lab-kind" role="radiogroup" aria-label="Response kind">
              <label>
                <input type="radio" name="lab-kind" data-testid="response-kind-fixed" checked={response.kind === 'fixed'} onChange={() => r({ kind: 'fixed' })} />
                Fixed status
              </label>
              <label>
                <input
                  type="radio"
                  name="lab-kind"
                  data-testid="response-kind-sequence"
                  checked={response.kind === 'sequence'}
                  onChange={() => r({ kind: 'sequence' })}
                />
                Sequence per idempotency key
              </label>
            </div>
            {response.kind === 'fixed' ? (
              <label className="field">
                <span className="field-label">Status</span>
                <input inputMode="numeric" data-testid="response-status-input" value={response.status} onChange={(e) => r({ status: e.target.value })} aria-invalid={errors.status ? true : undefined} />
                {errors.status && <span className="field-error">{errors.status}</span>}
              </label>
            ) : (
              <label className="field">
                <span className="field-label">Statuses in turn</span>
                <input
                  className="mono"
                  data-testid="response-sequence-input"
                  value={response.sequence}
                  placeholder="500, 500, 200"
                  onChange={(e) => r({ sequence: e.target.value })}
                  aria-invalid={errors.sequence ? true : undefined}
                />
                {errors.sequence ? (
                  <span className="field-error">{errors.sequence}</span>
                ) : (
                  <span className="field-hint">The n-th delivery with the same key gets the n-th status; the last repeats.</span>
                )}
              </label>
            )}
            <label className="field">
              <span className="field-label">Delay</span>
              <span className="input-suffix">
                <input inputMode="numeric" data-testid="response-delay-input" value={response.delayMs} onChange={(e) => r({ delayMs: e.target.value })} aria-invalid={errors.delayMs ? true : undefined} />
                <span>ms</span>
              </span>
              {errors.delayMs && <span className="field-error">{errors.delayMs}</span>}
            </label>
            <label className="field wide">
              <span className="field-label">Headers</span>
              <textarea
                className="mono"
                rows={2}
                data-testid="response-headers-input"
                value={response.headers}
                placeholder="Retry-After: 30"
                onChange={(e) => r({ headers: e.target.value })}
                aria-invalid={errors.headers ? true : undefined}
                spellCheck={false}
              />
              {errors.headers && <span className="field-error">{errors.headers}</span>}
            </label>
            <label className="field wide">
              <span className="field-label">Body</span>
              <textarea
                className="mono"
                rows={3}
                data-testid="response-body-input"
                value={response.body}
                placeholder='empty: {"id": <delivery id>, "captured": true}'
                onChange={(e) => r({ body: e.target.value })}
                spellCheck={false}
              />
            </label>
          </div>
        )}
        <div className="lab-actions">
          {responsePending && (
            <span className="pending-note" data-testid="response-pending">
              Not saved yet
            </span>
          )}
          <button type="button" className="btn btn-ghost" data-testid="save-response-button" disabled={busy} onClick={saveResponse}>
            Save response
          </button>
        </div>
      </section>

      <section className="lab-section" aria-labelledby="lab-forward-title" data-testid="forward-section">
        <header className="lab-head">
          <h3 id="lab-forward-title">Forward to</h3>
          <span className="lab-current" data-testid="forward-current">
            {lab.forward ? `${lab.forward.url} (${lab.forward.mode})` : 'Not forwarding'}
          </span>
        </header>
        <label className="lab-check">
          <input type="checkbox" data-testid="forward-enabled" checked={forward.enabled} onChange={(e) => f({ enabled: e.target.checked })} />
          Forward each delivery on arrival to local code
        </label>
        {forward.enabled && (
          <div className="form-grid">
            <label className="field wide">
              <span className="field-label">Target URL</span>
              <input
                className="mono"
                data-testid="forward-url-input"
                value={forward.url}
                placeholder="http://localhost:3000/webhooks/fleiko"
                onChange={(e) => f({ url: e.target.value })}
                aria-invalid={errors.url ? true : undefined}
                spellCheck={false}
                autoComplete="off"
              />
              {errors.url ? (
                <span className="field-error">{errors.url}</span>
              ) : (
                <span className="field-hint">The part of the path below the endpoint&apos;s prefix and the query are appended.</span>
              )}
            </label>
            <label className="field">
              <span className="field-label">Provider gets</span>
              <select data-testid="forward-mode-select" value={forward.mode} onChange={(e) => f({ mode: e.target.value === 'rule' ? 'rule' : 'proxy' })}>
                <option value="proxy">the target&apos;s response (proxy)</option>
                <option value="rule">the Response above (forward in background)</option>
              </select>
            </label>
            <label className="field">
              <span className="field-label">Fallback status</span>
              <input
                inputMode="numeric"
                data-testid="forward-fallback-input"
                value={forward.fallbackStatus}
                onChange={(e) => f({ fallbackStatus: e.target.value })}
                aria-invalid={errors.fallbackStatus ? true : undefined}
              />
              {errors.fallbackStatus ? (
                <span className="field-error">{errors.fallbackStatus}</span>
              ) : (
                <span className="field-hint">When the target is down or too slow (proxy).</span>
              )}
            </label>
            <label className="field">
              <span className="field-label">Timeout</span>
              <span className="input-suffix">
                <input
                  inputMode="decimal"
                  data-testid="forward-timeout-input"
                  value={forward.timeoutSecs}
                  onChange={(e) => f({ timeoutSecs: e.target.value })}
                  aria-invalid={errors.timeoutSecs ? true : undefined}
                />
                <span>s</span>
              </span>
              {errors.timeoutSecs && <span className="field-error">{errors.timeoutSecs}</span>}
            </label>
          </div>
        )}
        <div className="lab-actions">
          {forwardPending && (
            <span className="pending-note" data-testid="forward-pending">
              Not saved yet
            </span>
          )}
          <button type="button" className="btn btn-ghost" data-testid="save-forward-button" disabled={busy} onClick={saveForward}>
            Save forwarding
          </button>
        </div>
      </section>
      {note && (
        <p className={`lab-note ${note.kind}`} role={note.kind === 'err' ? 'alert' : 'status'} data-testid="lab-status">
          {note.text}
        </p>
      )}
    </div>
  );
}
