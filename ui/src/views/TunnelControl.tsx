import { type FormEvent, useEffect, useRef, useState } from 'react';

import { ApiError, type TunnelSettings, type TunnelStatus, getTunnelSettings, saveTunnelSettings, startTunnel, stopTunnel } from '../api';
import { CopyButton } from '../components/CopyButton';
import { CloseIcon } from '../components/icons';
import {
  HTTPS_NOTE,
  TUNNEL_KINDS,
  type TunnelForm,
  formFromSettings,
  inputFromForm,
  publicBase,
  tunnelErrorText,
  tunnelLabel,
} from '../state/tunnel';
import { useAsync } from '../state/useAsync';
import { refreshTunnelStatus, useTunnelStatus } from '../state/useTunnel';

/** The public tunnel in the top bar: status, public URL with a copy button, and its settings. */
export function TunnelControl() {
  const status = useTunnelStatus();
  const [open, setOpen] = useState(false);
  const base = publicBase(status);
  const error = tunnelErrorText(status);
  return (
    <div className="tunnel">
      <button
        type="button"
        className={`tunnel-chip tunnel-${status?.state ?? 'unknown'}`}
        data-testid="tunnel-button"
        aria-expanded={open}
        aria-haspopup="dialog"
        title={error ?? 'Public URL through ngrok, bore or your own tunnel'}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="tunnel-dot" aria-hidden />
        <span data-testid="tunnel-status">{tunnelLabel(status)}</span>
      </button>
      {base && (
        <>
          <code className="url" data-testid="tunnel-url" title={base}>
            {base}
          </code>
          <CopyButton text={base} title="Copy public URL" testId="tunnel-url-copy" />
        </>
      )}
      {error && (
        <span className="tunnel-error" data-testid="tunnel-error" title={error}>
          {error}
        </span>
      )}
      {open && <TunnelPanel status={status} onClose={() => setOpen(false)} />}
    </div>
  );
}

function TunnelPanel({ status, onClose }: { status: TunnelStatus | null; onClose: () => void }) {
  const load = useAsync(getTunnelSettings, []);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <div className="tunnel-panel" role="dialog" aria-label="Public tunnel" ref={ref} data-testid="tunnel-panel" onKeyDown={(e) => e.stopPropagation()}>
      <header className="dialog-head">
        <h2>Public URL</h2>
        <span className="spacer" />
        <button type="button" className="icon-btn" aria-label="Close" title="Close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {load.status === 'loading' ? (
        <div className="dialog-body detail-loading">Loading…</div>
      ) : load.status === 'error' ? (
        <div className="dialog-body detail-error" role="alert">
          {load.error.message}
        </div>
      ) : (
        <TunnelSettingsForm settings={load.value} status={status} />
      )}
    </div>
  );
}

function TunnelSettingsForm({ settings, status }: { settings: TunnelSettings; status: TunnelStatus | null }) {
  const [stored, setStored] = useState(settings);
  const [form, setForm] = useState<TunnelForm>(() => formFromSettings(settings, status));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const update = (patch: Partial<TunnelForm>) => setForm((f) => ({ ...f, ...patch }));
  const running = status !== null && status.state !== 'stopped';

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await saveTunnelSettings(inputFromForm(form));
      setStored(saved);
      setForm((f) => ({ ...f, ngrokToken: '', boreSecret: '' }));
      await startTunnel(form.kind);
      refreshTunnelStatus();
    } catch (err) {
      setError(ApiError.from(err).message);
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      await stopTunnel();
      refreshTunnelStatus();
    } catch (err) {
      setError(ApiError.from(err).message);
    } finally {
      setBusy(false);
    }
  };

  const tokenHint = stored.hasNgrokToken
    ? 'stored — leave empty to keep'
    : stored.ngrokTokenInEnv
      ? 'from NGROK_AUTHTOKEN'
      : 'required';

  return (
    <form className="dialog-body tunnel-form" data-testid="tunnel-form" onSubmit={(e) => void start(e)} noValidate>
      <div className="segmented" role="radiogroup" aria-label="Tunnel provider">
        {TUNNEL_KINDS.map((k) => (
          <button
            key={k.kind}
            type="button"
            role="radio"
            aria-checked={form.kind === k.kind}
            className={`segment ${form.kind === k.kind ? 'active' : ''}`}
            data-testid={`tunnel-kind-${k.kind}`}
            onClick={() => update({ kind: k.kind })}
          >
            {k.label}
          </button>
        ))}
      </div>

      {form.kind === 'ngrok' && (
        <>
          <label className="field">
            <span className="field-label">Authtoken ({tokenHint})</span>
            <input
              type="password"
              className="mono"
              data-testid="tunnel-ngrok-token"
              value={form.ngrokToken}
              onChange={(e) => update({ ngrokToken: e.target.value })}
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <label className="field">
            <span className="field-label">Reserved domain (optional)</span>
            <input
              className="mono"
              data-testid="tunnel-ngrok-domain"
              placeholder="hooks.example.ngrok.app"
              value={form.ngrokDomain}
              onChange={(e) => update({ ngrokDomain: e.target.value })}
              spellCheck={false}
            />
          </label>
        </>
      )}

      {form.kind === 'bore' && (
        <>
          <label className="field">
            <span className="field-label">bore server</span>
            <input
              className="mono"
              data-testid="tunnel-bore-server"
              placeholder="bore.pub"
              value={form.boreServer}
              onChange={(e) => update({ boreServer: e.target.value })}
              spellCheck={false}
            />
          </label>
          <label className="field">
            <span className="field-label">Secret ({stored.hasBoreSecret ? 'stored — leave empty to keep' : 'optional'})</span>
            <input
              type="password"
              className="mono"
              data-testid="tunnel-bore-secret"
              value={form.boreSecret}
              onChange={(e) => update({ boreSecret: e.target.value })}
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <p className="tunnel-note">{HTTPS_NOTE}</p>
        </>
      )}

      {form.kind === 'external' && (
        <>
          <label className="field">
            <span className="field-label">Public URL your tunnel serves</span>
            <input
              className="mono"
              data-testid="tunnel-external-url"
              placeholder="https://hooks.example.com"
              value={form.externalUrl}
              onChange={(e) => update({ externalUrl: e.target.value })}
              spellCheck={false}
            />
          </label>
          <p className="tunnel-note">Run cloudflared or any tunnel pointing at the listener, then enter the URL it gives.</p>
        </>
      )}

      {error && (
        <div className="field-error" role="alert" data-testid="tunnel-form-error">
          {error}
        </div>
      )}
      <div className="tunnel-actions">
        <button type="submit" className="btn btn-primary btn-sm" data-testid="tunnel-start" disabled={busy}>
          {running ? 'Save and restart' : 'Start'}
        </button>
        <button type="button" className="btn btn-sm" data-testid="tunnel-stop" disabled={busy || !running} onClick={() => void stop()}>
          Stop
        </button>
      </div>
    </form>
  );
}
