import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  ACCESS_MESSAGE,
  type HttpEnv,
  RECONNECT_MAX_MS,
  RECONNECT_MIN_MS,
  STREAM_IDLE_MS,
  TOKEN_KEY,
  createHttpBackend,
} from './http';
import { ApiError } from './types';

interface Sent {
  url: string;
  init: RequestInit;
}

type Responder = (url: string, init: RequestInit) => Response | Promise<Response>;

interface FakeOptions {
  hash?: string;
  pathname?: string;
  search?: string;
  stored?: string | null;
  respond?: Responder;
}

function fakeEnv({ hash = '#token=abc', pathname = '/', search = '', stored = null, respond = () => json(null) }: FakeOptions = {}) {
  const sent: Sent[] = [];
  const storage = new Map<string, string>();
  if (stored !== null) storage.set(TOKEN_KEY, stored);
  const replaced: string[] = [];
  const env: HttpEnv = {
    fetch: async (url, init) => {
      sent.push({ url, init });
      return respond(url, init);
    },
    location: { hash, pathname, search },
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
    history: { state: { kept: true }, replaceState: (_state, _title, url) => void replaced.push(String(url)) },
  };
  return { env, sent, storage, replaced };
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json' } });

const headers = (init: RequestInit) => new Headers(init.headers);

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a rejection');
}

describe('the token', () => {
  it('comes from the fragment, is kept for the tab and leaves the address', async () => {
    const { env, sent, storage, replaced } = fakeEnv({ hash: '#token=s3cr3t-_x', pathname: '/index.html', search: '?a=1' });
    const backend = createHttpBackend(env);
    expect(storage.get(TOKEN_KEY)).toBe('s3cr3t-_x');
    expect(replaced).toEqual(['/index.html?a=1']);
    await backend.listEndpoints();
    expect(headers(sent[0]!.init).get('Authorization')).toBe('Bearer s3cr3t-_x');
  });

  it('comes from the tab after a reload, the address untouched', async () => {
    const { env, sent, replaced } = fakeEnv({ hash: '', stored: 'kept' });
    await createHttpBackend(env).listEndpoints();
    expect(replaced).toEqual([]);
    expect(headers(sent[0]!.init).get('Authorization')).toBe('Bearer kept');
  });

  it('from a new address replaces the one kept', async () => {
    const { env, sent, storage } = fakeEnv({ hash: '#token=new', stored: 'old' });
    await createHttpBackend(env).listEndpoints();
    expect(storage.get(TOKEN_KEY)).toBe('new');
    expect(headers(sent[0]!.init).get('Authorization')).toBe('Bearer new');
  });

  it('is found beside other fragment parameters and percent-decoded', async () => {
    const { env, sent } = fakeEnv({ hash: '#x=1&token=a%2Bb&y=2' });
    await createHttpBackend(env).listEndpoints();
    expect(headers(sent[0]!.init).get('Authorization')).toBe('Bearer a+b');
  });

  it('when missing, sends nothing and reports the one line to show', async () => {
    const { env, sent, replaced } = fakeEnv({ hash: '#other' });
    const backend = createHttpBackend(env);
    const shown: string[] = [];
    await backend.onAccessProblem((m) => shown.push(m));
    const err = await rejection(backend.listEndpoints());
    expect(err.code).toBe('unauthorized');
    expect(await rejection(backend.onDeliveries(() => undefined))).toMatchObject({ code: 'unauthorized' });
    expect(sent).toEqual([]);
    expect(replaced).toEqual([]);
    expect(shown).toEqual([ACCESS_MESSAGE]);
    expect(ACCESS_MESSAGE).toContain('hookscope-cli serve --ui');
  });
});

