/**
 * The backend in a plain browser: the window's commands over HTTP to `hookscope-cli serve --ui`
 * (POST /api/<command>), and its events from one shared GET /api/events stream.
 */
import { commandBackend } from './commands';
import { SseParser } from './sse';
import type { Backend, DeliverySummary, ImportReport, StoreChange, TunnelStatus, Unsubscribe } from './types';
import { ApiError } from './types';

export const TOKEN_KEY = 'hookscope.token';

/** The one line the window shows when it holds no valid token. */
export const ACCESS_MESSAGE =
  'This page has no valid access token: open the ui: address that `hookscope-cli serve --ui` printed.';

const NETWORK_MESSAGE = 'Cannot reach `hookscope-cli serve --ui`: is it still running?';

/** Reconnect delays: 1 s, doubling, at most 10 s. */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 10_000;
/** The server sends a keep-alive every 15 s; three missed means the connection is dead. */
export const STREAM_IDLE_MS = 45_000;

/** What the backend needs from the page, injected so tests can stand in for it. */
export interface HttpEnv {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  location: { hash: string; pathname: string; search: string };
  /** Null where the browser refuses storage: the token then lives as long as the page. */
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  history: Pick<History, 'replaceState' | 'state'>;
}

export function browserEnv(): HttpEnv {
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    // Storage disabled by the browser's settings.
  }
  return {
    fetch: (url, init) => window.fetch(url, init),
    location: window.location,
    storage,
    history: window.history,
  };
}

/**
 * The token from a `#token=…` fragment (kept for this tab, the fragment removed so it is neither
 * bookmarked nor shown), else the one kept earlier in this tab.
 */
export function takeToken(env: Pick<HttpEnv, 'location' | 'storage' | 'history'>): string | null {
  const fromHash = tokenInHash(env.location.hash);
  if (fromHash !== null) {
    try {
      env.storage?.setItem(TOKEN_KEY, fromHash);
    } catch {
      // Over quota or disabled: the token still serves this page.
    }
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search);
    return fromHash;
  }
  try {
    const kept = env.storage?.getItem(TOKEN_KEY);
    return kept ? kept : null;
  } catch {
    return null;
  }
}

function tokenInHash(hash: string): string | null {
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part.startsWith('token=')) continue;
    const raw = part.slice('token='.length);
    if (raw === '') return null;
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/** The `code` for an error reply that carries no `{ code, message }` (a proxy's, say). */
function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'too_large';
    case 502:
    case 503:
    case 504:
      return 'network';
    default:
      return 'internal';
  }
}

function isErrorBody(value: unknown): value is { code: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const rec = value as Record<string, unknown>;
  return typeof rec.code === 'string' && typeof rec.message === 'string';
}

type Listener = (payload: unknown) => void;

export interface HttpBackend extends Backend {
  readonly kind: 'http';
}

export function createHttpBackend(env: HttpEnv): HttpBackend {
  const token = takeToken(env);

  let accessProblem: string | null = null;
  const accessListeners = new Set<(message: string) => void>();
  const denied = (): void => {
    if (accessProblem !== null) return;
    accessProblem = ACCESS_MESSAGE;
    for (const listener of [...accessListeners]) listener(ACCESS_MESSAGE);
  };
  const unauthorized = (): ApiError => {
    denied();
    return new ApiError('unauthorized', ACCESS_MESSAGE);
  };

  const failure = async (res: Response): Promise<ApiError> => {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      // Not JSON: described by its status below.
    }
    if (res.status === 401) denied();
    if (isErrorBody(body)) return ApiError.from(body);
    const code = codeForStatus(res.status);
    if (code === 'network') return new ApiError(code, NETWORK_MESSAGE);
    if (code === 'unauthorized') return new ApiError(code, ACCESS_MESSAGE);
    return new ApiError(code, `The server answered HTTP ${res.status}.`);
  };

  const post = async (path: string, body: BodyInit, contentType: string): Promise<Response> => {
    if (token === null) throw unauthorized();
    let res: Response;
    try {
      res = await env.fetch(path, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
        body,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('network', NETWORK_MESSAGE);
    }
    if (!res.ok) throw await failure(res);
    return res;
  };

  /** A body that stopped half-way is a network failure; one that is not JSON, the server's fault. */
  const readFailure = (err: unknown): ApiError =>
    err instanceof SyntaxError
      ? new ApiError('internal', 'The server sent a reply that is not JSON.')
      : new ApiError('network', NETWORK_MESSAGE);

  const invoke = async <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
    const res = await post(`/api/${command}`, JSON.stringify(args ?? {}), 'application/json');
    try {
      return (await res.json()) as T;
    } catch (err) {
      throw readFailure(err);
    }
  };

  const readBytes = async (res: Response): Promise<Uint8Array> => {
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw readFailure(err);
    }
  };

  const events = new EventStream(env, token, denied);

  return {
    kind: 'http',
    ...commandBackend({
      invoke,
      invokeBytes: async (command, args) =>
        readBytes(await post(`/api/${command}`, JSON.stringify(args), 'application/json')),
    }),
    onDeliveries: (handler) => events.subscribe('deliveries:batch', (p) => handler(p as DeliverySummary[])),
    onResync: (handler) => events.subscribe('deliveries:resync', () => handler()),
    onStoreChanged: (handler) => events.subscribe('store:changed', (p) => handler(p as StoreChange)),
    onTunnelStatus: (handler) => events.subscribe('tunnel:status', (p) => handler(p as TunnelStatus)),
    importHar: async (name, bytes) => {
      // A copy, so the body is a plain ArrayBuffer whatever backs the caller's view.
      const res = await post(`/api/import_har?name=${encodeURIComponent(name)}`, bytes.slice().buffer, 'application/octet-stream');
      try {
        return (await res.json()) as ImportReport;
      } catch (err) {
        throw readFailure(err);
      }
    },
    onAccessProblem: (handler) => {
      accessListeners.add(handler);
      if (accessProblem !== null) handler(accessProblem);
      return Promise.resolve(() => {
        accessListeners.delete(handler);
      });
    },
  };
}

