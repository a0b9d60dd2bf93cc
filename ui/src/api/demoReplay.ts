// Replay, samples and diff for the browser demo: nothing leaves the page; a target on port 1
// (or with "dead" in it) plays an unreachable one.
import type {
  Backend,
  DeliveryDetail,
  DiffSide,
  HeaderDiff,
  JsonChange,
  OutboundRecord,
  ReplayDraft,
  ReplayResult,
  RequestDiff,
  SampleInfo,
} from './types';
import { ApiError } from './types';

type ReplayBackend = Pick<
  Backend,
  | 'getReplayDraft'
  | 'replayDelivery'
  | 'replayDeliveries'
  | 'listReplays'
  | 'getOutboundRecord'
  | 'getOutboundBodies'
  | 'diffDeliveries'
  | 'listSamples'
  | 'sendSample'
  | 'runHandlerCheck'
  | 'listHandlerCheckRuns'
  | 'getHandlerCheckRun'
  | 'compareHandlerCheckRuns'
>;

/** The demo never sends to a real handler, so it has no check to show rather than a made-up one. */
const NO_HANDLER_CHECK = 'Handler check is not available in the demo: it sends real requests to your handler. Run the Hookscope app.';

interface Sent {
  record: OutboundRecord;
  requestBody: string;
  responseBody: string;
}

const SAMPLES: SampleInfo[] = [
  ...['created', 'taken', 'driving', 'sealed', 'final_costs', 'cancelled'].map((s) => ({
    provider: 'flovi' as const,
    event: `reservation_status_change.${s}`,
    description: `Flovi reservation ${s}.`,
  })),
  ...['message.received', 'message.sent', 'message.delivered', 'message.read', 'message.failed', 'conversation.opened', 'conversation.closed', 'optout.created', 'template.status_updated'].map(
    (event) => ({ provider: 'flowella' as const, event, description: `Flowella ${event}.` }),
  ),
  ...['job.created', 'job.assigned', 'job.status_changed', 'job.completed', 'job.cancelled', 'customer_portal.booking_created', 'test.ping'].map(
    (event) => ({ provider: 'fleiko' as const, event, description: `Fleiko ${event}.` }),
  ),
];

function flatten(value: unknown, path: string, out: Map<string, unknown>) {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [`.${k}`, v] as const);
    for (const [k, v] of entries) flatten(v, `${path}${k}`, out);
    if (entries.length > 0) return;
  }
  out.set(path, value);
}

function jsonChanges(a: unknown, b: unknown): JsonChange[] {
  const x = new Map<string, unknown>();
  const y = new Map<string, unknown>();
  flatten(a, '$', x);
  flatten(b, '$', y);
  const out: JsonChange[] = [];
  for (const [path, old] of x) {
    if (!y.has(path)) out.push({ path, change: 'removed', old, new: null });
    else if (JSON.stringify(y.get(path)) !== JSON.stringify(old)) out.push({ path, change: 'changed', old, new: y.get(path) });
  }
  for (const [path, value] of y) if (!x.has(path)) out.push({ path, change: 'added', old: null, new: value });
  return out;
}

function headerChanges(a: Array<[string, string]>, b: Array<[string, string]>): HeaderDiff[] {
  const hop = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);
  const group = (hs: Array<[string, string]>) => {
    const m = new Map<string, [string, string]>();
    for (const [n, v] of hs) {
      const k = n.toLowerCase();
      if (hop.has(k)) continue;
      const prev = m.get(k);
      m.set(k, prev ? [prev[0], `${prev[1]}, ${v}`] : [n, v]);
    }
    return m;
  };
  const x = group(a);
  const y = group(b);
  const out: HeaderDiff[] = [];
  for (const [k, [name, old]] of x) {
    const other = y.get(k);
    if (!other) out.push({ name, change: 'removed', old, new: null });
    else if (other[1] !== old) out.push({ name, change: 'changed', old, new: other[1] });
  }
  for (const [k, [name, value]] of y) if (!x.has(k)) out.push({ name, change: 'added', old: null, new: value });
  return out;
}