describe('commands', () => {
  it('POST /api/<command> with the JSON arguments and the token', async () => {
    const { env, sent } = fakeEnv({ respond: () => json([]) });
    const backend = createHttpBackend(env);
    const query = { endpoint: 'all', limit: 50 };
    await backend.listDeliveries(query as never);
    expect(sent).toHaveLength(1);
    const { url, init } = sent[0]!;
    expect(url).toBe('/api/list_deliveries');
    expect(init.method).toBe('POST');
    expect(headers(init).get('Content-Type')).toBe('application/json');
    expect(headers(init).get('Authorization')).toBe('Bearer abc');
    expect(JSON.parse(init.body as string)).toEqual({ query });
  });

  it('sends {} for a command without arguments and keeps camelCase keys', async () => {
    const { env, sent } = fakeEnv({ respond: () => json({}) });
    const backend = createHttpBackend(env);
    await backend.getServerInfo();
    await backend.setFloviBaseUrl('http://127.0.0.1:9');
    await backend.replayDeliveries([3, 1], 'http://127.0.0.1:9/h', { delayMs: 5 } as never);
    expect(sent.map((s) => [s.url, JSON.parse(s.init.body as string) as unknown])).toEqual([
      ['/api/get_server_info', {}],
      ['/api/set_flovi_base_url', { baseUrl: 'http://127.0.0.1:9' }],
      ['/api/replay_deliveries', { ids: [3, 1], url: 'http://127.0.0.1:9/h', options: { delayMs: 5 } }],
    ]);
  });

  it('resolves with the JSON reply, and a unit reply as undefined', async () => {
    const info = { baseUrl: 'http://127.0.0.1:8787', listenError: null };
    const { env } = fakeEnv({ respond: (url) => (url.endsWith('get_server_info') ? json(info) : json(null)) });
    const backend = createHttpBackend(env);
    expect(await backend.getServerInfo()).toEqual(info);
    expect(await backend.deleteEndpoint(4)).toBeUndefined();
  });

  it('reads get_delivery_body as the exact bytes', async () => {
    const raw = Uint8Array.of(0, 0xff, 0xc3, 0x28, 10, 13, 0x80);
    const { env, sent } = fakeEnv({
      respond: () => new Response(raw, { headers: { 'Content-Type': 'application/octet-stream' } }),
    });
    const body = await createHttpBackend(env).getDeliveryBody(9);
    expect(body).toBeInstanceOf(Uint8Array);
    expect([...body]).toEqual([...raw]);
    expect(sent[0]!.url).toBe('/api/get_delivery_body');
    expect(JSON.parse(sent[0]!.init.body as string)).toEqual({ id: 9 });
  });

  it('uploads a HAR file as bytes with its name in the query', async () => {
    const report = { ids: [1], imported: 1, skipped: 0, pruned: 0, retention: 10_000, notes: [] };
    const { env, sent } = fakeEnv({ respond: () => json(report) });
    const bytes = new TextEncoder().encode('{"log":{"entries":[]}}');
    // A view into a larger buffer: only its own bytes may be sent.
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes, 2);
    const result = await createHttpBackend(env).importHar('my capture#1.har', padded.subarray(2, 2 + bytes.length));
    expect(result).toEqual(report);
    const { url, init } = sent[0]!;
    expect(url).toBe('/api/import_har?name=my%20capture%231.har');
    expect(init.method).toBe('POST');
    expect(headers(init).get('Content-Type')).toBe('application/octet-stream');
    expect(headers(init).get('Authorization')).toBe('Bearer abc');
    expect(new Uint8Array(init.body as ArrayBuffer)).toEqual(bytes);
  });
});

