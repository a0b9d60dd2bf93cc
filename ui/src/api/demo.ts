/**
 * In-memory backend for running the UI in a plain browser (vite dev/preview, screenshots).
 * Loaded only when window.__TAURI_INTERNALS__ is absent; never inside the app.
 * `?demo=empty` starts with no deliveries, `?demo=static` disables the live feed.
 */
import type {
  Backend,
  DeliveryDetail,
  DeliveryQuery,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  ServerInfo,
} from './types';
import { ApiError } from './types';

const BASE_URL = 'http://127.0.0.1:8787';
const MAX_BODY = 25 * 1024 * 1024;

const ENDPOINTS: Endpoint[] = [
  { id: 1, name: 'flovi', pathPrefix: '/flovi', provider: 'flovi' },
  { id: 2, name: 'flowella', pathPrefix: '/flowella', provider: 'flowella' },
  { id: 3, name: 'fleiko', pathPrefix: '/fleiko', provider: 'fleiko' },
];

interface Stored {
  detail: DeliveryDetail;
  body: Uint8Array;
}

interface Sample {
  method: string;
  path: string;
  query?: string;
  headers: Array<[string, string]>;
  body?: string | Uint8Array;
  status?: number | null;
  refusedSize?: number;
  ageMs: number;
}

const enc = new TextEncoder();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function sha256(bytes: Uint8Array): Promise<string | null> {
  if (typeof crypto === 'undefined' || !crypto.subtle) return null;
  const copy = new Uint8Array(bytes);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', copy.buffer)));
}

function pseudoRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const rand = pseudoRandom(42);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const fakeSig = (): string => hex(Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256)));

function fleikoPing(ageMs: number, attempt = 1): Sample {
  const t = Math.floor((Date.now() - ageMs) / 1000);
  const body = JSON.stringify({ id: `evt_${Math.floor(rand() * 1e9)}`, type: 'test.ping', created: t, data: { message: 'Hello from Fleiko' } });
  return {
    method: 'POST',
    path: '/fleiko',
    headers: [
      ['Host', '127.0.0.1:8787'],
      ['User-Agent', 'Fleiko-Webhooks/2.3 (+https://fleiko.example/webhooks)'],
      ['Content-Type', 'application/json; charset=utf-8'],
      ['Content-Length', String(enc.encode(body).length)],
      ['X-Fleiko-Delivery', `dlv_${Math.floor(rand() * 1e12).toString(36)}`],
      ['X-Fleiko-Delivery-Attempt', String(attempt)],
      ['X-Fleiko-Timestamp', String(t)],
      ['X-Fleiko-Signature', `t=${t},v1=${fakeSig()}, v1=${fakeSig()}`],
    ],
    body,
    status: 200,
    ageMs,
  };
}

function floviStatus(ageMs: number, state: string): Sample {
  const body = JSON.stringify(
    {
      event: 'reservation_state_changed',
      reservation: { id: 88123 + Math.floor(rand() * 1000), state, officeId: 'OF-204', departAtEarliest: '2025-11-22T08:30:00Z' },
      previousState: 'pending',
    },
    null,
    2,
  );
  return {
    method: 'POST',
    path: '/flovi/reservations',
    headers: [
      ['host', '127.0.0.1:8787'],
      ['content-type', 'application/json'],
      ['x-hub-signature', `sha256=${fakeSig()}`],
      ['user-agent', 'flovi-hookshot/1.0'],
      ['accept-encoding', 'gzip'],
    ],
    body,
    status: 204,
    ageMs,
  };
}

function flowellaOrder(ageMs: number): Sample {
  const body = JSON.stringify({ order: { number: `FW-${Math.floor(rand() * 90000 + 10000)}`, total: { amount: '129.90', currency: 'EUR' }, lines: [{ sku: 'TEA-01', qty: 2 }] } });
  return {
    method: pick(['POST', 'POST', 'PUT']),
    path: '/flowella/orders',
    headers: [
      ['Host', '127.0.0.1:8787'],
      ['Content-Type', 'application/json'],
      ['X-Flowella-Digest', fakeSig()],
      ['X-Flowella-Trace', 'edge-1'],
      ['x-flowella-trace', 'edge-7'],
    ],
    body,
    status: pick([200, 200, 200, 500, 404]),
    ageMs,
  };
}

function bigJson(): string {
  const items = Array.from({ length: 1500 }, (_, i) => ({
    id: i + 1,
    slot: `2025-11-22T${String(6 + (i % 12)).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}:00Z`,
    seats: (i * 13) % 9,
    accessible: i % 5 === 0,
    note: i % 97 === 0 ? null : `Route ${String.fromCharCode(65 + (i % 26))}${i}`,
  }));
  return JSON.stringify({ officeId: 'OF-204', destinationOfficeId: 'OF-311', departures: items });
}