interface Waiter {
  resolve: () => void;
  reject: (err: ApiError) => void;
}

/**
 * One `GET /api/events` stream shared by every subscriber: opened with the first, closed with
 * the last, reopened after a failure with a growing delay. After a reopen the resync handlers
 * run, since events sent while it was down are lost.
 */
class EventStream {
  private readonly listeners = new Map<string, Set<Listener>>();
  private waiters: Waiter[] = [];
  /** The connection in progress; null when stopped. */
  private controller: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private live = false;
  /** Connections that failed or ended since the stream was last live (or started). */
  private failures = 0;

  constructor(
    private readonly env: HttpEnv,
    private readonly token: string | null,
    private readonly denied: () => void,
  ) {}

  /** Resolves once the stream is live; rejects only when the token is missing or refused. */
  subscribe(event: string, listener: Listener): Promise<Unsubscribe> {
    if (this.token === null) {
      this.denied();
      return Promise.reject(new ApiError('unauthorized', ACCESS_MESSAGE));
    }
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    const unsubscribe = () => {
      this.listeners.get(event)?.delete(listener);
      if (this.count() === 0) this.stop();
    };
    if (this.controller === null && this.retryTimer === null) this.connect();
    if (this.live) return Promise.resolve(unsubscribe);
    return new Promise((resolve, reject) => {
      this.waiters.push({
        resolve: () => resolve(unsubscribe),
        reject: (err) => {
          unsubscribe();
          reject(err);
        },
      });
    });
  }

  private count(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  private stop(): void {
    const controller = this.controller;
    this.controller = null;
    this.clearTimers();
    this.live = false;
    this.failures = 0;
    controller?.abort();
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.retryTimer = null;
    this.idleTimer = null;
  }

  private connect(): void {
    const controller = new AbortController();
    this.controller = controller;
    void this.read(controller);
  }

  private async read(controller: AbortController): Promise<void> {
    const current = () => this.controller === controller;
    try {
      const res = await this.env.fetch('/api/events', {
        method: 'GET',
        headers: { Authorization: `Bearer ${this.token ?? ''}`, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (!current()) return;
      if (res.status === 401) {
        this.refused();
        return;
      }
      if (!res.ok || res.body === null) throw new Error(`events: HTTP ${res.status}`);
      const reader = res.body.getReader();
      const parser = new SseParser({
        event: ({ event, data }) => {
          this.becameLive();
          this.dispatch(event, data);
        },
        comment: () => this.becameLive(),
      });
      this.watchIdle(controller);
      for (;;) {
        const { done, value } = await reader.read();
        if (!current()) return;
        if (done) break;
        this.watchIdle(controller);
        parser.push(value);
      }
    } catch {
      // Refused, reset, aborted for silence or by stop(): only a current connection retries.
    }
    if (current()) this.retry();
  }

  /** A connection that sends nothing, not even its keep-alive, is given up and reopened. */
  private watchIdle(controller: AbortController): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => controller.abort(), STREAM_IDLE_MS);
  }

  private becameLive(): void {
    if (this.live) return;
    this.live = true;
    const reopened = this.failures > 0;
    this.failures = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
    if (reopened) this.dispatch('deliveries:resync', 'null');
  }

  private retry(): void {
    this.clearTimers();
    this.live = false;
    this.controller = null;
    const delay = Math.min(RECONNECT_MIN_MS * 2 ** this.failures, RECONNECT_MAX_MS);
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private refused(): void {
    this.controller = null;
    this.clearTimers();
    this.live = false;
    this.denied();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new ApiError('unauthorized', ACCESS_MESSAGE));
  }

  private dispatch(event: string, data: string): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      console.error(`${event}: the event's data is not JSON`);
      return;
    }
    for (const listener of [...set]) listener(payload);
  }
}
