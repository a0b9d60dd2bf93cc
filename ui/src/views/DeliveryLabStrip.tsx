import { useState } from 'react';

import { ApiError } from '../api';
import { type ExportFormat, type ForwardResult, exportDeliveries, getDeliveryLab } from '../api/lab';
import { copyText } from '../components/clipboard';
import { useAsync } from '../state/useAsync';
import './lab.css';

/**
 * Under a delivery's facts: the answer it got, whether it was imported, what its forwards
 * got back from the target, and copy as curl / HAR / JSON.
 */
export function DeliveryLabStrip({ id, responseStatus, resyncGen }: { id: number; responseStatus: number | null; resyncGen: number }) {
  const lab = useAsync(() => getDeliveryLab(id), [id, resyncGen]);
  const [copied, setCopied] = useState<string | null>(null);
  /** Shown when the clipboard refuses, so the text can still be selected by hand. */
  const [manual, setManual] = useState<string | null>(null);

  const copy = async (format: ExportFormat, label: string) => {
    setManual(null);
    try {
      const text = await exportDeliveries([id], format);
      try {
        await copyText(text);
        setCopied(`${label} copied`);
      } catch {
        setManual(text);
        setCopied(null);
      }
    } catch (err) {
      setCopied(`Copy failed: ${ApiError.from(err).message}`);
    }
  };

  // The stored answer wins: a proxied delivery's status is only known after its forward.
  const given = lab.status === 'ok' ? (lab.value.responseStatus ?? responseStatus) : responseStatus;
  return (
    <div className="lab-strip" data-testid="delivery-lab">
      <span className="lab-chip" data-testid="response-given" title="The status Hookscope answered the sender with">
        Answered {given ?? '—'}
      </span>
      {lab.status === 'ok' && lab.value.imported && (
        <span className="lab-chip" data-testid="imported-badge" title="Imported from a HAR file, not captured live">
          Imported
        </span>
      )}
      <button type="button" className="btn btn-ghost" data-testid="copy-curl-button" onClick={() => void copy('curl', 'curl command')}>
        Copy as curl
      </button>
      <button type="button" className="btn btn-ghost" data-testid="copy-har-button" onClick={() => void copy('har', 'HAR')}>
        Copy as HAR
      </button>
      <button type="button" className="btn btn-ghost" data-testid="copy-json-button" onClick={() => void copy('json', 'JSON')}>
        Copy as JSON
      </button>
      {copied && (
        <span className="muted" role="status" data-testid="copy-status">
          {copied}
        </span>
      )}
      {manual !== null && (
        <textarea className="mono lab-forward" readOnly rows={4} value={manual} data-testid="copy-manual" aria-label="Export text to copy" />
      )}
      {lab.status === 'error' && (
        <span className="lab-chip bad" role="alert">
          Forwards unavailable: {lab.error.message}
        </span>
      )}
      {lab.status === 'ok' && lab.value.forwards.map((f) => <ForwardCard key={f.record.id} result={f} />)}
    </div>
  );
}

function ForwardCard({ result }: { result: ForwardResult }) {
  const { record } = result;
  const ok = record.error === null && record.status !== null && record.status < 400;
  return (
    <div className="lab-forward" data-testid="forward-result">
      <div className="export-row">
        <strong>Forwarded</strong>
        <code>
          {record.method} {record.url}
        </code>
        <span className={`lab-chip ${ok ? '' : 'bad'}`} data-testid="forward-status">
          {record.error !== null ? 'no answer' : `target answered ${record.status ?? '—'}`}
        </span>
        <span className="muted">{record.durationMs} ms</span>
      </div>
      {record.error !== null ? (
        <p className="lab-note err" data-testid="forward-error">
          {record.error}
        </p>
      ) : (
        <pre className="mono" data-testid="forward-body">
          {result.responseText === '' ? '(empty body)' : result.responseText}
          {result.responseTextCut && '\n… (shown up to 64 KiB; the whole answer is stored)'}
        </pre>
      )}
    </div>
  );
}
