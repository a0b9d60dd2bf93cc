import { useEffect, useMemo, useState } from 'react';

import {
  ApiError,
  type CheckComparison,
  type CheckExchange,
  type CheckResult,
  type HandlerCheckReport,
  type ProviderId,
  type RunSummary,
  compareHandlerCheckRuns,
  getHandlerCheckRun,
  getOutboundBodies,
  getOutboundRecord,
  listEndpointSettings,
  listHandlerCheckRuns,
  runHandlerCheck,
} from '../api';
import { StatusBadge } from '../components/Badges';
import { Modal } from '../components/Modal';
import { ShieldIcon } from '../components/icons';
import { PROVIDERS, PROVIDER_NAMES, asProviderId } from '../format/provider';
import { formatDateTime } from '../format/time';
import {
  CHANGE_LABEL,
  OUTCOME_LABEL,
  changeOf,
  checkLabel,
  comparePair,
  countsLine,
  outcomeTone,
  parseTimeout,
  previousRun,
  sortComparison,
} from '../state/handlerCheck';
import { useStore } from '../state/store';
import { useAsync } from '../state/useAsync';
import { LoadedBody } from './BodyPanel';
import './handlerCheck.css';

const DEFAULT_URL = 'http://localhost:3000/webhooks';
/** The last handler checked, so "run again after my fix" is one click. */
const URL_KEY = 'hookscope.handlerCheckUrl';

function lastUrl(): string {
  try {
    return window.localStorage.getItem(URL_KEY) || DEFAULT_URL;
  } catch {
    return DEFAULT_URL;
  }
}

interface Props {
  onClose: () => void;
  /** Shows a captured delivery's Replay tab in the inspector. */
  onOpenReplay: (deliveryId: number) => void;
}

/**
 * Handler check: sends the provider's battery of correct and broken deliveries to the user's own
 * handler, signed with an endpoint's stored secrets (which never reach the page), and shows the
 * scorecard, past runs and what changed between two runs.
 */