export function createReplayDemo(find: (id: number) => Promise<{ detail: DeliveryDetail; body: Uint8Array }>): ReplayBackend {
  const sent: Sent[] = [];
  const remembered = new Map<number, string>();
  const dec = new TextDecoder();

  const record = (
    kind: OutboundRecord['kind'],
    deliveryId: number | null,
    method: string,
    url: string,
    headers: Array<[string, string]>,
    body: string,
  ): ReplayResult => {
    const dead = /:1\/|dead/.test(url);
    const responseBody = dead ? '' : JSON.stringify({ received: true });
    const rec: OutboundRecord = {
      id: sent.length + 1,
      at: Date.now(),
      kind,
      deliveryId,
      method,
      url,
      requestHeaders: headers.filter(([n]) => !['host', 'content-length'].includes(n.toLowerCase())),
      requestBodySize: body.length,
      status: dead ? null : 200,
      responseHeaders: dead ? [] : [['content-type', 'application/json']],
      responseBodySize: responseBody.length,
      truncated: false,
      durationMs: dead ? 1 : 12,
      error: dead ? `connection refused by ${new URL(url).host}: nothing is listening there; check the URL (and that the server is running)` : null,
      options: null,
      sentEventId: null,
    };
    sent.push({ record: rec, requestBody: body, responseBody });
    return { record: rec, ok: !dead, notes: [] };
  };

  const side = async (s: DiffSide) => {
    if (s.kind === 'delivery') {
      const d = await find(s.id);
      return { label: `delivery ${s.id}`, line: `${d.detail.method} ${d.detail.path}`, headers: d.detail.headers, body: dec.decode(d.body) };
    }
    const r = sent[s.id - 1];
    if (!r) throw new ApiError('not_found', `replay ${s.id} not found`);
    return { label: `replay r${s.id}`, line: `${r.record.method} ${new URL(r.record.url).pathname}`, headers: r.record.requestHeaders, body: r.requestBody };
  };

  return {
    getReplayDraft: async (id): Promise<ReplayDraft> => {
      const { detail, body } = await find(id);
      const base = detail.endpointId !== null ? remembered.get(detail.endpointId) : undefined;
      const query = detail.query !== null ? `?${detail.query}` : '';
      const text = dec.decode(body);
      let json: boolean;
      try {
        JSON.parse(text);
        json = true;
      } catch {
        json = (detail.contentType ?? '').includes('json');
      }
      return {
        deliveryId: id,
        url: `${base ?? `http://localhost:3000${detail.path}`}${query}`,
        remembered: base !== undefined,
        method: detail.method,
        headers: detail.headers,
        body: text,
        json,
        provider: detail.provider as ReplayDraft['provider'],
        canResign: detail.provider !== null,
        hasPreviousSecret: false,
      };
    },
    replayDelivery: async (r) => {
      const { detail, body } = await find(r.deliveryId);
      const text = r.body ?? dec.decode(body);
      if (!r.sendRaw && r.body !== null) {
        try {
          JSON.parse(r.body);
        } catch {
          throw new ApiError('invalid', 'the body is not valid JSON; fix it, or tick "send raw" to send it as it is');
        }
      }
      if (detail.endpointId !== null) remembered.set(detail.endpointId, r.url.split('?')[0] ?? r.url);
      return record('replay', r.deliveryId, r.method, r.url, r.headers, text);
    },
    replayDeliveries: async (ids, url, _options) => {
      const out: ReplayResult[] = [];
      for (const id of ids) {
        const { detail, body } = await find(id);
        const base = url.split('?')[0] ?? url;
        out.push(record('replay', id, detail.method, detail.query !== null ? `${base}?${detail.query}` : base, detail.headers, dec.decode(body)));
      }
      return out;
    },
    listReplays: (id) => Promise.resolve(sent.filter((s) => s.record.deliveryId === id).map((s) => s.record).reverse()),
    getOutboundRecord: (id) => {
      const s = sent[id - 1];
      return s ? Promise.resolve(s.record) : Promise.reject(new ApiError('not_found', `replay ${id} not found`));
    },
    runHandlerCheck: () => Promise.reject(new ApiError('unavailable', NO_HANDLER_CHECK)),
    listHandlerCheckRuns: () => Promise.resolve([]),
    getHandlerCheckRun: (id) => Promise.reject(new ApiError('not_found', `no finished handler check ${id}`)),
    compareHandlerCheckRuns: () => Promise.reject(new ApiError('unavailable', NO_HANDLER_CHECK)),
    getOutboundBodies: (id) => {
      const s = sent[id - 1];
      if (!s) return Promise.reject(new ApiError('not_found', `replay ${id} not found`));
      const preview = (text: string) => ({ text, size: text.length, cut: false, binary: false });
      return Promise.resolve({ request: preview(s.requestBody), response: preview(s.responseBody), responseTruncated: false });
    },
    diffDeliveries: async (a, b): Promise<RequestDiff> => {
      const x = await side(a);
      const y = await side(b);
      let body: RequestDiff['body'] = { kind: 'same' };
      if (x.body !== y.body) {
        try {
          body = { kind: 'json', changes: jsonChanges(JSON.parse(x.body), JSON.parse(y.body)) };
        } catch {
          body = { kind: 'text', lines: [...x.body.split('\n').map((text) => ({ kind: 'removed' as const, text })), ...y.body.split('\n').map((text) => ({ kind: 'added' as const, text }))] };
        }
      }
      return { a: x.label, b: y.label, requestLine: x.line === y.line ? null : `${x.line} → ${y.line}`, headers: headerChanges(x.headers, y.headers), body };
    },
    listSamples: () => Promise.resolve(SAMPLES),
    sendSample: (r) => {
      if (!SAMPLES.some((s) => s.provider === r.provider && s.event === r.event)) {
        return Promise.reject(new ApiError('invalid', `${r.provider} has no event ${r.event}`));
      }
      return Promise.resolve(record('sample', null, 'POST', r.url, [['Content-Type', 'application/json']], JSON.stringify({ type: r.event })));
    },
  };
}
