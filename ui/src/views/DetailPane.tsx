import { type ReactNode, useState } from 'react';

import type { DeliveryDetail, DeliverySummary } from '../api';
import { EndpointBadge, MethodBadge, RefusedBadge, StatusBadge } from '../components/Badges';
import { CopyButton } from '../components/CopyButton';
import { headersAsText, pathWithQuery } from '../format/http';
import { formatSize } from '../format/size';
import { formatDateTime, formatLatency } from '../format/time';
import { indexOfId } from '../state/deliveries';
import { loadDetail } from '../state/cache';
import { useStore } from '../state/store';
import { useAsync } from '../state/useAsync';
import { BodyPanel } from './BodyPanel';

export type DetailTab = 'headers' | 'body';

export function DetailPane() {
  const { state } = useStore();
  // The tab sticks while moving through deliveries with j/k.
  const [tab, setTab] = useState<DetailTab>('headers');
  const id = state.selectedId;
  const idx = id === null ? -1 : indexOfId(state.rows, id);
  const summary = idx >= 0 ? state.rows[idx] : undefined;

  return (
    <section className="detail-pane" data-testid="detail-pane" aria-label="Delivery detail">
      {id === null ? (
        <div className="detail-placeholder">
          <p>Select a delivery to inspect its headers and body.</p>
          <dl className="shortcuts">
            <dt>
              <kbd>j</kbd> <kbd>k</kbd>
            </dt>
            <dd>next / previous delivery</dd>
            <dt>
              <kbd>/</kbd>
            </dt>
            <dd>search</dd>
            <dt>
              <kbd>Esc</kbd>
            </dt>
            <dd>clear search</dd>
          </dl>
        </div>
      ) : (
        <Detail key={id} id={id} summary={summary} tab={tab} onTab={setTab} maxBody={state.serverInfo?.maxBody ?? null} />
      )}
    </section>
  );
}

interface DetailProps {
  id: number;
  summary: DeliverySummary | undefined;
  tab: DetailTab;
  onTab: (tab: DetailTab) => void;
  maxBody: number | null;
}

function Detail({ id, summary, tab, onTab, maxBody }: DetailProps) {
  const detail = useAsync(() => loadDetail(id), [id]);
  const loaded: DeliveryDetail | undefined = detail.status === 'ok' ? detail.value : undefined;
  const d: DeliverySummary | undefined = loaded ?? summary;

  if (!d) {
    return detail.status === 'error' ? (
      <div className="detail-error" role="alert">
        Could not load delivery {id}: {detail.error.message}
      </div>
    ) : (
      <div className="detail-loading">Loading…</div>
    );
  }

  const fullPath = pathWithQuery(d.path, d.query);
  return (
    <>
      <div className="detail-head">
        <div className="detail-title">
          <MethodBadge method={d.method} />
          <code className="detail-path" data-testid="detail-path" title={fullPath}>
            {d.path}
            {d.query !== null && <span className="c-query">?{d.query}</span>}
          </code>
          <CopyButton text={fullPath} title="Copy path and query" />
          <span className="spacer" />
          <span className="detail-id" title="Delivery id">
            #{d.id}
          </span>
          <StatusBadge status={d.responseStatus} />
        </div>
        <dl className="meta">
          <Meta label="Received">{formatDateTime(d.receivedAt)}</Meta>
          <Meta label="Endpoint">
            <EndpointBadge delivery={d} />
          </Meta>
          <Meta label="Size">
            <span data-testid="body-size">{formatSize(d.bodySize)}</span>
            {!d.bodyStored && <RefusedBadge />}
          </Meta>
          <Meta label="Content type" title={d.contentType ?? undefined}>{d.contentType ?? <span className="muted">none</span>}</Meta>
          <Meta label="Remote" title={loaded?.remoteAddr ?? undefined}>{loaded ? (loaded.remoteAddr ?? <span className="muted">unknown</span>) : '…'}</Meta>
          <Meta label="Protocol">{loaded ? loaded.httpVersion : '…'}</Meta>
          <Meta label="Latency">
            {loaded ? (loaded.responseLatencyUs === null ? <span className="muted">—</span> : formatLatency(loaded.responseLatencyUs)) : '…'}
          </Meta>
          <Meta label="SHA-256" wide>
            <span className="sha" data-testid="body-sha256" title={d.bodySha256 ?? undefined}>
              {d.bodySha256 ?? (d.bodyStored ? '' : 'not stored')}
            </span>
            {d.bodySha256 && <CopyButton text={d.bodySha256} title="Copy SHA-256" />}
          </Meta>
        </dl>
      </div>
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          className={`tab ${tab === 'headers' ? 'active' : ''}`}
          aria-selected={tab === 'headers'}
          data-testid="tab-headers"
          onClick={() => onTab('headers')}
        >
          Headers{loaded && <span className="tab-count">{loaded.headers.length}</span>}
        </button>
        <button
          type="button"
          role="tab"
          className={`tab ${tab === 'body' ? 'active' : ''}`}
          aria-selected={tab === 'body'}
          data-testid="tab-body"
          onClick={() => onTab('body')}
        >
          Body<span className="tab-count">{d.bodyStored ? formatSize(d.bodySize) : 'refused'}</span>
        </button>
      </div>
      <div className="tab-panel" role="tabpanel">
        {tab === 'headers' ? (
          loaded ? (
            <HeadersTable headers={loaded.headers} />
          ) : detail.status === 'error' ? (
            <div className="detail-error" role="alert">
              Could not load headers: {detail.error.message}
            </div>
          ) : (
            <div className="detail-loading">Loading…</div>
          )
        ) : d.bodyStored ? (
          <BodyPanel summary={d} />
        ) : (
          <div className="refused-note" role="note">
            <strong>Body refused:</strong> {d.bodySize.toLocaleString('en-US')} bytes ({formatSize(d.bodySize)}) exceeded the{' '}
            {maxBody === null ? 'configured' : `${maxBody.toLocaleString('en-US')} byte (${formatSize(maxBody)})`} limit; headers
            were recorded.
          </div>
        )}
      </div>
    </>
  );
}

function Meta({ label, wide, title, children }: { label: string; wide?: boolean; title?: string; children: ReactNode }) {
  return (
    <div className={`meta-item ${wide ? 'wide' : ''}`}>
      <dt>{label}</dt>
      <dd title={title}>{children}</dd>
    </div>
  );
}

function HeadersTable({ headers }: { headers: Array<[string, string]> }) {
  return (
    <div className="headers-view">
      <div className="panel-toolbar">
        <span className="muted">
          {headers.length} {headers.length === 1 ? 'header' : 'headers'}, in arrival order
        </span>
        <span className="spacer" />
        <CopyButton text={() => headersAsText(headers)} label="Copy all" title="Copy all headers as text" />
      </div>
      <div className="headers-scroll">
        <table className="headers-table">
          <tbody>
            {headers.map(([name, value], i) => (
              <tr key={i} data-testid="header-row">
                <td className="h-name" data-testid="header-name">
                  {name}
                </td>
                <td className="h-value" data-testid="header-value">
                  {value}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