export function HandlerCheckDialog({ onClose, onOpenReplay }: Props) {
  const { state } = useStore();
  const endpoints = useAsync(() => listEndpointSettings(), []);
  const signers = endpoints.status === 'ok' ? endpoints.value.filter((e) => e.secretLabels.length > 0) : [];
  const [endpointId, setEndpointId] = useState<number | null>(null);
  const signer = signers.find((e) => e.id === endpointId) ?? signers[0];
  const [providerChoice, setProviderChoice] = useState<ProviderId | null>(null);
  const provider: ProviderId = providerChoice ?? asProviderId(signer?.provider) ?? 'fleiko';
  const [url, setUrl] = useState(lastUrl);
  const [timeoutText, setTimeoutText] = useState('');
  const timeout = parseTimeout(timeoutText);
  const selected = state.selectedId;
  const [useSelected, setUseSelected] = useState(false);
  const [retries, setRetries] = useState(false);

  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [report, setReport] = useState<HandlerCheckReport | null>(null);
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [runsGen, setRunsGen] = useState(0);

  useEffect(() => {
    let alive = true;
    listHandlerCheckRuns().then(
      (list) => alive && setRuns(list),
      (err: unknown) => alive && setFailure(ApiError.from(err).message),
    );
    return () => {
      alive = false;
    };
  }, [runsGen]);

  const run = async () => {
    if (running || !signer || timeout.error !== null) return;
    setRunning(true);
    setFailure(null);
    try {
      window.localStorage.setItem(URL_KEY, url.trim());
    } catch {
      // Storage may be unavailable; the field just starts from the default next time.
    }
    try {
      const result = await runHandlerCheck({
        provider,
        target: url.trim(),
        endpointId: signer.id,
        only: null,
        timeoutSecs: timeout.secs,
        retries,
        timeScale: null,
        fromDeliveryId: useSelected ? selected : null,
      });
      setReport(result);
      setRunsGen((g) => g + 1);
    } catch (err) {
      setFailure(ApiError.from(err).message);
    } finally {
      setRunning(false);
    }
  };

  const openRun = async (id: number) => {
    setFailure(null);
    try {
      setReport(await getHandlerCheckRun(id));
    } catch (err) {
      setFailure(ApiError.from(err).message);
    }
  };

  const noSigner = endpoints.status === 'ok' && signers.length === 0;

  return (
    <Modal
      title="Handler check"
      subtitle="prove your own handler against the provider's documented contract"
      className="check-dialog"
      testId="check-dialog"
      closeTestId="check-close"
      onClose={onClose}
      footer={
        <>
          {running && <span className="muted">Sending the battery; a slow handler takes up to the timeout per request…</span>}
          <span className="spacer" />
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="btn btn-primary"
            data-testid="check-run"
            disabled={running || !signer || timeout.error !== null || url.trim() === ''}
            onClick={() => void run()}
          >
            {running ? 'Running…' : 'Run'}
          </button>
        </>
      }
    >
      <div className="check-layout">
        <div className="check-side">
          <div className="check-form">
            <label>
              Endpoint (its secrets sign)
              <select
                data-testid="check-endpoint"
                value={signer?.id ?? ''}
                disabled={signers.length === 0}
                onChange={(e) => {
                  setEndpointId(Number(e.target.value));
                  setProviderChoice(null);
                }}
              >
                {signers.length === 0 && <option value="">no endpoint has a secret</option>}
                {signers.map((e) => (
                  <option key={e.id} value={e.id}>
                    {e.name} ({e.pathPrefix})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Provider
              <select data-testid="check-provider" value={provider} onChange={(e) => setProviderChoice(e.target.value as ProviderId)}>
                {PROVIDERS.map((p) => (
                  <option key={p} value={p}>
                    {PROVIDER_NAMES[p]}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Your handler's URL
              <input data-testid="check-url" value={url} onChange={(e) => setUrl(e.target.value)} spellCheck={false} />
            </label>
            <label>
              Timeout, seconds
              <input
                data-testid="check-timeout"
                value={timeoutText}
                placeholder="the provider's own"
                inputMode="decimal"
                onChange={(e) => setTimeoutText(e.target.value)}
              />
              {timeout.error !== null && <span className="replay-error">{timeout.error}</span>}
            </label>
            <label className="check-toggle">
              <input
                type="checkbox"
                data-testid="check-from-selected"
                checked={useSelected && selected !== null}
                disabled={selected === null}
                onChange={(e) => setUseSelected(e.target.checked)}
              />
              {selected === null ? 'Build from a captured delivery (select one first)' : `Build from the selected delivery #${selected}`}
            </label>
            <label className="check-toggle">
              <input type="checkbox" data-testid="check-retries" checked={retries} onChange={(e) => setRetries(e.target.checked)} />
              Also play the provider's retry schedule (an hour per second)
            </label>
            {noSigner && (
              <p className="muted" data-testid="check-no-secret">
                Set a signing secret on an endpoint first (its gear in the sidebar): the check signs with it, and the secret
                never leaves the app.
              </p>
            )}
          </div>
          <RunList runs={runs} current={report?.runId ?? null} onOpen={(id) => void openRun(id)} />
        </div>
        <div className="check-main">
          {failure !== null && (
            <p className="replay-error" role="alert" data-testid="check-failure">
              {failure}
            </p>
          )}
          {report ? (
            <Scorecard key={report.runId} report={report} runs={runs} onOpenReplay={onOpenReplay} />
          ) : (
            <p className="muted check-empty">
              Run the battery, or open a past run. Each check sends a correctly signed or deliberately broken delivery and
              says what your handler did and what the provider would do about it.
            </p>
          )}
        </div>
      </div>
    </Modal>
  );
}

function RunList({ runs, current, onOpen }: { runs: RunSummary[]; current: number | null; onOpen: (id: number) => void }) {
  return (
    <section className="check-runs" aria-label="Past runs">
      <h4>Past runs</h4>
      {runs.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul data-testid="check-runs">
          {runs.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                className={`check-run ${r.id === current ? 'active' : ''}`}
                data-testid="check-run-item"
                data-run={r.id}
                onClick={() => onOpen(r.id)}
              >
                <span className={`check-pill tone-${r.passed ? 'ok' : 'error'}`}>{r.passed ? 'passed' : 'failed'}</span>
                <span className="check-run-text">
                  <span>
                    #{r.id} · {PROVIDER_NAMES[r.provider]}
                  </span>
                  <span className="muted">{formatDateTime(r.at)}</span>
                  <code title={r.target}>{r.target}</code>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Scorecard({
  report,
  runs,
  onOpenReplay,
}: {
  report: HandlerCheckReport;
  runs: RunSummary[];
  onOpenReplay: (deliveryId: number) => void;
}) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <div className="check-report" data-testid="check-report" data-run={report.runId}>
      <div className="check-report-head">
        <span className={`check-pill big tone-${report.passed ? 'ok' : 'error'}`} data-testid="check-verdict">
          {report.passed ? 'Every required check passed' : 'A required check failed'}
        </span>
        <span data-testid="check-counts">{countsLine(report.counts)}</span>
        <span className="spacer" />
        <span className="muted">
          run #{report.runId} · {formatDateTime(report.at)}
        </span>
      </div>
      <p className="muted check-facts" data-testid="check-facts">
        {PROVIDER_NAMES[report.provider]} <code>{report.event}</code> to <code>{report.target}</code>
        {report.fromDelivery !== null && <> · built from delivery #{report.fromDelivery}</>} · {report.timeoutNote}
      </p>
      {report.notes.length > 0 && (
        <ul className="replay-notes">
          {report.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      <ul className="check-rows">
        {report.results.map((r) => (
          <CheckRow
            key={r.id}
            result={r}
            expanded={open.has(r.id)}
            onToggle={() => toggle(r.id)}
            onOpenReplay={() => {
              if (report.fromDelivery !== null) onOpenReplay(report.fromDelivery);
              else if (!open.has(r.id)) toggle(r.id);
            }}
            replayable={report.fromDelivery !== null}
          />
        ))}
      </ul>
      {report.retry && (
        <section className="check-retry" data-testid="check-retry">
          <h4>Retry simulation</h4>
          <p>{report.retry.summary}</p>
          <p className="muted">
            {report.retry.schedule} · time scale {report.retry.timeScale}×
          </p>
          <table className="headers-table">
            <tbody>
              {report.retry.attempts.map((a) => (
                <tr key={a.attempt}>
                  <td className="h-name">attempt {a.attempt}</td>
                  <td>+{a.atSecs} s</td>
                  <td>
                    <StatusBadge status={a.exchange.status} />
                  </td>
                  <td className="h-value">{a.exchange.reading.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Compare current={report.runId} runs={runs} />
    </div>
  );
}

function CheckRow({
  result,
  expanded,
  onToggle,
  onOpenReplay,
  replayable,
}: {
  result: CheckResult;
  expanded: boolean;
  onToggle: () => void;
  onOpenReplay: () => void;
  replayable: boolean;
}) {
  const first = result.exchanges[0];
  return (
    <li className={`check-row tone-${outcomeTone(result.outcome)}`} data-testid="check-row" data-check={result.id} data-outcome={result.outcome}>
      <div className="check-row-head">
        <button type="button" className="check-row-toggle" aria-expanded={expanded} data-testid="check-row-toggle" onClick={onToggle}>
          <span className={`check-pill tone-${outcomeTone(result.outcome)}`} data-testid="check-outcome">
            {OUTCOME_LABEL[result.outcome]}
          </span>
          <span className="check-title">
            {result.title}
            {!result.required && <span className="muted"> (advisory)</span>}
          </span>
          <span className="check-summary">{result.summary}</span>
        </button>
        {result.exchanges.length > 0 && (
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            data-testid="check-open-replay"
            title={replayable ? 'Open the captured delivery this run was built from in Replay' : 'Show the request sent and the answer'}
            onClick={onOpenReplay}
          >
            {replayable ? 'Open in Replay' : 'Show request'}
          </button>
        )}
      </div>
      {!expanded && first && <p className="check-reading muted">{first.reading.text}</p>}
      {expanded && (
        <div className="check-detail" data-testid="check-detail">
          <p>
            <strong>A correct handler:</strong> {result.expected}
          </p>
          <p>
            <strong>Why:</strong> {result.why} <span className="muted">({result.source})</span>
          </p>
          {result.notes.map((n, i) => (
            <p key={i} className="replay-note">
              {n}
            </p>
          ))}
          {result.exchanges.map((x) => (
            <Exchange key={x.recordId} exchange={x} />
          ))}
        </div>
      )}
    </li>
  );
}

function contentTypeOf(headers: Array<[string, string]>): string | null {
  return headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? null;
}

function Exchange({ exchange }: { exchange: CheckExchange }) {
  const record = useAsync(() => getOutboundRecord(exchange.recordId), [exchange.recordId]);
  const bodies = useAsync(() => getOutboundBodies(exchange.recordId), [exchange.recordId]);
  return (
    <div className="check-exchange" data-testid="check-exchange" data-record={exchange.recordId}>
      <div className="check-exchange-head">
        <span className={`check-pill tone-${outcomeTone(exchange.outcome)}`}>{OUTCOME_LABEL[exchange.outcome]}</span>
        <strong>{exchange.label}</strong>
        <StatusBadge status={exchange.status} />
        <span>{exchange.said}</span>
        <span className="spacer" />
        <span className="muted">
          {exchange.durationMs} ms · r{exchange.recordId}
        </span>
      </div>
      <p className="check-reading" data-testid="check-reading">
        <ShieldIcon /> {exchange.reading.text} <span className="muted">({exchange.reading.source})</span>
      </p>
      {record.status === 'ok' ? (
        <div className="check-exchange-body">
          <section>
            <h4>Request sent</h4>
            <code className="replay-target" data-testid="check-request-line">
              {record.value.method} {record.value.url}
            </code>
            <Headers headers={record.value.requestHeaders} />
            {bodies.status === 'ok' && <Body preview={bodies.value.request} contentType={contentTypeOf(record.value.requestHeaders)} />}
          </section>
          <section>
            <h4>Response received</h4>
            <div data-testid="check-response-status">
              {record.value.error !== null ? (
                <span className="replay-error">{record.value.error}</span>
              ) : (
                <>
                  <StatusBadge status={record.value.status} /> in {record.value.durationMs} ms
                </>
              )}
            </div>
            <Headers headers={record.value.responseHeaders} />
            {bodies.status === 'ok' && record.value.error === null && (
              <Body preview={bodies.value.response} contentType={contentTypeOf(record.value.responseHeaders)} />
            )}
          </section>
        </div>
      ) : record.status === 'error' ? (
        <p className="replay-error">Could not load the record: {record.error.message}</p>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </div>
  );
}

function Headers({ headers }: { headers: Array<[string, string]> }) {
  return (
    <table className="headers-table replay-headers-table">
      <tbody>
        {headers.map(([n, v], i) => (
          <tr key={i}>
            <td className="h-name">{n}</td>
            <td className="h-value">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Body({ preview, contentType }: { preview: { text: string; size: number; cut: boolean; binary: boolean }; contentType: string | null }) {
  const bytes = useMemo(() => new TextEncoder().encode(preview.text), [preview.text]);
  if (preview.binary) return <p className="muted">({preview.size} bytes of binary data)</p>;
  if (preview.cut) {
    return (
      <>
        <p className="replay-note">Showing the first {preview.text.length} of {preview.size} bytes.</p>
        <pre className="replay-body">{preview.text}</pre>
      </>
    );
  }
  return <LoadedBody bytes={bytes} contentType={contentType} />;
}

function Compare({ current, runs }: { current: number; runs: RunSummary[] }) {
  const [other, setOther] = useState<number | null>(null);
  const against = other ?? previousRun(runs, current);
  const [rows, setRows] = useState<CheckComparison[] | null>(null);
  const [pair, setPair] = useState<{ before: number; after: number } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const candidates = runs.filter((r) => r.id !== current);
  if (candidates.length === 0) return null;

  const compare = async () => {
    const p = against === null ? null : comparePair(against, current);
    if (!p) return;
    setFailure(null);
    try {
      setRows(sortComparison(await compareHandlerCheckRuns(p.before, p.after)));
      setPair(p);
    } catch (err) {
      setFailure(ApiError.from(err).message);
    }
  };

  const moved = rows?.filter((r) => r.changed).length ?? 0;
  return (
    <section className="check-compare" data-testid="check-compare">
      <h4>Compare with another run</h4>
      <div className="check-compare-line">
        <select data-testid="check-compare-run" value={against ?? ''} onChange={(e) => setOther(Number(e.target.value))}>
          {candidates.map((r) => (
            <option key={r.id} value={r.id}>
              #{r.id} · {PROVIDER_NAMES[r.provider]} · {formatDateTime(r.at)} · {r.passed ? 'passed' : 'failed'}
            </option>
          ))}
        </select>
        <button type="button" className="btn btn-sm" data-testid="check-compare-button" disabled={against === null} onClick={() => void compare()}>
          Compare
        </button>
      </div>
      {failure !== null && <p className="replay-error">{failure}</p>}
      {rows && pair && (
        <>
          <p data-testid="check-compare-summary">
            From run #{pair.before} to run #{pair.after}: {moved === 0 ? 'no check changed state' : `${moved} check${moved === 1 ? '' : 's'} changed state`}.
          </p>
          <table className="check-compare-table" data-testid="check-compare-table">
            <thead>
              <tr>
                <th>Check</th>
                <th>#{pair.before}</th>
                <th>#{pair.after}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="check-compare-row" data-check={r.id} data-change={changeOf(r)} className={r.changed ? 'moved' : ''}>
                  <td>{checkLabel(r.id)}</td>
                  <td>{r.before ? <span className={`check-pill tone-${outcomeTone(r.before)}`}>{OUTCOME_LABEL[r.before]}</span> : '—'}</td>
                  <td>{r.after ? <span className={`check-pill tone-${outcomeTone(r.after)}`}>{OUTCOME_LABEL[r.after]}</span> : '—'}</td>
                  <td className="muted">{CHANGE_LABEL[changeOf(r)]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
