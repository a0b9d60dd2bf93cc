// Pure helpers for the public tunnel: labels, per-endpoint public URLs and the hints beside them.
import type { ProviderId, TunnelKind, TunnelSettings, TunnelSettingsInput, TunnelStatus } from '../api';
import { joinUrl } from '../format/shell';

export const TUNNEL_KINDS: ReadonlyArray<{ kind: TunnelKind; label: string }> = [
  { kind: 'ngrok', label: 'ngrok' },
  { kind: 'bore', label: 'bore' },
  { kind: 'external', label: 'External URL' },
];

const PROVIDER_NAMES: Record<ProviderId, string> = { flovi: 'Flovi', flowella: 'Flowella', fleiko: 'Fleiko' };

/** The public base URL while the tunnel is online. */
export function publicBase(status: TunnelStatus | null): string | null {
  return status?.state === 'online' ? status.url : null;
}

/** An endpoint's public URL, or null while the tunnel is not online. */
export function publicEndpointUrl(status: TunnelStatus | null, pathPrefix: string): string | null {
  const base = publicBase(status);
  return base === null ? null : joinUrl(base, pathPrefix);
}

/** Short status text for the top bar. */
export function tunnelLabel(status: TunnelStatus | null): string {
  if (!status) return 'Tunnel …';
  switch (status.state) {
    case 'stopped':
      return 'No public URL';
    case 'connecting':
      return `${status.kind}: connecting…`;
    case 'online':
      return `${status.kind}: online`;
    case 'error':
      return `${status.kind}: error`;
  }
}

/** The error line, with when the next attempt starts. */
export function tunnelErrorText(status: TunnelStatus | null): string | null {
  if (status?.state !== 'error') return null;
  if (status.retryInMs === null) return status.reason;
  const secs = Math.max(1, Math.round(status.retryInMs / 1000));
  return `${status.reason} — retrying in ${secs}s`;
}

/** Where to paste an endpoint's public URL. */
export function pasteHint(provider: string | null): string {
  const name = provider && provider in PROVIDER_NAMES ? PROVIDER_NAMES[provider as ProviderId] : null;
  return name ? `Paste this into ${name} settings` : 'Paste this into your provider’s webhook settings';
}

/** bore carries plain TCP: its URLs are http only. */
export function needsHttpsNote(status: TunnelStatus | null): boolean {
  return publicBase(status)?.startsWith('http://') ?? false;
}

export const HTTPS_NOTE =
  'bore gives a plain http:// URL. Providers that insist on HTTPS need ngrok or an external tunnel (or a TLS proxy in front of your bore server).';

export interface TunnelForm {
  kind: TunnelKind;
  ngrokToken: string;
  ngrokDomain: string;
  boreServer: string;
  boreSecret: string;
  externalUrl: string;
}

export function formFromSettings(settings: TunnelSettings, status: TunnelStatus | null): TunnelForm {
  const running = status && status.state !== 'stopped' ? status.kind : null;
  return {
    kind: running ?? settings.active ?? (settings.externalUrl ? 'external' : 'bore'),
    ngrokToken: '',
    ngrokDomain: settings.ngrokDomain ?? '',
    boreServer: settings.boreServer ?? '',
    boreSecret: '',
    externalUrl: settings.externalUrl ?? '',
  };
}

/** Secrets left empty keep the stored ones: they are never shown, so empty means "unchanged". */
export function inputFromForm(form: TunnelForm): TunnelSettingsInput {
  return {
    ngrokDomain: form.ngrokDomain.trim(),
    boreServer: form.boreServer.trim(),
    externalUrl: form.externalUrl.trim(),
    ngrokToken: form.ngrokToken.trim() === '' ? null : form.ngrokToken.trim(),
    boreSecret: form.boreSecret.trim() === '' ? null : form.boreSecret.trim(),
  };
}
