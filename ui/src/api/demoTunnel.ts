/**
 * The public tunnel part of the demo backend (plain browser only, never inside the app). A fake
 * tunnel that behaves like the real ones: external shows the URL entered, bore comes online on
 * `http://<server>:41873`, ngrok needs an authtoken (one containing `bad` is rejected).
 * `?tunnel=online` starts with a bore tunnel online.
 */
import type { Backend, TunnelKind, TunnelSettings, TunnelSettingsInput, TunnelStatus } from './types';
import { ApiError } from './types';

type TunnelBackend = Pick<
  Backend,
  'getTunnelStatus' | 'getTunnelSettings' | 'saveTunnelSettings' | 'startTunnel' | 'stopTunnel' | 'onTunnelStatus'
>;

const CONNECT_MS = 600;

const clean = (value: string | null): string | null => {
  const v = value?.trim() ?? '';
  return v === '' ? null : v;
};

export function createTunnelDemo(params: URLSearchParams): TunnelBackend {
  let ngrokToken: string | null = null;
  let boreSecret = false;
  const settings: TunnelSettings = {
    active: null,
    ngrokDomain: null,
    hasNgrokToken: false,
    ngrokTokenInEnv: false,
    boreServer: null,
    hasBoreSecret: false,
    externalUrl: null,
  };
  let status: TunnelStatus = { state: 'stopped' };
  const listeners = new Set<(s: TunnelStatus) => void>();
  let timer: number | undefined;

  const publish = (next: TunnelStatus) => {
    status = next;
    listeners.forEach((l) => l(next));
  };

  const connect = (kind: TunnelKind, online: () => TunnelStatus) => {
    window.clearTimeout(timer);
    publish({ state: 'connecting', kind });
    timer = window.setTimeout(() => publish(online()), CONNECT_MS);
    return status;
  };

  const start = (kind: TunnelKind): TunnelStatus => {
    if (kind === 'external') {
      const url = settings.externalUrl;
      if (!url) throw new ApiError('invalid', 'no public URL: enter the URL your tunnel serves');
      settings.active = kind;
      window.clearTimeout(timer);
      publish({ state: 'online', kind, url });
      return status;
    }
    if (kind === 'bore') {
      const host = (settings.boreServer ?? 'bore.pub').replace(/:\d+$/, '');
      settings.active = kind;
      return connect(kind, () => ({ state: 'online', kind, url: `http://${host}:41873` }));
    }
    if (!ngrokToken) {
      throw new ApiError('invalid', 'no ngrok authtoken: store one in the tunnel settings or set NGROK_AUTHTOKEN');
    }
    const token = ngrokToken;
    settings.active = kind;
    return connect(kind, () =>
      token.includes('bad')
        ? { state: 'error', kind, reason: 'ngrok rejected the authtoken (ERR_NGROK_105): The authtoken you specified is not valid.', retryInMs: null }
        : { state: 'online', kind, url: `https://${settings.ngrokDomain ?? 'demo-hookscope.ngrok.app'}` },
    );
  };

  if (params.get('tunnel') === 'online') {
    settings.active = 'bore';
    status = { state: 'online', kind: 'bore', url: 'http://bore.pub:41873' };
  }

  return {
    getTunnelStatus: () => Promise.resolve(status),
    getTunnelSettings: () => Promise.resolve({ ...settings }),
    saveTunnelSettings: (input: TunnelSettingsInput) => {
      const url = clean(input.externalUrl);
      if (url && !/^https?:\/\/[^/\s]+/.test(url)) {
        return Promise.reject(new ApiError('invalid', `invalid public URL "${url}": expected http(s)://host[:port]`));
      }
      settings.externalUrl = url?.replace(/\/+$/, '') ?? null;
      settings.boreServer = clean(input.boreServer);
      settings.ngrokDomain = clean(input.ngrokDomain);
      if (input.ngrokToken !== null) ngrokToken = input.ngrokToken === '' ? null : input.ngrokToken;
      if (input.boreSecret !== null) boreSecret = input.boreSecret !== '';
      settings.hasNgrokToken = ngrokToken !== null;
      settings.hasBoreSecret = boreSecret;
      return Promise.resolve({ ...settings });
    },
    startTunnel: (kind) => new Promise((resolve) => resolve(start(kind))),
    stopTunnel: () => {
      window.clearTimeout(timer);
      settings.active = null;
      publish({ state: 'stopped' });
      return Promise.resolve(status);
    },
    onTunnelStatus: (handler) => {
      listeners.add(handler);
      return Promise.resolve(() => listeners.delete(handler));
    },
  };
}
