import { CopyButton } from '../components/CopyButton';
import { useStore } from '../state/store';
import { HTTPS_NOTE, needsHttpsNote, pasteHint, publicEndpointUrl } from '../state/tunnel';
import { useTunnelStatus } from '../state/useTunnel';

/** Each endpoint's public URL, ready to paste into the provider's webhook settings. */
export function PublicUrls() {
  const { state } = useStore();
  const status = useTunnelStatus();
  const online = status?.state === 'online';
  return (
    <section className="public-urls" aria-label="Public URLs" data-testid="public-urls">
      <div className="sidebar-heading">
        <span>Public URLs</span>
      </div>
      {!online ? (
        <p className="public-urls-empty muted">Start a tunnel (top bar) to get a public URL for each endpoint.</p>
      ) : (
        <>
          {state.endpoints.map((ep) => {
            const url = publicEndpointUrl(status, ep.pathPrefix) ?? '';
            return (
              <div className="public-url" key={ep.id} data-testid="public-endpoint">
                <div className="public-url-line">
                  <code className="public-url-text" data-testid="public-endpoint-url" title={url}>
                    {url}
                  </code>
                  <CopyButton text={url} title={`Copy the public ${ep.name} URL`} testId="public-url-copy" />
                </div>
                <span className="public-url-hint" data-testid="paste-hint">
                  {pasteHint(ep.provider)}
                </span>
              </div>
            );
          })}
          {needsHttpsNote(status) && <p className="tunnel-note">{HTTPS_NOTE}</p>}
        </>
      )}
    </section>
  );
}
