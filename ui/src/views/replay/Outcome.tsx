import { type OutboundRecord, getOutboundBodies } from '../../api';
import { formatSize } from '../../format/size';
import { formatDateTime } from '../../format/time';
import { outcome } from '../../state/replayForm';
import { useAsync } from '../../state/useAsync';

/** A recorded exchange: verdict, timing, the error in words, the answer's headers and body. */
export function Outcome({ record, notes }: { record: OutboundRecord; notes: string[] }) {
  const verdict = outcome(record);
  const bodies = useAsync(() => getOutboundBodies(record.id), [record.id]);
  return (
    <div className={`replay-outcome tone-${verdict.tone}`} data-testid="replay-result">
      <div className="replay-outcome-head">
        <span className={`replay-status tone-${verdict.tone}`} data-testid="replay-status">
          {verdict.title}
        </span>
        <code className="replay-target" title={record.url}>
          {record.method} {record.url}
        </code>
        <span className="spacer" />
        <span className="muted" data-testid="replay-duration">
          {record.durationMs} ms · {formatDateTime(record.at)} · r{record.id}
        </span>
      </div>
      {record.error !== null && (
        <p className="replay-error" role="alert" data-testid="replay-error">
          {record.error}
        </p>
      )}
      {notes.length > 0 && (
        <ul className="replay-notes" data-testid="replay-notes">
          {notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {record.error === null && (
        <>
          <h4>Response headers</h4>
          <table className="headers-table replay-headers-table">
            <tbody>
              {record.responseHeaders.map(([n, v], i) => (
                <tr key={i}>
                  <td className="h-name">{n}</td>
                  <td className="h-value">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>
            Response body <span className="muted">({formatSize(record.responseBodySize)})</span>
          </h4>
          {bodies.status === 'ok' ? (
            <>
              {(bodies.value.response.cut || bodies.value.responseTruncated) && (
                <p className="replay-note" data-testid="replay-truncated">
                  {bodies.value.responseTruncated
                    ? 'The answer was over 10 MiB: only the first 10 MiB were kept'
                    : 'The answer is stored in full'}
                  {bodies.value.response.cut ? `; showing the first ${formatSize(bodies.value.response.text.length)}.` : '.'}
                </p>
              )}
              <pre className="replay-body" data-testid="replay-response-body">
                {bodies.value.response.binary ? `(${formatSize(bodies.value.response.size)} of binary data)` : bodies.value.response.text}
              </pre>
            </>
          ) : bodies.status === 'error' ? (
            <p className="replay-error">Could not load the body: {bodies.error.message}</p>
          ) : (
            <p className="muted">Loading…</p>
          )}
        </>
      )}
    </div>
  );
}
