import { type ReactNode, Suspense, lazy, useMemo, useState } from 'react';

import { type DeliveryDetail, type DeliveryGroup, type DeliverySummary, getDeliveryGroup } from '../api';
import { EndpointBadge, MethodBadge, RefusedBadge, SignatureBadge, StatusBadge } from '../components/Badges';
import { CopyButton } from '../components/CopyButton';
import { mayHaveGroup } from '../format/attempts';
import { headersAsText, pathWithQuery } from '../format/http';
import { asProviderId } from '../format/provider';
import { SIGNATURE_GLYPH } from '../format/signature';
import { formatSize } from '../format/size';
import { formatDateTime, formatLatency } from '../format/time';
import { type SettingsTarget, indexOfId } from '../state/deliveries';
import { loadDetail } from '../state/cache';
import { useStore } from '../state/store';
import { useAsync } from '../state/useAsync';
import { AttemptsPanel } from './AttemptsPanel';
import { DeliveryLabStrip } from './DeliveryLabStrip';
import { BodyPanel } from './BodyPanel';
import { OverviewPanel } from './OverviewPanel';
import { ResponsePanel } from './ResponsePanel';
import { SignaturePanel } from './SignaturePanel';

// The editor (CodeMirror) loads with the first Replay tab opened, not with the app.
const ReplayPanel = lazy(() => import('./replay/ReplayPanel').then((m) => ({ default: m.ReplayPanel })));

export type DetailTab = 'overview' | 'signature' | 'attempts' | 'headers' | 'body' | 'response' | 'replay';

