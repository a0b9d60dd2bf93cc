import { CopyButton } from '../components/CopyButton';
import { LogoMark } from '../components/icons';
import { firstDeliveryCurl, joinUrl } from '../format/shell';
import { useStore } from '../state/store';

/** Shown until the first delivery ever arrives. */
export function EmptyState() {
  const { state } = useStore();
  const info = state.serverInfo;
  if (info && !info.baseUrl) {
    return (
      <div className="empty-state" data-testid="empty-state">
        <div className="empty-card">
          <LogoMark width={44} height={44} />
          <h1>The listener is not running</h1>
          <p className="listen-error-block">{info.listenError ?? 'The HTTP listener could not start.'}</p>
          <p className="muted">Free the port or choose another listen address, then restart Hookscope.</p>
        </div>
      </div>
    );
  }
  const baseUrl = info?.baseUrl ?? 'http://127.0.0.1:8787';
  const target = state.endpoints.find((e) => e.name === 'fleiko' || e.pathPrefix === '/fleiko') ?? state.endpoints[0];
  const prefix = target?.pathPrefix ?? '/fleiko';
  const curl = firstDeliveryCurl(baseUrl, prefix);

  return (
    <div className="empty-state" data-testid="empty-state">
      <div className="empty-card">
        <LogoMark width={44} height={44} />
        <h1>Waiting for the first delivery</h1>
        <p>
          Hookscope is listening on <code>{baseUrl}</code>. Paste an endpoint URL into your provider&apos;s webhook
          settings, or send a test delivery from a terminal:
        </p>
        <div className="command">
          <pre>{curl}</pre>
          <CopyButton text={curl} label="Copy" title="Copy curl command" />
        </div>
        {state.endpoints.length > 0 && (
          <ul className="empty-endpoints">
            {state.endpoints.map((ep) => (
              <li key={ep.id}>
                <span className="endpoint-chip-name">{ep.name}</span>
                <code>{joinUrl(baseUrl, ep.pathPrefix)}</code>
              </li>
            ))}
          </ul>
        )}
        <p className="muted">
          Every request on any path is recorded byte for byte and appears here the moment it arrives.
        </p>
      </div>
    </div>
  );
}
