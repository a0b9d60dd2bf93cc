import { useEffect, useMemo, useState } from 'react';

import type { FloviCall } from '../../api';
import { MethodBadge, StatusBadge } from '../../components/Badges';
import { CopyButton } from '../../components/CopyButton';
import { Facts } from '../../components/Facts';
import { ChevronIcon, RefreshIcon, RepeatIcon } from '../../components/icons';
import { JsonTree } from '../../components/JsonTree';
import { type Explanation, callSummary, callTime, formatDuration, urlPath } from '../../format/flovi';
import { tryParseJson } from '../../format/json';
import { formatDateTime } from '../../format/time';
import { Card, FloviErrorBox } from './FloviErrorBox';

/** Rows shown before "Show more". */
const PAGE = 50;

export function FloviHistory({
  calls,
  loadError,
  rerunning,
  rerunError,
  freshCall,
  onRefresh,
  onRerun,
  onDismissError,
}: {
  calls: FloviCall[] | null;
  loadError: string | null;
  rerunning: number | null;
  rerunError: Explanation | null;
  /** The call a re-run just made: opened and highlighted. */
  freshCall: number | null;
  onRefresh: () => void;
  onRerun: (id: number) => void;
  onDismissError: () => void;
}) {
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const [shown, setShown] = useState(PAGE);
  const [now, setNow] = useState(() => Date.now());

  // A re-run's new call opens by itself (state adjusted during render, not in an effect).
  const [seenFresh, setSeenFresh] = useState(freshCall);
  if (freshCall !== seenFresh) {
    setSeenFresh(freshCall);
    if (freshCall !== null) setOpen((o) => new Set(o).add(freshCall));
  }

  // Dates switch from "14:03:22" to "23 Apr 14:03" when the day changes.
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 60_000);
    return () => window.clearInterval(t);
  }, []);

  const toggle = (id: number) =>
    setOpen((o) => {
      const next = new Set(o);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <Card
      title="History"
      icon={<RepeatIcon />}
      testId="flovi-history"
      className="history-card"
      aside={
        <>
          {calls && <span className="muted">{calls.length === 1 ? '1 call' : `${calls.length} calls`}</span>}
          <button type="button" className="icon-btn" title="Refresh history" aria-label="Refresh history" onClick={onRefresh}>
            <RefreshIcon />
          </button>
        </>
      }
    >
      {rerunError && <FloviErrorBox error={rerunError} source="rerun" onDismiss={onDismissError} />}
      {loadError && (
        <p className="field-error" role="alert">
          Could not read the history: {loadError}
        </p>
      )}
      {calls === null ? (
        !loadError && <p className="flovi-empty">Loading…</p>
      ) : calls.length === 0 ? (
        <p className="flovi-empty">No calls yet. Loading offices or creating a schedule records the request and Flovi’s answer here.</p>
      ) : (
        <div className="history" role="table" aria-label="Flovi calls, newest first">
          <div className="history-head" role="row">
            <span role="columnheader" aria-label="Expand" />
            <span role="columnheader">Time</span>
            <span role="columnheader">Method</span>
            <span role="columnheader">Path</span>
            <span role="columnheader">Status</span>
            <span role="columnheader" className="num">
              Took
            </span>
            <span role="columnheader">Result</span>
            <span role="columnheader" aria-label="Actions" />
          </div>
          {calls.slice(0, shown).map((call) => (
            <HistoryRow
              key={call.id}
              call={call}
              now={now}
              open={open.has(call.id)}
              fresh={call.id === freshCall}
              busy={rerunning === call.id}
              disabled={rerunning !== null}
              onToggle={() => toggle(call.id)}
              onRerun={() => onRerun(call.id)}
            />
          ))}
          {calls.length > shown && (
            <div className="history-more">
              <button type="button" className="link-btn" onClick={() => setShown((s) => s + PAGE)}>
                Show {Math.min(PAGE, calls.length - shown)} more ({calls.length - shown} older)
              </button>
            </div>
          )}
        </div>
      )}
    </Card>
  );
}