/** `replayRequest`: a bump opens the Replay tab of the selected delivery. */
export function DetailPane({ replayRequest = 0 }: { replayRequest?: number }) {
  const { state, dispatch } = useStore();
  // The chosen tab sticks while moving through deliveries with j/k; where it does not apply
  // (no decoded view, no signature, no group) the delivery falls back to Headers.
  const [tab, setTab] = useState<DetailTab>('overview');
  const [seenRequest, setSeenRequest] = useState(replayRequest);
  if (seenRequest !== replayRequest) {
    setSeenRequest(replayRequest);
    setTab('replay');
  }
  const id = state.selectedId;
  const idx = id === null ? -1 : indexOfId(state.rows, id);
  const summary = idx >= 0 ? state.rows[idx] : undefined;

  // Live repeats of the open delivery's event: the group view reloads when their number changes.
  const rootId = summary?.duplicateOf ?? id;
  const related = useMemo(() => {
    if (rootId === null) return 0;
    let n = 0;
    for (const r of state.rows) if (r.duplicateOf === rootId) n++;
    return n;
  }, [state.rows, rootId]);

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
            <dt>
              <kbd>x</kbd>
            </dt>
            <dd>mark for replay in order or export (also Ctrl/Shift+click)</dd>
          </dl>
        </div>
      ) : (
        <Detail
          key={`${id}-${replayRequest}`}
          id={id}
          summary={summary}
          tab={tab}
          onTab={setTab}
          maxBody={state.serverInfo?.maxBody ?? null}
          resyncGen={state.resyncGen}
          related={related}
          onSelect={(target) => dispatch({ type: 'select', id: target, reveal: true })}
          onOpenSettings={(target) => dispatch({ type: 'openSettings', target })}
        />
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
  resyncGen: number;
  related: number;
  onSelect: (id: number) => void;
  onOpenSettings: (target: SettingsTarget) => void;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Whether a group is worth a tab: repeats exist, or the provider counts attempts. */
function groupMatters(group: DeliveryGroup | null): boolean {
  return group !== null && (group.deliveries.length > 1 || group.attempts.some((a) => a.attempt !== null));
}

function Detail({ id, summary, tab, onTab, maxBody, resyncGen, related, onSelect, onOpenSettings }: DetailProps) {
  const detail = useAsync(() => loadDetail(id), [id, resyncGen]);
  const loaded: DeliveryDetail | undefined = detail.status === 'ok' ? detail.value : undefined;
  const d: DeliverySummary | undefined = loaded ?? summary;
  const groupWanted = d ? mayHaveGroup(d) : false;
  const group = useAsync(
    () => (groupWanted ? getDeliveryGroup(id) : Promise.resolve(null)),
    [id, groupWanted, resyncGen, related],
  );
  // A tab clicked for this delivery wins over the sticky choice.
  const [picked, setPicked] = useState<DetailTab | null>(null);

  if (!d) {
    return detail.status === 'error' ? (
      <div className="detail-error" role="alert">
        Could not load delivery {id}: {detail.error.message}
      </div>
    ) : (
      <div className="detail-loading">Loading…</div>
    );
  }

  const decoded = loaded ? loaded.decoded : null;
  const groupValue = group.status === 'ok' ? group.value : null;
  const available: Record<DetailTab, boolean> = {
    // Before the detail arrives, the row's decoded summary says whether there will be an overview.
    overview: loaded ? decoded !== null : d.summary !== null || d.eventType !== null,
    signature: d.signature !== null,
    attempts: d.duplicateOf !== null || d.attempt !== null || groupMatters(groupValue),
    headers: true,
    body: true,
    response: true,
    replay: true,
  };
  const auto = (t: DetailTab): DetailTab => {
    if (t === 'overview') {
      if (loaded) return decoded?.view ? 'overview' : 'headers';
      return available.overview ? 'overview' : 'headers';
    }
    return available[t] ? t : 'headers';
  };
  const active: DetailTab = picked !== null && available[picked] ? picked : auto(tab);
  const choose = (t: DetailTab) => {
    setPicked(t);
    onTab(t);
  };

  const openSettings = () => {
    if (d.endpointId !== null) onOpenSettings({ kind: 'edit', id: d.endpointId });
    else {
      const first = d.path.split('/').filter(Boolean)[0];
      onOpenSettings({ kind: 'new', provider: asProviderId(d.provider), pathPrefix: first ? `/${first}` : '/' });
    }
  };

  const groupCount = groupValue?.deliveries.length ?? 0;
  const groupHint =
    available.attempts && (groupCount > 1 || d.duplicateOf !== null || (d.attempt ?? 0) > 1)
      ? {
          text: capitalize(
            [
              d.attempt !== null ? `attempt ${d.attempt}` : null,
              d.duplicateOf !== null ? `repeats #${d.duplicateOf}` : null,
              groupCount > 1 ? `${groupCount} deliveries of this event` : null,
            ]
              .filter(Boolean)
              .join(' · '),
          ),
          open: () => choose('attempts'),
        }
      : null;

  const fullPath = pathWithQuery(d.path, d.query);
  const detailSig = loaded?.signatureDetail ?? d.signatureDetail;
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
          <Meta label="Event" title={d.eventType ?? undefined}>
            {d.eventType !== null ? (
              <code className="meta-event" data-testid="detail-event-type">
                {d.eventType}
              </code>
            ) : (
              <span className="muted">—</span>
            )}
          </Meta>
          <Meta label="Signature">
            {d.signature !== null ? (
              <>
                <SignatureBadge status={d.signature} explanation={detailSig?.explanation ?? null} testId={null} />
                <span className={`sig-text sig-text-${d.signature}`}>{d.signature}</span>
              </>
            ) : (
              <span className="muted">no provider</span>
            )}
          </Meta>
          <Meta label="Size">
            <span data-testid="body-size">{formatSize(d.bodySize)}</span>
            {!d.bodyStored && <RefusedBadge />}
          </Meta>
          <Meta label="Content type" title={d.contentType ?? undefined}>{d.contentType ?? <span className="muted">none</span>}</Meta>
          <Meta label="Remote" title={loaded?.remoteAddr ?? undefined}>{loaded ? (loaded.remoteAddr ?? <span className="muted">unknown</span>) : '…'}</Meta>
          <Meta label="Via">
            <span data-testid="via-tunnel">{d.viaTunnel ? `${d.viaTunnel} tunnel` : 'direct'}</span>
          </Meta>
          <Meta label="Protocol">
            <span data-testid="detail-protocol">{loaded ? loaded.httpVersion : '…'}</span>
          </Meta>
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
        <DeliveryLabStrip id={d.id} responseStatus={d.responseStatus} resyncGen={resyncGen} />
      </div>
      <div className="tabs" role="tablist">
        {available.overview && (
          <Tab id="overview" active={active} onChoose={choose}>
            Overview
          </Tab>
        )}
        {available.signature && d.signature !== null && (
          <Tab id="signature" active={active} onChoose={choose}>
            Signature
            <span className={`tab-sig sig-${d.signature}`} aria-label={d.signature}>
              {SIGNATURE_GLYPH[d.signature]}
            </span>
          </Tab>
        )}
        {available.attempts && (
          <Tab id="attempts" active={active} onChoose={choose}>
            Attempts{groupCount > 0 && <span className="tab-count">{groupCount}</span>}
          </Tab>
        )}
        <Tab id="headers" active={active} onChoose={choose}>
          Headers{loaded && <span className="tab-count">{loaded.headers.length}</span>}
        </Tab>
        <Tab id="body" active={active} onChoose={choose}>
          Body<span className="tab-count">{d.bodyStored ? formatSize(d.bodySize) : 'refused'}</span>
        </Tab>
        <Tab id="response" active={active} onChoose={choose}>
          Response{d.responseStatus !== null && <span className="tab-count">{d.responseStatus}</span>}
        </Tab>
        <Tab id="replay" active={active} onChoose={choose}>
          Replay
        </Tab>
      </div>
      <div className="tab-panel" role="tabpanel">
        {active === 'overview' ? (
          loaded ? (
            decoded ? (
              <OverviewPanel decoded={decoded} delivery={d} groupHint={groupHint} />
            ) : null
          ) : (
            <DetailWait detail={detail} what="the decoded payload" />
          )
        ) : active === 'signature' && d.signature !== null ? (
          <SignaturePanel status={d.signature} detail={detailSig} delivery={d} onEditSecrets={openSettings} />
        ) : active === 'attempts' ? (
          group.status === 'ok' && group.value ? (
            <AttemptsPanel group={group.value} currentId={d.id} provider={d.provider} onSelect={onSelect} />
          ) : group.status === 'error' ? (
            <div className="detail-error" role="alert">
              Could not load related deliveries: {group.error.message}
            </div>
          ) : (
            <div className="detail-loading">Loading attempts…</div>
          )
        ) : active === 'response' ? (
          <ResponsePanel id={d.id} receivedAt={d.receivedAt} resyncGen={resyncGen} />
        ) : active === 'replay' ? (
          <Suspense fallback={<div className="detail-loading">Loading…</div>}>
            <ReplayPanel delivery={d} />
          </Suspense>
        ) : active === 'headers' ? (
          loaded ? (
            <HeadersTable headers={loaded.headers} httpVersion={loaded.httpVersion} />
          ) : (
            <DetailWait detail={detail} what="headers" />
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

function Tab({ id, active, onChoose, children }: { id: DetailTab; active: DetailTab; onChoose: (t: DetailTab) => void; children: ReactNode }) {
  return (
    <button
      type="button"
      role="tab"
      className={`tab ${active === id ? 'active' : ''}`}
      aria-selected={active === id}
      data-testid={`tab-${id}`}
      onClick={() => onChoose(id)}
    >
      {children}
    </button>
  );
}

function DetailWait({ detail, what }: { detail: ReturnType<typeof useAsync<DeliveryDetail>>; what: string }) {
  return detail.status === 'error' ? (
    <div className="detail-error" role="alert">
      Could not load {what}: {detail.error.message}
    </div>
  ) : (
    <div className="detail-loading">Loading…</div>
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

function HeadersTable({ headers, httpVersion }: { headers: Array<[string, string]>; httpVersion: string }) {
  // HTTP/2 carries names in lowercase, and hyper groups a repeated name's values at its first place.
  const http2 = httpVersion.startsWith('HTTP/2');
  return (
    <div className="headers-view">
      <div className="panel-toolbar">
        <span className="muted">
          {headers.length} {headers.length === 1 ? 'header' : 'headers'}, in arrival order
          {http2 && ' (HTTP/2: names are lowercase by the protocol, a repeated name’s values together)'}
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
