import { useEffect, useState } from 'react';

import { backendKind } from '../api';
import { CopyButton } from '../components/CopyButton';
import { LogoMark } from '../components/icons';
import { joinUrl } from '../format/shell';
import { useStore } from '../state/store';

export function TopBar() {
  const { state } = useStore();
  // An empty base URL means the listener could not start; listenError says why.
  const baseUrl = state.serverInfo?.baseUrl || null;
  const listenError = state.serverInfo?.listenError ?? null;
  const [demo, setDemo] = useState(false);

  useEffect(() => {
    let alive = true;
    void backendKind().then((kind) => alive && setDemo(kind === 'demo'));
    return () => {
      alive = false;
    };
  }, []);

  return (
    <header className="topbar">
      <div className="brand">
        <LogoMark />
        <span className="brand-name">Hookscope</span>
        {demo && (
          <span className="demo-badge" title="No Tauri backend: showing built-in sample data">
            Demo
          </span>
        )}
      </div>
      <div className="listener">
        <span className={`live-dot ${baseUrl ? 'on' : listenError ? 'down' : ''}`} aria-hidden />
        <span className="listener-label">{listenError ? 'Listener not running' : 'Listening on'}</span>
        <code className="url" data-testid="base-url">
          {baseUrl ?? '…'}
        </code>
        {baseUrl && <CopyButton text={baseUrl} title="Copy listener base URL" />}
        {listenError && (
          <span className="listen-error" title={listenError}>
            {listenError}
          </span>
        )}
      </div>
      <nav className="endpoint-urls" aria-label="Endpoint URLs">
        {baseUrl &&
          state.endpoints.map((ep) => {
            const url = joinUrl(baseUrl, ep.pathPrefix);
            return (
              <span className="endpoint-chip" key={ep.id} title={`${ep.name} endpoint`}>
                <code className="endpoint-chip-url" data-testid="endpoint-url">
                  {url}
                </code>
                <CopyButton text={url} title={`Copy ${ep.name} URL`} />
              </span>
            );
          })}
      </nav>
      {/* Reserved for the public tunnel URL. */}
      <div className="tunnel-slot" />
    </header>
  );
}