function samples(): Sample[] {
  const minute = 60_000;
  const out: Sample[] = [];
  // Older history to scroll through.
  for (let i = 0; i < 420; i++) {
    const age = 3 * 60 * minute + (420 - i) * 37_000;
    const kind = i % 7;
    if (kind === 0 || kind === 3) out.push(fleikoPing(age, 1 + (i % 3)));
    else if (kind === 1 || kind === 5) out.push(floviStatus(age, pick(['confirmed', 'cancelled', 'boarding'])));
    else if (kind === 2 || kind === 6) out.push(flowellaOrder(age));
    else out.push({ method: 'GET', path: '/health', query: `probe=${i}`, headers: [['Host', '127.0.0.1:8787'], ['User-Agent', 'kube-probe/1.29']], status: 200, ageMs: age });
  }
  const png = new Uint8Array(600);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  for (let i = 16; i < png.length; i++) png[i] = Math.floor(rand() * 256);
  out.push(
    {
      method: 'GET',
      path: '/health',
      query: 'probe=1',
      headers: [['Host', '127.0.0.1:8787'], ['User-Agent', 'curl/8.5.0'], ['Accept', '*/*']],
      status: 200,
      ageMs: 41 * minute,
    },
    {
      method: 'POST',
      path: '/flowella/form',
      headers: [['Host', '127.0.0.1:8787'], ['Content-Type', 'application/x-www-form-urlencoded'], ['X-Flowella-Digest', `sha256=${fakeSig()}`]],
      body: 'event=order.paid&order=FW-20931&amount=129.90&currency=EUR&note=caf%C3%A9+%26+tea',
      status: 200,
      ageMs: 35 * minute,
    },
    {
      method: 'POST',
      path: '/flovi/schedule',
      headers: [['host', '127.0.0.1:8787'], ['content-type', 'application/json'], ['x-hub-signature', fakeSig()]],
      body: bigJson(),
      status: 200,
      ageMs: 30 * minute,
    },
    {
      method: 'POST',
      path: '/flovi',
      headers: [['host', '127.0.0.1:8787'], ['content-type', 'application/json'], ['content-length', '31457280'], ['x-hub-signature', `sha256=${fakeSig()}`]],
      refusedSize: 31_457_280,
      status: 413,
      ageMs: 22 * minute,
    },
    {
      method: 'PUT',
      path: '/flowella/attachments/receipt.png',
      headers: [['Host', '127.0.0.1:8787'], ['Content-Type', 'application/octet-stream'], ['Content-Length', String(png.length)]],
      body: png,
      status: 201,
      ageMs: 15 * minute,
    },
    {
      method: 'POST',
      path: '/fleiko/legacy',
      headers: [['Host', '127.0.0.1:8787'], ['Content-Type', 'text/plain; charset=latin1']],
      body: Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x75, 0x20, 0x6c, 0x61, 0x69, 0x74, 0x0a]),
      status: 400,
      ageMs: 9 * minute,
    },
    {
      method: 'POST',
      path: '/hooks/<img src=x onerror=alert(1)>',
      query: 'q=<script>alert(1)</script>&next=javascript:alert(document.domain)',
      headers: [
        ['Host', '127.0.0.1:8787'],
        ['Content-Type', 'text/html'],
        ['X-Evil', '<img src=x onerror=alert(1)>'],
        ['Referer', 'javascript:alert(1)'],
      ],
      body: '<html><body><img src=x onerror=alert(1)><script>alert(document.cookie)</script>\n<a href="javascript:alert(1)">click</a></body></html>\n',
      status: 404,
      ageMs: 6 * minute,
    },
    {
      method: 'POST',
      path: '/fleiko/jobs',
      headers: [
        ['Host', '127.0.0.1:8787'],
        ['Content-Type', 'application/json'],
        ['X-Fleiko-Delivery', 'dlv_9x2kq'],
        ['X-Fleiko-Delivery-Attempt', '3'],
        ['X-Fleiko-Signature', `t=${Math.floor(Date.now() / 1000) - 180},v1=${fakeSig()}`],
      ],
      // Written by hand: a large integer and a duplicate key must survive the pretty view as sent.
      body:
        '{"id":"evt_1042","type":"job.completed","attempt":3,"x-<img src=x onerror=alert(1)>":"<script>alert(\\"key\\")</script>",' +
        '"data":{"jobId":12345678901234567890,"ok":true,"error":null,"durations":[12.5,3.25e-3,-1],' +
        '"tags":["nightly","eu-west","\u00fcn\u00efc\u00f8d\u00e9 \u2713"],"retry":false,"retry":true,' +
        '"nested":{"empty":{},"list":[],"deep":{"deeper":{"deepest":"value\\nwith newline"}}}}}',

      status: 500,
      ageMs: 3 * minute,
    },
    fleikoPing(40_000),
  );
  return out;
}