describe('errors', () => {
  it('a { code, message } reply becomes that ApiError', async () => {
    const { env } = fakeEnv({ respond: () => json({ code: 'not_found', message: 'No delivery #7.' }, 404) });
    const err = await rejection(createHttpBackend(env).getDelivery(7));
    expect([err.code, err.message]).toEqual(['not_found', 'No delivery #7.']);
  });

  it('an error without a JSON body is described by its status', async () => {
    const { env } = fakeEnv({ respond: () => new Response('Internal Server Error', { status: 500 }) });
    const err = await rejection(createHttpBackend(env).listEndpoints());
    expect([err.code, err.message]).toEqual(['internal', 'The server answered HTTP 500.']);
  });

  it("a gateway's answer with the server gone is a network error", async () => {
    const { env } = fakeEnv({ respond: () => new Response('', { status: 502 }) });
    expect((await rejection(createHttpBackend(env).listEndpoints())).code).toBe('network');
  });

  it('a failed fetch is a network error with one clear line', async () => {
    const { env } = fakeEnv({
      respond: () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const err = await rejection(createHttpBackend(env).listEndpoints());
    expect(err.code).toBe('network');
    expect(err.message).toContain('hookscope-cli serve --ui');
    expect(err.message).not.toContain('\n');
  });

  it('a 200 reply that is not JSON is the server’s fault, not the network’s', async () => {
    const { env } = fakeEnv({ respond: () => new Response('<html>', { status: 200 }) });
    expect((await rejection(createHttpBackend(env).listEndpoints())).code).toBe('internal');
  });

  it('a 401 rejects with the server’s message and shows the access line once, also to late subscribers', async () => {
    const message = 'missing or wrong token: open the address `hookscope-cli serve --ui` printed';
    const { env } = fakeEnv({ respond: () => json({ code: 'unauthorized', message }, 401) });
    const backend = createHttpBackend(env);
    const early: string[] = [];
    const stop = await backend.onAccessProblem((m) => early.push(m));
    const err = await rejection(backend.listEndpoints());
    expect([err.code, err.message]).toEqual(['unauthorized', message]);
    await rejection(backend.getServerInfo());
    expect(early).toEqual([ACCESS_MESSAGE]);
    const late: string[] = [];
    await backend.onAccessProblem((m) => late.push(m));
    expect(late).toEqual([ACCESS_MESSAGE]);
    stop();
  });

  it('other errors leave the access line alone', async () => {
    const { env } = fakeEnv({ respond: () => json({ code: 'forbidden', message: 'Host not allowed' }, 403) });
    const backend = createHttpBackend(env);
    const shown: string[] = [];
    await backend.onAccessProblem((m) => shown.push(m));
    expect((await rejection(backend.listEndpoints())).code).toBe('forbidden');
    expect(shown).toEqual([]);
  });
});

/** A `text/event-stream` reply the test writes into, ended by the request's abort like a real one. */
class FakeStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly response: Response;

  constructor(signal: AbortSignal | null | undefined) {
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
      },
    });
    signal?.addEventListener('abort', () => {
      try {
        this.controller.error(new DOMException('The operation was aborted.', 'AbortError'));
      } catch {
        // Already closed.
      }
    });
    this.response = new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
  }

  send(text: string) {
    this.controller.enqueue(new TextEncoder().encode(text));
  }

  close() {
    this.controller.close();
  }
}