function HistoryRow({
  call,
  now,
  open,
  fresh,
  busy,
  disabled,
  onToggle,
  onRerun,
}: {
  call: FloviCall;
  now: number;
  open: boolean;
  fresh: boolean;
  busy: boolean;
  disabled: boolean;
  onToggle: () => void;
  onRerun: () => void;
}) {
  const summary = callSummary(call);
  const detailId = `flovi-call-${call.id}`;
  return (
    <div className={`history-item ${open ? 'open' : ''} ${fresh ? 'fresh' : ''}`}>
      <div
        className="history-row"
        role="row"
        data-testid="flovi-history-row"
        data-id={call.id}
        data-status={call.status ?? 'none'}
        onClick={onToggle}
      >
        <span role="cell">
          <button
            type="button"
            className={`j-toggle history-toggle ${open ? 'is-open' : ''}`}
            aria-expanded={open}
            aria-controls={detailId}
            aria-label={open ? 'Hide request and response' : 'Show request and response'}
            onClick={(e) => {
              e.stopPropagation();
              onToggle();
            }}
          >
            <ChevronIcon />
          </button>
        </span>
        <span role="cell" className="c-time" title={formatDateTime(call.at)}>
          {callTime(call.at, now)}
        </span>
        <span role="cell">
          <MethodBadge method={call.method} />
        </span>
        <span role="cell" className="history-path" title={call.url}>
          {urlPath(call.url)}
        </span>
        <span role="cell">
          <StatusBadge status={call.status} />
        </span>
        <span role="cell" className="num history-took">
          {formatDuration(call.durationMs)}
        </span>
        <span role="cell" className={`history-summary ${summary.tone}`} title={summary.text}>
          {summary.text}
        </span>
        <span role="cell" className="history-actions">
          <button
            type="button"
            className="btn btn-sm"
            data-testid="flovi-rerun"
            data-id={call.id}
            disabled={disabled}
            title="Send this request again, with the current API key"
            onClick={(e) => {
              e.stopPropagation();
              onRerun();
            }}
          >
            <RepeatIcon className={busy ? 'spin' : undefined} />
            {busy ? 'Running…' : 'Re-run'}
          </button>
        </span>
      </div>
      {open && <CallDetail call={call} id={detailId} />}
    </div>
  );
}

function CallDetail({ call, id }: { call: FloviCall; id: string }) {
  return (
    <div className="call-detail" id={id} data-testid="flovi-call-detail">
      <div className="call-url">
        <MethodBadge method={call.method} />
        <code>{call.url}</code>
        <CopyButton text={call.url} title="Copy URL" />
      </div>
      <Facts
        items={[
          ['Sent', formatDateTime(call.at)],
          ['Took', formatDuration(call.durationMs)],
          ['Status', call.status === null ? 'no response' : String(call.status)],
          call.scheduleId !== null && [
            'Schedule id',
            <span key="s" className="mono-value">
              <code>{call.scheduleId}</code>
              <CopyButton text={call.scheduleId} title="Copy schedule id" />
            </span>,
          ],
        ]}
      />
      {call.completionLink !== null && (
        <div className="call-url call-link">
          <span className="result-label">Completion link</span>
          <code data-testid="flovi-call-completion-link">{call.completionLink}</code>
          <CopyButton text={call.completionLink} title="Copy the completion link" testId="flovi-call-copy-link" />
        </div>
      )}
      {call.error && <pre className="call-error">{call.error}</pre>}
      <div className="call-bodies">
        <BodyBlock title="Request body" text={call.requestBody} empty={call.method === 'GET' ? 'none (GET)' : 'none'} />
        <BodyBlock
          title={call.status === null ? 'Response' : `Response body · ${call.status}`}
          text={call.responseBody}
          empty={call.status === null ? 'no response' : 'empty'}
        />
      </div>
    </div>
  );
}

/** A body as a JSON tree when it parses, else as plain text; never as markup. */
function BodyBlock({ title, text, empty }: { title: string; text: string | null; empty: string }) {
  const tree = useMemo(() => (text === null ? null : tryParseJson(text, false)), [text]);
  return (
    <section className="call-body">
      <header className="call-body-head">
        <span>{title}</span>
        {text !== null && text !== '' && <CopyButton text={text} title={`Copy ${title.toLowerCase()}`} />}
      </header>
      {text === null || text === '' ? (
        <div className="call-body-empty">{empty}</div>
      ) : tree ? (
        <JsonTree root={tree} />
      ) : (
        <pre className="raw-text">{text}</pre>
      )}
    </section>
  );
}