function matches(s: Stored, search: string): boolean {
  const needle = search.toLowerCase();
  const d = s.detail;
  const hay = [d.method, d.path, d.query ?? '', ...d.headers.flat(), new TextDecoder().decode(s.body)];
  return hay.some((h) => h.toLowerCase().includes(needle));
}

export function createDemoBackend(search: string): Backend {
  const params = new URLSearchParams(search);
  const mode = params.get('demo');
  const db: Stored[] = [];
  const listeners = new Set<(batch: DeliverySummary[]) => void>();

  const endpointFor = (path: string): Endpoint | null =>
    ENDPOINTS.filter((e) => path === e.pathPrefix || path.startsWith(`${e.pathPrefix}/`)).sort(
      (a, b) => b.pathPrefix.length - a.pathPrefix.length,
    )[0] ?? null;

  const insert = async (s: Sample): Promise<Stored> => {
    const body = s.refusedSize !== undefined ? new Uint8Array(0) : typeof s.body === 'string' ? enc.encode(s.body) : (s.body ?? new Uint8Array(0));
    const ep = endpointFor(s.path);
    const contentType = s.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? null;
    const stored: Stored = {
      body,
      detail: {
        id: db.length + 1,
        receivedAt: Date.now() - s.ageMs,
        method: s.method,
        path: s.path,
        query: s.query ?? null,
        endpointId: ep?.id ?? null,
        endpoint: ep?.name ?? null,
        provider: ep?.provider ?? null,
        contentType,
        bodySize: s.refusedSize ?? body.length,
        bodySha256: s.refusedSize !== undefined ? null : await sha256(body),
        bodyStored: s.refusedSize === undefined,
        responseStatus: s.status ?? 200,
        httpVersion: 'HTTP/1.1',
        headers: s.headers,
        remoteAddr: `127.0.0.1:${50000 + Math.floor(rand() * 15000)}`,
        responseLatencyUs: Math.floor(300 + rand() * 4000),
      },
    };
    db.push(stored);
    return stored;
  };

  const ready = (async () => {
    if (mode === 'empty') return;
    for (const s of samples()) await insert(s);
  })();

  const summary = (s: Stored): DeliverySummary => {
    const { httpVersion: _h, headers: _hs, remoteAddr: _r, responseLatencyUs: _l, ...rest } = s.detail;
    return rest;
  };

  if (mode !== 'static' && mode !== 'empty') {
    let n = 0;
    window.setInterval(() => {
      void ready.then(async () => {
        n++;
        const sample = n % 3 === 0 ? floviStatus(0, 'confirmed') : n % 3 === 1 ? fleikoPing(0) : flowellaOrder(0);
        const stored = await insert(sample);
        const batch = [summary(stored)];
        listeners.forEach((l) => l(batch));
      });
    }, 4000);
  }

  const find = async (id: number): Promise<Stored> => {
    await ready;
    const s = db[id - 1];
    if (!s) throw new ApiError('not_found', `delivery ${id} not found`);
    return s;
  };

  return {
    kind: 'demo',
    getServerInfo: (): Promise<ServerInfo> =>
      Promise.resolve({ baseUrl: BASE_URL, dataDir: '~/.local/share/hookscope (demo)', maxBody: MAX_BODY, listenError: null }),
    listEndpoints: () => Promise.resolve(ENDPOINTS.map((e) => ({ ...e }))),
    listEndpointCounts: async (): Promise<EndpointCount[]> => {
      await ready;
      const counts = new Map<number | null, number>();
      for (const s of db) counts.set(s.detail.endpointId, (counts.get(s.detail.endpointId) ?? 0) + 1);
      return [...counts].map(([endpointId, count]) => ({ endpointId, count }));
    },
    listDeliveries: async (q: DeliveryQuery): Promise<DeliverySummary[]> => {
      await ready;
      const limit = q.limit ?? 200;
      const out: DeliverySummary[] = [];
      for (let i = db.length - 1; i >= 0 && out.length < limit; i--) {
        const s = db[i] as Stored;
        const d = s.detail;
        if (q.beforeId !== null && d.id >= q.beforeId) continue;
        if (q.endpointId !== null && d.endpointId !== q.endpointId) continue;
        if (q.unrouted && d.endpointId !== null) continue;
        if (q.provider !== null && d.provider !== q.provider) continue;
        if (q.method !== null && d.method !== q.method) continue;
        if (q.search !== null && !matches(s, q.search)) continue;
        out.push(summary(s));
      }
      // Local SQLite is fast; a small delay keeps loading states honest.
      await new Promise((r) => window.setTimeout(r, 60));
      return out;
    },
    getDelivery: async (id) => ({ ...(await find(id)).detail }),
    getDeliveryBody: async (id) => (await find(id)).body.slice(),
    onDeliveries: (handler) => {
      listeners.add(handler);
      return Promise.resolve(() => listeners.delete(handler));
    },
  };
}