describe('events', () => {
  let streams: FakeStream[];
  let requests: Sent[];
  let refuse: 'no' | 'network' | 'unauthorized';

  const setup = () => {
    const { env } = fakeEnv({
      respond: (url, init) => {
        if (url !== '/api/events') return json(null);
        requests.push({ url, init });
        if (refuse === 'network') throw new TypeError('Failed to fetch');
        if (refuse === 'unauthorized') return json({ code: 'unauthorized', message: 'no' }, 401);
        const stream = new FakeStream(init.signal);
        streams.push(stream);
        return stream.response;
      },
    });
    return createHttpBackend(env);
  };

  /** Lets the stream's reads and the backend's promises settle; the fake clock stays put. */
  const settle = async () => {
    for (let i = 0; i < 20; i += 1) await vi.advanceTimersByTimeAsync(0);
  };
  const last = () => streams[streams.length - 1]!;

  beforeEach(() => {
    vi.useFakeTimers();
    streams = [];
    requests = [];
    refuse = 'no';
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('share one GET /api/events with the token, live once the stream says it is ready', async () => {
    const backend = setup();
    let live = false;
    const subscribed = backend.onDeliveries(() => undefined).then((un) => {
      live = true;
      return un;
    });
    const tunnel = backend.onTunnelStatus(() => undefined);
    await settle();
    expect(requests).toHaveLength(1);
    const { init } = requests[0]!;
    expect(init.method ?? 'GET').toBe('GET');
    expect(headers(init).get('Authorization')).toBe('Bearer abc');
    expect(headers(init).get('Accept')).toBe('text/event-stream');
    expect(live).toBe(false);
    last().send(': ready\n\n');
    await settle();
    expect(live).toBe(true);
    (await subscribed)();
    (await tunnel)();
  });

  it('reach the handlers of their name with the payload', async () => {
    const backend = setup();
    const batches: unknown[] = [];
    const changes: unknown[] = [];
    const statuses: unknown[] = [];
    let resyncs = 0;
    const subs = [
      backend.onDeliveries((b) => batches.push(b)),
      backend.onStoreChanged((c) => changes.push(c)),
      backend.onTunnelStatus((s) => statuses.push(s)),
      backend.onResync(() => (resyncs += 1)),
    ];
    await settle();
    last().send(': ready\r\n\r\nevent: deliveries:batch\r\ndata: [{"id":1},{"id":2}]\r\n\r\n');
    last().send('event: store:changed\ndata: {"kind":"endpoints"}\n\nevent: tunnel:st');
    last().send('atus\ndata: {"state":"off"}\n\n: keep-alive\n\nevent: deliveries:resync\ndata: null\n\n');
    last().send('event: something:else\ndata: 1\n\n');
    await settle();
    expect(batches).toEqual([[{ id: 1 }, { id: 2 }]]);
    expect(changes).toEqual([{ kind: 'endpoints' }]);
    expect(statuses).toEqual([{ state: 'off' }]);
    expect(resyncs).toBe(1);
    for (const un of await Promise.all(subs)) un();
  });

  it('close the stream when the last handler goes, and open it again for a new one', async () => {
    const backend = setup();
    const a = backend.onDeliveries(() => undefined);
    const b = backend.onResync(() => undefined);
    await settle();
    last().send(': ready\n\n');
    await settle();
    (await a)();
    expect(requests[0]!.init.signal?.aborted).toBe(false);
    (await b)();
    expect(requests[0]!.init.signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(RECONNECT_MAX_MS * 3);
    expect(requests).toHaveLength(1);
    const c = backend.onDeliveries(() => undefined);
    await settle();
    expect(requests).toHaveLength(2);
    last().send(': ready\n\n');
    (await c)();
  });

  it('reconnect after 1 s, 2 s, 4 s … at most 10 s, then resync once live again', async () => {
    const backend = setup();
    let resyncs = 0;
    const batches: unknown[] = [];
    void backend.onResync(() => (resyncs += 1));
    void backend.onDeliveries((b) => batches.push(b));
    await settle();
    last().send(': ready\n\n');
    await settle();
    expect(resyncs).toBe(0);

    refuse = 'network';
    last().close();
    await settle();
    const gaps: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const before = requests.length;
      let waited = 0;
      while (requests.length === before) {
        await vi.advanceTimersByTimeAsync(250);
        waited += 250;
        expect(waited).toBeLessThanOrEqual(RECONNECT_MAX_MS);
      }
      gaps.push(waited);
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(RECONNECT_MIN_MS).toBe(1000);
    expect(resyncs).toBe(0);

    refuse = 'no';
    await vi.advanceTimersByTimeAsync(RECONNECT_MAX_MS);
    await settle();
    expect(resyncs).toBe(0);
    last().send(': ready\n\nevent: deliveries:batch\ndata: [{"id":5}]\n\n');
    await settle();
    expect(resyncs).toBe(1);
    expect(batches).toEqual([[{ id: 5 }]]);

    // Live again: the next drop starts over at 1 s.
    const before = requests.length;
    last().close();
    await settle();
    await vi.advanceTimersByTimeAsync(999);
    expect(requests).toHaveLength(before);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(requests).toHaveLength(before + 1);
  });

  it('reopen a stream that falls silent past its keep-alives', async () => {
    const backend = setup();
    let resyncs = 0;
    void backend.onResync(() => (resyncs += 1));
    await settle();
    last().send(': ready\n\n');
    await settle();
    await vi.advanceTimersByTimeAsync(STREAM_IDLE_MS - 1000);
    last().send(': keep-alive\n\n');
    await settle();
    await vi.advanceTimersByTimeAsync(STREAM_IDLE_MS - 1000);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(requests[0]!.init.signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(RECONNECT_MIN_MS);
    await settle();
    expect(requests).toHaveLength(2);
    last().send(': ready\n\n');
    await settle();
    expect(resyncs).toBe(1);
  });

  it('a refused token rejects the subscription, shows the access line and stops retrying', async () => {
    const backend = setup();
    const shown: string[] = [];
    await backend.onAccessProblem((m) => shown.push(m));
    refuse = 'unauthorized';
    const sub = backend.onDeliveries(() => undefined);
    const err = await rejection(sub);
    expect(err.code).toBe('unauthorized');
    expect(shown).toEqual([ACCESS_MESSAGE]);
    await vi.advanceTimersByTimeAsync(RECONNECT_MAX_MS * 3);
    expect(requests).toHaveLength(1);
  });
});
