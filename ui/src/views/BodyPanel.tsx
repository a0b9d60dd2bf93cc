import { useMemo, useState } from 'react';

import type { DeliverySummary } from '../api';
import { CopyButton } from '../components/CopyButton';
import { HexView } from '../components/HexView';
import { JsonTree } from '../components/JsonTree';
import { type BodyView, type ClassifiedBody, classifyBody, defaultView, isFormContentType, parseForm } from '../format/body';
import { hexDump } from '../format/bytes';
import { formatJson } from '../format/json';
import { formatBytesExact, formatSize } from '../format/size';
import { loadBody } from '../state/cache';
import { useAsync } from '../state/useAsync';

/** Text beyond this is behind a "show all" button: a multi-megabyte text node makes layout crawl. */
const RAW_TEXT_CAP = 512 * 1024;
const HEX_COPY_CAP = 1024 * 1024;

const VIEW_LABELS: Record<BodyView, string> = { pretty: 'Pretty', raw: 'Raw', hex: 'Hex' };

export function BodyPanel({ summary }: { summary: DeliverySummary }) {
  const body = useAsync(() => loadBody(summary.id), [summary.id]);
  if (body.status === 'loading') return <div className="detail-loading">Loading body…</div>;
  if (body.status === 'error') {
    return (
      <div className="detail-error" role="alert">
        Could not load body: {body.error.message}
      </div>
    );
  }
  return <LoadedBody bytes={body.value} contentType={summary.contentType} />;
}

export function LoadedBody({ bytes, contentType }: { bytes: Uint8Array; contentType: string | null }) {
  const classified = useMemo(() => classifyBody(bytes, contentType), [bytes, contentType]);
  const [chosen, setChosen] = useState<BodyView | null>(null);
  const view = chosen ?? defaultView(classified);

  const copyText = (): string => {
    if (view === 'hex' || classified.kind === 'binary') return hexDump(bytes, HEX_COPY_CAP);
    if (classified.kind === 'empty') return '';
    if (view === 'pretty' && classified.kind === 'json') return formatJson(classified.json);
    return classified.text;
  };

  return (
    <div className="body-view">
      <div className="panel-toolbar">
        <div className="segmented" role="group" aria-label="Body view">
          {(['pretty', 'raw', 'hex'] as const).map((v) => (
            <button
              key={v}
              type="button"
              className={view === v ? 'active' : ''}
              aria-pressed={view === v}
              data-testid={`body-view-${v}`}
              onClick={() => setChosen(v)}
            >
              {VIEW_LABELS[v]}
            </button>
          ))}
        </div>
        <span className="body-kind">{kindLabel(classified, contentType)}</span>
        <span className="spacer" />
        <span className="muted" title={formatBytesExact(bytes.length)}>
          {formatSize(bytes.length)}
        </span>
        <CopyButton
          text={copyText}
          label="Copy"
          title={view === 'hex' || classified.kind === 'binary' ? 'Copy hex dump' : view === 'pretty' ? 'Copy formatted body' : 'Copy body'}
        />
      </div>
      <div className="body-content">
        {view === 'hex' ? (
          <HexView bytes={bytes} />
        ) : view === 'raw' ? (
          <RawText testId="body-raw" body={classified} bytes={bytes} />
        ) : (
          <Pretty body={classified} bytes={bytes} contentType={contentType} />
        )}
      </div>
    </div>
  );
}

function kindLabel(body: ClassifiedBody, contentType: string | null): string {
  const ct = contentType ?? 'no content type';
  switch (body.kind) {
    case 'empty':
      return 'empty';
    case 'binary':
      return `binary · ${ct}`;
    case 'json':
      return `JSON · ${ct}`;
    case 'text':
      return `text · ${ct}`;
  }
}

function Pretty({ body, bytes, contentType }: { body: ClassifiedBody; bytes: Uint8Array; contentType: string | null }) {
  if (body.kind === 'json') {
    return (
      <div className="body-scroll" data-testid="body-pretty">
        <JsonTree root={body.json} />
      </div>
    );
  }
  if (body.kind === 'text' && isFormContentType(contentType)) {
    const fields = parseForm(body.text);
    return (
      <div className="body-scroll" data-testid="body-pretty">
        <table className="headers-table form-table">
          <tbody>
            {fields.map(([k, v], i) => (
              <tr key={i}>
                <td className="h-name">{k}</td>
                <td className="h-value">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  if (body.kind === 'binary') {
    return (
      <div className="body-scroll" data-testid="body-pretty">
        <p className="body-note-block">
          Binary body ({formatBytesExact(bytes.length)}): not valid UTF-8 text, or it contains control bytes. The Hex
          view shows it byte for byte.
        </p>
      </div>
    );
  }
  return <RawText testId="body-pretty" body={body} bytes={bytes} />;
}

function RawText({ testId, body, bytes }: { testId: string; body: ClassifiedBody; bytes: Uint8Array }) {
  const [showAll, setShowAll] = useState(false);
  const text = useMemo(
    () => (body.kind === 'text' || body.kind === 'json' ? body.text : body.kind === 'binary' ? new TextDecoder().decode(bytes) : ''),
    [body, bytes],
  );
  const capped = !showAll && text.length > RAW_TEXT_CAP;
  return (
    <div className="body-scroll">
      {capped && (
        <div className="body-note">
          Showing the first {RAW_TEXT_CAP.toLocaleString('en-US')} of {text.length.toLocaleString('en-US')} characters.
          <button type="button" className="link-btn" onClick={() => setShowAll(true)}>
            Show all
          </button>
        </div>
      )}
      {body.kind === 'empty' ? (
        <p className="body-note-block" data-testid={testId}>
          Empty body.
        </p>
      ) : (
        <pre className="raw-text" data-testid={testId}>
          {capped ? text.slice(0, RAW_TEXT_CAP) : text}
        </pre>
      )}
    </div>
  );
}
