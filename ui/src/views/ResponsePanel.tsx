import { useMemo } from 'react';

import { type BodyPreview, type DeliveryResponses, type RecordedResponse, type ResponseSource, type TargetResponse, getDeliveryResponses } from '../api';
import { StatusBadge } from '../components/Badges';
import { CopyButton } from '../components/CopyButton';
import { headersAsText } from '../format/http';
import { formatBytesExact } from '../format/size';
import { useAsync } from '../state/useAsync';
import { LoadedBody } from './BodyPanel';

/** How long after arrival a missing answer is looked for again: the writer records it just after the delivery. */
const RECORDING_GRACE_MS = 10_000;
const RETRY_MS = 300;

const SOURCE_WORDS: Record<ResponseSource, string> = {
  default: "Hookscope's default answer",
  rule: "the endpoint's response rule",
  sequence: "a step of the endpoint's sequence",
  refusal: 'Hookscope refusing the body',
  proxy: 'your target, passed on (proxy mode)',
  fallback: 'the fallback status: your target gave no answer',
  imported: 'the imported HAR file',
};

/**
 * The delivery's answers. The writer records the answer just after the delivery itself, so one
 * opened the moment it arrives may have none yet: look again for a few seconds.
 */
async function loadResponses(id: number, receivedAt: number): Promise<DeliveryResponses> {
  for (;;) {
    const value = await getDeliveryResponses(id);
    if (value.response !== null || Date.now() - receivedAt > RECORDING_GRACE_MS) return value;
    await new Promise((resolve) => window.setTimeout(resolve, RETRY_MS));
  }
}

/** The answer the sender got, and in forward mode what the user's target answered Hookscope. */
export function ResponsePanel({ id, receivedAt, resyncGen }: { id: number; receivedAt: number; resyncGen: number }) {
  const loaded = useAsync(() => loadResponses(id, receivedAt), [id, receivedAt, resyncGen]);
  if (loaded.status === 'error') {
    return (
      <div className="detail-error" role="alert">
        Could not load the response: {loaded.error.message}
      </div>
    );
  }
  if (loaded.status === 'loading') return <div className="detail-loading">Loading response…</div>;
  return <Responses value={loaded.value} />;
}

function Responses({ value }: { value: DeliveryResponses }) {
  const { response, forwardResponse } = value;
  return (
    <div className="response-view" data-testid="response-panel">
      {response ? (
        <Given response={response} />
      ) : (
        <p className="body-note-block" data-testid="response-missing">
          The answer was not recorded: this delivery was stored before Hookscope recorded answers.
        </p>
      )}
      {forwardResponse && <Target target={forwardResponse} />}
    </div>
  );
}

function Given({ response }: { response: RecordedResponse }) {
  return (
    <section className="response-section" aria-label="Answer given" data-testid="response-given-section">
      <div className="panel-toolbar">
        <strong>Answered</strong>
        <StatusBadge status={response.status} />
        <span className="response-status" data-testid="response-status">
          {response.status} {response.reason}
        </span>
        <span className="muted" data-testid="response-source">
          from {SOURCE_WORDS[response.source]}
        </span>
      </div>
      <ResponseHeaders headers={response.headers} testId="response-header" />
      {response.truncated && (
        <div className="body-note" role="note" data-testid="response-truncated">
          Truncated: the first {formatBytesExact(response.body.size)} of {formatBytesExact(response.bodySize)} were kept.
        </div>
      )}
      <ResponseBody body={response.body} headers={response.headers} testId="response-body" />
    </section>
  );
}

function Target({ target }: { target: TargetResponse }) {
  return (
    <section className="response-section" aria-label="Target's answer" data-testid="forward-response-section">
      <div className="panel-toolbar">
        <strong>Your target answered</strong>
        <StatusBadge status={target.status} />
        <span className="response-status" data-testid="forward-response-status">
          {target.error !== null ? 'no answer' : `${target.status ?? '—'} ${target.reason}`}
        </span>
        <code className="response-url" title={target.url}>
          {target.method} {target.url}
        </code>
        <span className="muted">{target.durationMs} ms</span>
      </div>
      {target.error !== null ? (
        <p className="body-note-block" data-testid="forward-response-error">
          {target.error}
        </p>
      ) : (
        <>
          <ResponseHeaders headers={target.headers} testId="forward-response-header" />
          {target.truncated && (
            <div className="body-note" role="note">
              Truncated: the target's answer was longer than the record keeps; the first {formatBytesExact(target.body.size)} were kept.
            </div>
          )}
          <ResponseBody body={target.body} headers={target.headers} testId="forward-response-body" />
        </>
      )}
    </section>
  );
}

function ResponseHeaders({ headers, testId }: { headers: Array<[string, string]>; testId: string }) {
  return (
    <div className="response-headers">
      <div className="panel-toolbar">
        <span className="muted">
          {headers.length} {headers.length === 1 ? 'header' : 'headers'}, in the order sent
        </span>
        <span className="spacer" />
        <CopyButton text={() => headersAsText(headers)} label="Copy all" title="Copy all headers as text" />
      </div>
      <table className="headers-table">
        <tbody>
          {headers.map(([name, value], i) => (
            <tr key={i} data-testid={testId}>
              <td className="h-name">{name}</td>
              <td className="h-value">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The kept body through the request body's viewer; bytes that are not text get a note instead. */
function ResponseBody({ body, headers, testId }: { body: BodyPreview; headers: Array<[string, string]>; testId: string }) {
  const contentType = headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? null;
  const bytes = useMemo(() => new TextEncoder().encode(body.text), [body.text]);
  return (
    <div className="response-body" data-testid={testId}>
      {body.binary ? (
        <p className="body-note-block">Binary body ({formatBytesExact(body.size)}): not valid UTF-8 text.</p>
      ) : (
        <LoadedBody bytes={bytes} contentType={contentType} />
      )}
    </div>
  );
}
