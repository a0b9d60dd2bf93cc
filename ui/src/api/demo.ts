/**
 * In-memory backend for running the UI in a plain browser (vite dev/preview, screenshots).
 * Loaded only when window.__TAURI_INTERNALS__ is absent; never inside the app.
 * `?demo=empty` starts with no deliveries, `?demo=static` disables the live feed,
 * `?keys=keyring` reports an OS keyring instead of the headless key file, `?flovi=nokey` starts
 * without a Flovi API key, `?flovi=empty` with no Flovi call history (see demoFlovi.ts).
 *
 * Signature results and decoded views here are written by hand to look like the core's: nothing
 * is verified. The secrets are demo strings.
 */
import type {
  AttemptInfo,
  Backend,
  Decoded,
  DecodedField,
  DeliveryDetail,
  DeliveryGroup,
  DeliveryQuery,
  DeliveryResponses,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  EndpointInput,
  EndpointSettings,
  FailureReason,
  FleikoEvent,
  FloviReservation,
  FlowellaEvent,
  KeySource,
  ProviderId,
  ServerInfo,
  Verification,
} from './types';
import { ApiError } from './types';
import { createFloviDemo } from './demoFlovi';
import { createReplayDemo } from './demoReplay';
import { createTunnelDemo } from './demoTunnel';

const BASE_URL = 'http://127.0.0.1:8787';
const MAX_BODY = 25 * 1024 * 1024;
const NAMES: Record<ProviderId, string> = { flovi: 'Flovi', flowella: 'Flowella', fleiko: 'Fleiko' };

interface DemoEndpoint extends Omit<EndpointSettings, 'secretLabels'> {
  secrets: string[];
}

const initialEndpoints = (): DemoEndpoint[] => [
  {
    id: 1,
    name: 'flovi',
    pathPrefix: '/flovi',
    provider: 'flovi',
    signatureHeader: null,
    toleranceSecs: 300,
    secrets: ['whsec_flovi_demo_8d1f4c2a9b7e', 'whsec_flovi_demo_old_51c0'],
  },
  { id: 2, name: 'flowella', pathPrefix: '/flowella', provider: 'flowella', signatureHeader: null, toleranceSecs: 300, secrets: [] },
  { id: 3, name: 'fleiko', pathPrefix: '/fleiko', provider: 'fleiko', signatureHeader: null, toleranceSecs: 300, secrets: ['fk_demo_sig_2b9e77d0c4'] },
];

/** What the core's analysis would have stored beside a delivery. */
interface Analysis {
  provider: ProviderId;
  eventType: string | null;
  eventId: string | null;
  attempt: number | null;
  /** Deliveries sharing it form a group (the provider's dedupe key). */
  groupKey: string | null;
  /** Null when nothing can be checked (the body was refused). */
  verification: Verification | null;
  decoded: Decoded | null;
}

const REASONS: Record<number, string> = { 200: 'OK', 202: 'Accepted', 408: 'Request Timeout', 413: 'Payload Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** The answer the core records: its default JSON naming the id, or a refusal's. */
function demoResponses(d: DeliveryDetail): DeliveryResponses {
  const status = d.responseStatus ?? 200;
  const text = d.bodyStored
    ? `{"captured":true,"id":${d.id}}`
    : `{"id":${d.id},"captured":false,"error":"body exceeds the ${MAX_BODY} byte limit","limit":${MAX_BODY}}`;
  const size = new TextEncoder().encode(text).length;
  const headers: Array<[string, string]> = [
    ['content-type', 'application/json'],
    ...(d.bodyStored ? [] : ([['connection', 'close']] as Array<[string, string]>)),
    ['content-length', String(size)],
    ['date', new Date(d.receivedAt).toUTCString()],
  ];
  return {
    deliveryId: d.id,
    response: {
      source: d.bodyStored ? 'default' : 'refusal',
      status,
      reason: REASONS[status] ?? '',
      headers,
      body: { text, size, cut: false, binary: false },
      bodySize: size,
      truncated: false,
    },
    forwardResponse: null,
  };
}

interface Stored {
  detail: DeliveryDetail;
  body: Uint8Array;
  groupKey: string | null;
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
  analysis?: Analysis;
  /** The tunnel that carried it, as the store records it. */
  viaTunnel?: string;
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
const uuid = (): string => {
  const h = hex(Uint8Array.from({ length: 16 }, () => Math.floor(rand() * 256)));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const unix = (ageMs: number): number => Math.floor((Date.now() - ageMs) / 1000);

// ---------- verification results, worded like the core's ----------

const V = {
  valid(provider: ProviderId, header: string, signature: string, o: { secret?: string; notes?: string[]; signedAt?: number } = {}): Verification {
    const secret = o.secret ?? 'current';
    const notes = [...(o.notes ?? [])];
    if (secret !== 'current') {
      notes.push(
        `Matched the ${secret} secret, not the current one: ${NAMES[provider]} still signs with the old secret. Finish the rotation in ${NAMES[provider]}, then remove the old secret here.`,
      );
    }
    const explanation =
      provider === 'fleiko' && o.signedAt !== undefined
        ? `Signed by Fleiko with the ${secret} secret at t=${o.signedAt} (2 s before the check, within the 300 s window); the body is byte-for-byte what was signed.`
        : `Signed by ${NAMES[provider]} with the ${secret} secret; the body is byte-for-byte what was signed.`;
    return { status: 'valid', header, matchedSecret: secret, matchedSignature: signature, reason: null, explanation, notes, signedAt: o.signedAt ?? null };
  },
  invalid(
    header: string | null,
    reason: FailureReason,
    explanation: string,
    o: { secret?: string; signature?: string; notes?: string[]; signedAt?: number } = {},
  ): Verification {
    return {
      status: 'invalid',
      header,
      matchedSecret: o.secret ?? null,
      matchedSignature: o.signature ?? null,
      reason,
      explanation,
      notes: o.notes ?? [],
      signedAt: o.signedAt ?? null,
    };
  },
  unsigned(explanation: string): Verification {
    return { status: 'unsigned', header: null, matchedSecret: null, matchedSignature: null, reason: null, explanation, notes: [], signedAt: null };
  },
  unchecked(provider: ProviderId, header: string, signedAt?: number): Verification {
    return {
      status: 'unchecked',
      header,
      matchedSecret: null,
      matchedSignature: null,
      reason: null,
      explanation: `The request carries a signature in ${header}, but no ${NAMES[provider]} secret is configured for this endpoint, so it was not checked.`,
      notes: [],
      signedAt: signedAt ?? null,
    };
  },
};

// ---------- decoding, shaped like the core's ----------

function flatten(value: unknown, prefix = '', out: DecodedField[] = []): DecodedField[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else {
    out.push({ path: prefix, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  return out;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const obj = (v: unknown): Json | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);

const FLOVI_STATES = ['created', 'taken', 'driving', 'sealed', 'final_costs', 'cancelled'];
const FLOVI_REASONS = [
  'DOUBLE_BOOKING',
  'NO_DRIVER_WAS_FOUND',
  'DRIVER_CANCELED_OR_NOT_ARRIVED',
  'SCHEDULE_ISSUE',
  'DRIVER_WAS_FOUND_THROUGH_ANOTHER_WAY',
  'UNTRANSPORTABLE_VEHICLE',
  'OTHER_REASON',
];

function money(amount: number, currency: string | null): string {
  const sym: Record<string, string> = { EUR: '€', USD: '$', GBP: '£' };
  const s = sym[(currency ?? 'EUR').toUpperCase()];
  return s ? `${s}${amount.toFixed(2)}` : `${amount.toFixed(2)} ${currency}`;
}

function floviDecoded(body: Json): Decoded {
  const place = (v: unknown) => {
    const p = obj(v);
    if (!p) return null;
    return {
      address: str(p.address),
      zip: str(p.zip),
      city: str(p.city),
      country: str(p.country),
      latitude: typeof p.latitude === 'number' ? p.latitude : null,
      longitude: typeof p.longitude === 'number' ? p.longitude : null,
    };
  };
  const driver = obj(body.driver);
  const costs = obj(body.costs);
  const cancel = obj(body.cancellation_reason);
  const state = str(body.state);
  const notes: string[] = [];
  if (body.event === 'reservation_state_changed') {
    notes.push("The body says event 'reservation_state_changed' while the docs name the webhook 'reservation_status_change'; both spellings are accepted.");
  }
  const stateKnown = state !== null && FLOVI_STATES.includes(state);
  if (state !== null && !stateKnown) notes.push(`Unknown state '${state}': shown raw.`);
  const r: FloviReservation = {
    reservationId: str(body.reservation),
    event: str(body.event),
    state,
    stateKnown,
    externalId: str(body.external_id),
    driver: driver ? { name: str(driver.name), phone: str(driver.phone), freelancer: typeof driver.freelancer === 'boolean' ? driver.freelancer : null } : null,
    origin: place(body.origin),
    destination: place(body.destination),
    costs: costs
      ? {
          breakdown: (Array.isArray(costs.breakdown) ? costs.breakdown : []).map((l) => {
            const line = obj(l) ?? {};
            return { type: str(line.type), summary: str(line.summary), price: typeof line.price === 'number' ? line.price : null };
          }),
          total: typeof costs.total === 'number' ? costs.total : null,
          currency: str(costs.currency),
        }
      : null,
    vehicles: (Array.isArray(body.vehicles) ? body.vehicles : []).map((v) => {
      const x = obj(v) ?? {};
      return { licensePlate: str(x.license_plate), make: str(x.make), model: str(x.model), year: str(x.year), vin: str(x.vin) };
    }),
    cancellation: cancel ? { reason: str(cancel.reason), reasonKnown: FLOVI_REASONS.includes(str(cancel.reason) ?? ''), comment: str(cancel.comment) } : null,
  };
  const parts = [`Reservation ${r.reservationId ?? '?'} ${(state ?? 'changed').replace(/_/g, ' ')}`];
  const from = r.origin?.city ?? r.origin?.address;
  const to = r.destination?.city ?? r.destination?.address;
  if (from || to) parts.push(`${from ?? '?'} → ${to ?? '?'}`);
  if (r.costs?.total != null) parts.push(money(r.costs.total, r.costs.currency));
  if (r.cancellation?.reason) parts.push(r.cancellation.reason);
  if (r.driver?.name && (state === 'taken' || state === 'driving')) parts.push(`driver ${r.driver.name}`);
  const eventId = `${r.reservationId ?? '?'}:${state ?? '?'}`;
  return {
    eventType: `reservation_status_change.${state ?? 'unknown'}`,
    eventId,
    deliveryId: null,
    attempt: null,
    summary: parts.join(' · '),
    view: { kind: 'floviReservation', ...r },
    notes,
  };
}

const FLEIKO_TYPES = ['job.created', 'job.assigned', 'job.status_changed', 'job.completed', 'job.cancelled', 'customer_portal.booking_created', 'test.ping'];

function fleikoDecoded(env: Json, deliveryId: string | null, attempt: number | null): Decoded {
  const data = obj(env.data) ?? {};
  const type = str(env.type);
  const e: FleikoEvent = {
    id: str(env.id),
    eventType: type,
    typeKnown: type !== null && FLEIKO_TYPES.includes(type),
    created: typeof env.created === 'number' ? env.created : null,
    companyId: str(env.company_id),
    apiVersion: str(env.api_version),
    jobId: str(data.job_id),
    jobReference: str(data.reference),
    status: str(data.status),
    fromStatus: str(data.from_status),
    toStatus: str(data.to_status),
    driver: str(obj(data.driver)?.name),
    reason: str(data.reason),
    reasonCategory: str(data.reason_category),
    bookingId: str(data.booking_id),
    customer: str(obj(data.customer)?.name),
    message: str(data.message),
    fields: flatten(data),
  };
  const job = e.jobReference ?? e.jobId ? `Job ${e.jobReference ?? e.jobId}` : 'Job';
  let line: string;
  switch (type) {
    case 'job.created':
      line = `${job} created`;
      break;
    case 'job.assigned':
      line = e.driver ? `${job} assigned to ${e.driver}` : `${job} assigned`;
      break;
    case 'job.status_changed':
      line = `${job} status ${e.fromStatus ?? '?'} → ${e.toStatus ?? '?'}`;
      break;
    case 'job.completed':
      line = `${job} completed`;
      break;
    case 'job.cancelled':
      line = `${job} cancelled${e.reason ? `: ${e.reason}` : ''}${e.reasonCategory ? ` (${e.reasonCategory})` : ''}`;
      break;
    case 'test.ping':
      line = 'Test ping from Fleiko';
      break;
    default:
      line = type ?? 'Fleiko delivery';
  }
  if (attempt !== null && attempt > 1) line += ` · attempt ${attempt}`;
  return { eventType: type, eventId: e.id, deliveryId, attempt, summary: line, view: { kind: 'fleikoEvent', ...e }, notes: [] };
}

const FLOWELLA_TYPES = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'conversation.opened',
  'conversation.closed',
  'optout.created',
  'template.status_updated',
];

function flowellaDecoded(env: Json): Decoded {
  const data = obj(env.data) ?? {};
  const type = str(env.type);
  const contact = str(data.from) ?? str(data.to) ?? str(obj(data.contact)?.phone);
  const text = str(obj(data.text)?.body) ?? str(data.text);
  const e: FlowellaEvent = {
    id: str(env.id),
    eventType: type,
    typeKnown: type !== null && FLOWELLA_TYPES.includes(type),
    createdAt: str(env.created_at),
    messageId: str(data.message_id),
    conversationId: str(data.conversation_id),
    contact,
    contactName: str(obj(data.contact)?.name),
    direction: str(data.direction),
    text,
    status: str(data.status),
    previousStatus: str(data.previous_status),
    error: str(obj(data.error)?.message),
    templateName: str(obj(data.template)?.name),
    channel: str(data.channel),
    fields: flatten(env),
  };
  let summary: string;
  if (type === 'message.received') summary = `Message${contact ? ` from ${contact}` : ''}${text ? `: “${text}”` : ''}`;
  else if (type === 'message.failed') summary = `Message${contact ? ` to ${contact}` : ''} failed${e.error ? `: ${e.error}` : ''}`;
  else if (type?.startsWith('message.')) summary = `Message${contact ? ` to ${contact}` : ''} ${type.slice(8)}${e.templateName ? ` (${e.templateName})` : ''}`;
  else summary = type ?? 'Flowella delivery';
  return { eventType: type, eventId: e.id, deliveryId: null, attempt: null, summary, view: { kind: 'flowellaEvent', ...e }, notes: [] };
}

// ---------- sample deliveries ----------

const PLACES = {
  espoo: { address: 'Maininkitie 2', zip: '02130', city: 'Espoo', country: 'FI', latitude: 60.1755, longitude: 24.8047 },
  helsinki: { address: 'Mannerheimintie 437', zip: '00130', city: 'Helsinki', country: 'FI', latitude: 60.1699, longitude: 24.9384 },
  tampere: { address: 'Hatanpään valtatie 34', zip: '33100', city: 'Tampere', country: 'FI', latitude: 61.4978, longitude: 23.761 },
  turku: { address: 'Itäinen Rantakatu 8', zip: '20810', city: 'Turku', country: 'FI', latitude: 60.4518, longitude: 22.2666 },
  stockholm: { address: 'Sveavägen 44', zip: '111 34', city: 'Stockholm', country: 'SE', latitude: 59.3371, longitude: 18.0602 },
};

interface FloviOpts {
  reservation?: number;
  from?: keyof typeof PLACES;
  to?: keyof typeof PLACES;
  costs?: Json;
  vehicles?: Json[];
  cancellation?: Json;
  /** How the body bytes go out: compact (as Flovi sends) or with changes made on the way. */
  bodyText?: (json: string) => string;
  verification?: (sig: string) => Verification;
  sigHeader?: (sig: string) => string;
  status?: number;
}

function flovi(ageMs: number, state: string, o: FloviOpts = {}): Sample {
  const reservation = o.reservation ?? 88_000 + Math.floor(rand() * 1000);
  const body: Json = {
    reservation,
    event: 'reservation_state_changed',
    external_id: `ORD-${reservation + 1200}`,
    driver: { name: pick(['Aino Virtanen', 'Mikko Laine', 'Sanna Korhonen']), phone: '+358401234567', freelancer: rand() > 0.5 },
    origin: PLACES[o.from ?? 'helsinki'],
    destination: PLACES[o.to ?? 'tampere'],
    state,
  };
  if (o.costs) body.costs = o.costs;
  if (o.vehicles) body.vehicles = o.vehicles;
  if (o.cancellation) body.cancellation_reason = o.cancellation;
  const json = JSON.stringify(body);
  const text = o.bodyText ? o.bodyText(json) : json;
  const sig = fakeSig();
  const sigValue = o.sigHeader ? o.sigHeader(sig) : `sha256=${sig}`;
  const decoded = floviDecoded(body);
  return {
    method: 'POST',
    path: '/flovi',
    headers: [
      ['host', 'hooks.example.dev'],
      ['content-type', 'application/json'],
      ['content-length', String(enc.encode(text).length)],
      ['x-hub-signature', sigValue],
      ['user-agent', 'GuzzleHttp/7'],
      ['x-forwarded-for', '52.28.14.201'],
    ],
    body: text,
    status: o.status ?? 200,
    ageMs,
    analysis: {
      provider: 'flovi',
      eventType: decoded.eventType,
      eventId: decoded.eventId,
      attempt: null,
      groupKey: `flovi:${decoded.eventId ?? ''}`,
      verification: o.verification ? o.verification(sig) : V.valid('flovi', 'x-hub-signature', sig),
      decoded,
    },
  };
}

interface FleikoOpts {
  id?: string;
  delivery?: string;
  attempt?: number;
  status?: number;
  path?: string;
  data?: Json;
  /** Seconds the signature's t lies before the arrival. */
  tSkew?: number;
  timestampHeader?: string;
  signatureHeader?: (t: number, sig: string) => string | null;
  verification?: (t: number, sig: string) => Verification;
}

function fleiko(ageMs: number, type: string, o: FleikoOpts = {}): Sample {
  const arrival = unix(ageMs);
  const t = arrival - (o.tSkew ?? 2);
  const env: Json = {
    id: o.id ?? uuid(),
    type,
    created: t - 1,
    company_id: 'co_8Qm3vR2x',
    api_version: '1',
    data: o.data ?? {},
  };
  const body = JSON.stringify(env);
  const sig = fakeSig();
  const delivery = o.delivery ?? `dlv_${Math.floor(rand() * 1e12).toString(36)}`;
  const attempt = o.attempt ?? 1;
  const sigHeader = o.signatureHeader ? o.signatureHeader(t, sig) : `t=${t},v1=${sig}`;
  const headers: Array<[string, string]> = [
    ['Host', 'hooks.example.dev'],
    ['User-Agent', 'Fleiko-Webhooks/1.0'],
    ['Content-Type', 'application/json'],
    ['Content-Length', String(enc.encode(body).length)],
    ['X-Fleiko-Event', type],
    ['X-Fleiko-Delivery', delivery],
    ['X-Fleiko-Delivery-Attempt', String(attempt)],
    ['X-Fleiko-Timestamp', o.timestampHeader ?? String(t)],
  ];
  if (sigHeader !== null) headers.push(['X-Fleiko-Signature', sigHeader]);
  const decoded = fleikoDecoded(env, delivery, attempt);
  return {
    method: 'POST',
    path: o.path ?? '/fleiko',
    headers,
    body,
    status: o.status ?? 200,
    ageMs,
    analysis: {
      provider: 'fleiko',
      eventType: type,
      eventId: str(env.id),
      attempt,
      groupKey: `fleiko:${delivery}`,
      verification: o.verification
        ? o.verification(t, sig)
        : sigHeader === null
          ? V.unsigned('No X-Fleiko-Signature header: this delivery is not signed. Fleiko signs every webhook, so it may not come from Fleiko.')
          : V.valid('fleiko', 'X-Fleiko-Signature', sig, { signedAt: t }),
      decoded,
    },
  };
}

function flowella(ageMs: number, type: string, data: Json, path = '/flowella'): Sample {
  const env: Json = { id: `evt_01HX${Math.floor(rand() * 1e8).toString(36).toUpperCase()}`, type, created_at: new Date(Date.now() - ageMs - 800).toISOString().replace(/\.\d+Z$/, 'Z'), data };
  const body = JSON.stringify(env);
  const decoded = flowellaDecoded(env);
  return {
    method: 'POST',
    path,
    headers: [
      ['Host', 'hooks.example.dev'],
      ['Content-Type', 'application/json'],
      ['User-Agent', 'Flowella-Hooks/2'],
      ['X-Flowella-Signature', fakeSig()],
      ['X-Request-Id', `req_${Math.floor(rand() * 1e10).toString(36)}`],
    ],
    body,
    status: 200,
    ageMs,
    analysis: {
      provider: 'flowella',
      eventType: type,
      eventId: str(env.id),
      attempt: null,
      groupKey: `flowella:${str(env.id) ?? ''}`,
      verification: V.unchecked('flowella', 'X-Flowella-Signature'),
      decoded,
    },
  };
}

const SEALED_COSTS = {
  breakdown: [
    { type: 'drive', summary: 'Helsinki–Tampere, 176 km', price: 152.4 },
    { type: 'handover', summary: 'Handover to customer', price: 18 },
    { type: 'fuel', summary: 'Charging, 31 kWh', price: 13.8 },
  ],
  total: 184.2,
  currency: 'EUR',
};

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

function history(): Sample[] {
  const out: Sample[] = [];
  const minute = 60_000;
  for (let i = 0; i < 420; i++) {
    const age = 3 * 60 * minute + (420 - i) * 37_000;
    const kind = i % 7;
    if (kind === 0) out.push(fleiko(age, 'test.ping', { data: { message: 'Hello from Fleiko' } }));
    else if (kind === 3)
      out.push(
        fleiko(age, pick(['job.created', 'job.assigned', 'job.completed']), {
          data: { job_id: `job_${Math.floor(rand() * 1e6).toString(36)}`, reference: `FLK-${10_000 + i}`, driver: { id: 'drv_31Lp', name: 'Aino Virtanen' } },
        }),
      );
    else if (kind === 1 || kind === 5) out.push(flovi(age, pick(['created', 'taken', 'driving']), { from: pick(['helsinki', 'espoo', 'turku'] as const) }));
    else if (kind === 2 || kind === 6)
      out.push(flowella(age, pick(['message.delivered', 'message.read', 'message.sent']), { message_id: `wamid.${fakeSig().slice(0, 24)}`, direction: 'outbound', to: '+447700900456', channel: 'whatsapp', template: { name: 'policy_renewal_reminder' } }));
    else out.push({ method: 'GET', path: '/health', query: `probe=${i}`, headers: [['Host', '127.0.0.1:8787'], ['User-Agent', 'kube-probe/1.29']], status: 200, ageMs: age });
  }
  return out;
}

function featured(): Sample[] {
  const minute = 60_000;
  const s = 1000;
  const out: Sample[] = [];
  const png = new Uint8Array(600);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  for (let i = 16; i < png.length; i++) png[i] = Math.floor(rand() * 256);

  out.push(
    flowella(44 * minute, 'message.received', {
      message_id: 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUM0E5RkI2QjE4QzA3',
      conversation_id: 'conv_8fK2pL',
      direction: 'inbound',
      from: '+447700900123',
      contact: { phone: '+447700900123', name: 'Anna Clarke' },
      channel: 'whatsapp',
      type: 'text',
      text: { body: "ohh hi yeah maybe? remind me what plan I'm on?" },
    }),
    { method: 'GET', path: '/health', query: 'probe=1', headers: [['Host', '127.0.0.1:8787'], ['User-Agent', 'curl/8.5.0'], ['Accept', '*/*']], status: 200, ageMs: 41 * minute },
    fleiko(40 * minute, 'job.created', {
      data: { job_id: 'job_7Kq2mX', reference: 'FLK-10482', pickup: { city: 'Espoo' }, dropoff: { city: 'Helsinki' }, scheduled_at: 1717430400 },
    }),
    flowella(38 * minute, 'message.failed', {
      message_id: 'wamid.HBgMNDQ3NzAwOTAwNDU2FQIAERgSMUY0QjhEMkE3QzlFMEI2',
      direction: 'outbound',
      to: '+447700900456',
      channel: 'whatsapp',
      status: 'failed',
      template: { name: 'policy_renewal_reminder', language: 'en_GB' },
      error: { code: 131026, title: 'Message undeliverable', message: "The recipient's phone number is not a WhatsApp account." },
    }),
  );

  // A Fleiko retry chain: the handler failed twice, then took it. Same X-Fleiko-Delivery and id.
  const chainId = '9c2f4e81-6d17-4b3a-b5e0-2a8c7d9f4e36';
  const chainData = { job_id: 'job_7Kq2mX', reference: 'FLK-10482', status: 'completed', completed_at: 1717437600, driver: { id: 'drv_31Lp', name: 'Aino Virtanen' } };
  const a1 = 36 * minute;
  const a2 = a1 - 62 * s;
  const a3 = a2 - (5 * minute + 3 * s);
  out.push(
    fleiko(a1, 'job.completed', { id: chainId, delivery: 'dlv_7Kq2mX_c1', attempt: 1, status: 500, data: chainData }),
    fleiko(a2, 'job.completed', { id: chainId, delivery: 'dlv_7Kq2mX_c1', attempt: 2, status: 500, data: chainData }),
    fleiko(a3, 'job.completed', { id: chainId, delivery: 'dlv_7Kq2mX_c1', attempt: 3, status: 200, data: chainData }),
  );

  const schedule: Sample = {
    method: 'POST',
    path: '/flovi/schedule',
    headers: [['host', '127.0.0.1:8787'], ['content-type', 'application/json'], ['x-hub-signature', fakeSig()]],
    body: bigJson(),
    status: 200,
    ageMs: 30 * minute,
  };
  schedule.analysis = {
    provider: 'flovi',
    eventType: null,
    eventId: null,
    attempt: null,
    groupKey: null,
    verification: V.invalid(
      'x-hub-signature',
      { kind: 'wrongSecret' },
      "The signature does not match any of the 2 configured secrets, and no usual change to the body (newlines, whitespace, re-serialised JSON) explains it: the secret is probably not this endpoint's Flovi secret.",
    ),
    decoded: { eventType: null, eventId: null, deliveryId: null, attempt: null, summary: null, view: null, notes: ['No state in the body.'] },
  };
  out.push(schedule);

  out.push(
    flovi(27 * minute, 'sealed', { reservation: 34_123, from: 'helsinki', to: 'tampere', costs: SEALED_COSTS }),
    // Flovi fired the same state twice: a duplicate, not a retry.
    flovi(26 * minute + 10 * s, 'sealed', { reservation: 34_123, from: 'helsinki', to: 'tampere', costs: SEALED_COSTS }),
    flovi(24 * minute, 'final_costs', {
      reservation: 33_870,
      from: 'espoo',
      to: 'helsinki',
      costs: { breakdown: [{ type: 'drive', summary: 'Espoo–Helsinki', price: 12 }, { type: 'handover', summary: 'Handover to customer', price: 11 }], total: 23, currency: 'EUR' },
      vehicles: [{ license_plate: 'ABC-123', make: 'Tesla', model: 'Model 3', year: 2021, vin: '5YJ3E1EA7MF000001' }],
      verification: (sig) => V.valid('flovi', 'x-hub-signature', sig, { secret: 'previous' }),
    }),
  );

  const refused: Sample = {
    method: 'POST',
    path: '/flovi',
    headers: [['host', '127.0.0.1:8787'], ['content-type', 'application/json'], ['content-length', '31457280'], ['x-hub-signature', `sha256=${fakeSig()}`]],
    refusedSize: 31_457_280,
    status: 413,
    ageMs: 22 * minute,
  };
  refused.analysis = {
    provider: 'flovi',
    eventType: null,
    eventId: null,
    attempt: null,
    groupKey: null,
    // As in the store: no signature status for a refused body.
    verification: null,
    decoded: null,
  };
  out.push(refused);

  out.push(
    flovi(20 * minute, 'cancelled', {
      reservation: 34_410,
      from: 'turku',
      to: 'helsinki',
      cancellation: { reason: 'NO_DRIVER_WAS_FOUND', comment: 'No driver available for the requested slot; customer rebooked for Monday.' },
    }),
    flovi(18 * minute, 'driving', {
      reservation: 34_377,
      from: 'espoo',
      to: 'stockholm',
      bodyText: (json) => `${json}\n`,
      verification: (sig) =>
        V.invalid(
          'x-hub-signature',
          { kind: 'bodyChanged', change: 'trailing newline added' },
          'The signature matches the body without its trailing newline: something added \\n after Flovi signed it.',
          { secret: 'current', signature: sig },
        ),
    }),
    flovi(16 * minute, 'taken', {
      reservation: 34_398,
      sigHeader: (sig) => `sha1=${sig.slice(0, 40)}`,
      verification: () =>
        V.invalid(
          'x-hub-signature',
          { kind: 'unsupportedScheme', scheme: 'sha1' },
          'The x-hub-signature header carries a sha1 signature, but Flovi signs with HMAC-SHA256: this delivery was not signed the way Flovi signs.',
        ),
    }),
  );

  const attachment: Sample = {
    method: 'PUT',
    path: '/flowella/attachments/receipt.png',
    headers: [['Host', '127.0.0.1:8787'], ['Content-Type', 'application/octet-stream'], ['Content-Length', String(png.length)]],
    body: png,
    status: 201,
    ageMs: 15 * minute,
  };
  attachment.analysis = {
    provider: 'flowella',
    eventType: null,
    eventId: null,
    attempt: null,
    groupKey: null,
    verification: V.unsigned('No header holds an HMAC-SHA256 digest: this delivery is not signed.'),
    decoded: { eventType: null, eventId: null, deliveryId: null, attempt: null, summary: null, view: null, notes: ['The body is not JSON (binary); shown raw.'] },
  };
  out.push(attachment);

  out.push(
    fleiko(13 * minute, 'job.status_changed', { data: { job_id: 'job_7Kq2mX', reference: 'FLK-10482', from_status: 'assigned', to_status: 'in_progress' } }),
    fleiko(12 * minute, 'job.assigned', {
      tSkew: 301,
      data: { job_id: 'job_9Rt4nY', reference: 'FLK-10517', driver: { id: 'drv_88Qa', name: 'Mikko Laine' } },
      verification: (t, sig) =>
        V.invalid(
          'X-Fleiko-Signature',
          { kind: 'timestampOutsideWindow', skewSecs: 301, toleranceSecs: 300 },
          "The signature is genuine, but t is 301 s in the past, outside the 300 s window (by 1 s). Fleiko's replay protection rejects it: a stale or replayed delivery, or a clock out of sync.",
          { secret: 'current', signature: sig, signedAt: t },
        ),
    }),
    fleiko(11 * minute, 'job.cancelled', {
      data: { job_id: 'job_9Rt4nY', reference: 'FLK-10517', status: 'cancelled', reason: 'Customer postponed the transfer', reason_category: 'customer_request' },
      verification: (t) =>
        V.invalid(
          'X-Fleiko-Signature',
          { kind: 'wrongSecret' },
          "The signature does not match the configured secret, and no usual change to the body (newlines, whitespace, re-serialised JSON) explains it: the secret is probably not this endpoint's Fleiko secret.",
          { signedAt: t },
        ),
    }),
    fleiko(10 * minute, 'job.created', {
      data: { job_id: 'job_2Wc9pZ', reference: 'FLK-10533' },
      signatureHeader: (_t, sig) => `t=yesterday,v1=${sig}`,
      verification: () =>
        V.invalid(
          'X-Fleiko-Signature',
          { kind: 'malformedHeader', detail: "t is not a unix time: 'yesterday'" },
          "The X-Fleiko-Signature header is malformed (t is not a unix time: 'yesterday'), so the signature cannot be checked.",
        ),
    }),
  );

  const legacy: Sample = {
    method: 'POST',
    path: '/fleiko/legacy',
    headers: [['Host', '127.0.0.1:8787'], ['Content-Type', 'text/plain; charset=latin1']],
    body: Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x75, 0x20, 0x6c, 0x61, 0x69, 0x74, 0x0a]),
    status: 400,
    ageMs: 9 * minute,
  };
  legacy.analysis = {
    provider: 'fleiko',
    eventType: null,
    eventId: null,
    attempt: null,
    groupKey: null,
    verification: V.unsigned('No X-Fleiko-Signature header: this delivery is not signed. Fleiko signs every webhook, so it may not come from Fleiko.'),
    decoded: { eventType: null, eventId: null, deliveryId: null, attempt: null, summary: null, view: null, notes: ['The body is not JSON (expected value at line 1 column 1); shown raw.'] },
  };
  out.push(legacy);

  out.push(
    fleiko(8 * minute, 'job.completed', {
      data: { job_id: 'job_4Hd7sQ', reference: 'FLK-10529', status: 'completed' },
      timestampHeader: '1717437999',
      verification: (t, sig) =>
        V.invalid(
          'X-Fleiko-Signature',
          { kind: 'timestampMismatch', headerT: t, timestampHeader: '1717437999' },
          `The signature is genuine, but X-Fleiko-Timestamp is "1717437999" while the signature's t is ${t}. The docs say both always carry the same value, so one of them was altered.`,
          { secret: 'current', signature: sig, signedAt: t },
        ),
    }),
    // Detected as Fleiko on a path no endpoint covers: no secret to check with.
    fleiko(7 * minute, 'test.ping', {
      path: '/webhooks/fleiko-staging',
      data: { message: 'Hello from Fleiko' },
      verification: (t) => V.unchecked('fleiko', 'X-Fleiko-Signature', t),
    }),
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
    flovi(4 * minute, 'relocating', { reservation: 34_455, from: 'tampere', to: 'turku' }),
  );

  // Written by hand: a large integer and a duplicate key must survive the pretty view as sent.
  const hostileJson: Sample = {
    method: 'POST',
    path: '/fleiko/jobs',
    headers: [
      ['Host', '127.0.0.1:8787'],
      ['Content-Type', 'application/json'],
      ['X-Fleiko-Delivery', 'dlv_9x2kq'],
      ['X-Fleiko-Delivery-Attempt', '3'],
      ['X-Fleiko-Signature', `t=${unix(3 * minute) - 180},v1=${fakeSig()}`],
    ],
    body:
      '{"id":"evt_1042","type":"job.completed","attempt":3,"x-<img src=x onerror=alert(1)>":"<script>alert(\\"key\\")</script>",' +
      '"data":{"jobId":12345678901234567890,"ok":true,"error":null,"durations":[12.5,3.25e-3,-1],' +
      '"tags":["nightly","eu-west","\u00fcn\u00efc\u00f8d\u00e9 \u2713"],"retry":false,"retry":true,' +
      '"nested":{"empty":{},"list":[],"deep":{"deeper":{"deepest":"value\\nwith newline"}}}}}',
    status: 500,
    ageMs: 3 * minute,
  };
  const hostileDecoded = fleikoDecoded(JSON.parse(hostileJson.body as string) as Json, 'dlv_9x2kq', 3);
  hostileDecoded.notes.push('No X-Fleiko-Timestamp header (the docs say it is always sent).');
  hostileJson.analysis = {
    provider: 'fleiko',
    eventType: 'job.completed',
    eventId: 'evt_1042',
    attempt: 3,
    groupKey: 'fleiko:dlv_9x2kq',
    verification: V.invalid(
      'X-Fleiko-Signature',
      { kind: 'bodyChanged', change: 'JSON keys reordered' },
      "The signature matches the JSON as Fleiko laid it out (JSON keys reordered): the body was parsed and serialised again before it got here. Verify the raw bytes, before any JSON parsing.",
      { secret: 'current', signature: fakeSig(), notes: ['No X-Fleiko-Timestamp header (the docs say it is always sent).'] },
    ),
    decoded: hostileDecoded,
  };
  out.push(hostileJson);

  out.push(
    flowella(2 * minute, 'message.delivered', {
      message_id: 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSQjg3RjE2',
      direction: 'outbound',
      to: '+447700900123',
      channel: 'whatsapp',
      status: 'delivered',
      previous_status: 'sent',
      template: { name: 'policy_renewal_link' },
    }),
    fleiko(40_000, 'test.ping', { data: { message: 'Hello from Fleiko' } }),
  );
  return out;
}

// ---------- retry schedules (as the core knows them) ----------

const FLEIKO_RETRY_SECS = [0, 60, 300, 1800, 7200, 21_600, 86_400];
const FLEIKO_PERMANENT = [400, 401, 403, 404, 405, 410, 415, 422, 451];

function span(secs: number): string {
  if (secs % 3600 === 0) return `${secs / 3600} h`;
  if (secs % 60 === 0) return `${secs / 60} m`;
  return `${secs} s`;
}

function meaningFor(provider: ProviderId | null, status: number | null, attempt: number | null): string {
  if (status === null) return 'no answer recorded';
  if (status >= 200 && status < 300) return '2xx: done';
  if (provider === 'fleiko') {
    if (FLEIKO_PERMANENT.includes(status)) return `dead-lettered: ${status} is permanent`;
    const why = status === 408 || status === 429 ? `${status} is transient` : status >= 500 ? `${status} is a server error` : `${status} is not a 2xx and not on the permanent list`;
    const next = (attempt ?? 1) + 1;
    const delay = FLEIKO_RETRY_SECS[next - 1];
    return delay === undefined
      ? `dead-lettered: attempt ${attempt ?? 1} of 7 failed (${why}); replay it from Fleiko's deliveries log`
      : `will retry in ${span(delay)} (attempt ${next} of 7): ${why}`;
  }
  if (provider === 'flowella') return `${status}: Flowella retries up to three times with backoff`;
  if (provider === 'flovi') return `${status}: Flovi documents no retries`;
  return `${status}`;
}

// ---------- the backend ----------

function matches(s: Stored, search: string): boolean {
  const needle = search.toLowerCase();
  const d = s.detail;
  const hay = [d.method, d.path, d.query ?? '', ...d.headers.flat(), new TextDecoder().decode(s.body)];
  return hay.some((h) => h.toLowerCase().includes(needle));
}

export function createDemoBackend(search: string): Backend {
  const params = new URLSearchParams(search);
  const mode = params.get('demo');
  const keySource: KeySource =
    params.get('keys') === 'keyring' ? { kind: 'keyring' } : { kind: 'keyFile', path: '/home/dev/.local/share/hookscope/secrets.key' };
  const endpoints = initialEndpoints();
  const db: Stored[] = [];
  const firstByKey = new Map<string, number>();
  const listeners = new Set<(batch: DeliverySummary[]) => void>();
  const resyncListeners = new Set<() => void>();

  const endpointFor = (path: string): DemoEndpoint | null =>
    endpoints
      .filter((e) => path === e.pathPrefix || path.startsWith(`${e.pathPrefix.replace(/\/$/, '')}/`))
      .sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)[0] ?? null;

  const insert = async (s: Sample): Promise<Stored> => {
    const body = s.refusedSize !== undefined ? new Uint8Array(0) : typeof s.body === 'string' ? enc.encode(s.body) : (s.body ?? new Uint8Array(0));
    const ep = endpointFor(s.path);
    const contentType = s.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? null;
    const a = s.analysis;
    const id = db.length + 1;
    const key = a?.groupKey ?? null;
    let duplicateOf: number | null = null;
    if (key !== null) {
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, id);
      else duplicateOf = first;
    }
    // An endpoint without secrets leaves signed deliveries unchecked, whatever the sample says.
    let verification = a?.verification ?? null;
    if (a && verification && ep && ep.secrets.length === 0 && verification.status !== 'unsigned' && verification.header) {
      verification = V.unchecked(a.provider, verification.header, verification.signedAt ?? undefined);
    }
    const stored: Stored = {
      body,
      groupKey: key,
      detail: {
        id,
        receivedAt: Date.now() - s.ageMs,
        method: s.method,
        path: s.path,
        query: s.query ?? null,
        endpointId: ep?.id ?? null,
        endpoint: ep?.name ?? null,
        provider: a?.provider ?? ep?.provider ?? null,
        contentType,
        bodySize: s.refusedSize ?? body.length,
        bodySha256: s.refusedSize !== undefined ? null : await sha256(body),
        bodyStored: s.refusedSize === undefined,
        responseStatus: s.status ?? 200,
        eventType: a?.eventType ?? null,
        eventId: a?.eventId ?? null,
        attempt: a?.attempt ?? null,
        duplicateOf,
        signature: verification?.status ?? null,
        signatureDetail: verification,
        summary: a?.decoded?.summary ?? null,
        viaTunnel: s.viaTunnel ?? null,
        httpVersion: 'HTTP/1.1',
        target: s.query ? `${s.path}?${s.query}` : s.path,
        headers: s.headers,
        remoteAddr: `127.0.0.1:${50000 + Math.floor(rand() * 15000)}`,
        responseLatencyUs: Math.floor(300 + rand() * 4000),
        decoded: a?.decoded ?? null,
      },
    };
    db.push(stored);
    return stored;
  };

  const ready = (async () => {
    if (mode === 'empty') return;
    // Ids follow arrival order, as in the store.
    const all = [...history(), ...featured()].sort((x, y) => y.ageMs - x.ageMs);
    for (const s of all) await insert(s);
  })();

  const summary = (s: Stored): DeliverySummary => {
    const { httpVersion: _h, target: _t, headers: _hs, remoteAddr: _r, responseLatencyUs: _l, decoded: _d, ...rest } = s.detail;
    return rest;
  };

  const emitResync = () => window.setTimeout(() => resyncListeners.forEach((l) => l()), 30);

  if (mode !== 'static' && mode !== 'empty') {
    let n = 0;
    let lastReservation = 0;
    window.setInterval(() => {
      void ready.then(async () => {
        n++;
        let sample: Sample;
        if (n % 4 === 0 && lastReservation) sample = flovi(0, 'created', { reservation: lastReservation });
        else if (n % 4 === 3) {
          lastReservation = 35_000 + n;
          sample = flovi(0, 'created', { reservation: lastReservation });
        } else if (n % 4 === 1) sample = fleiko(0, 'test.ping', { data: { message: 'Hello from Fleiko' } });
        else sample = flowella(0, 'message.read', { message_id: `wamid.${fakeSig().slice(0, 20)}`, direction: 'outbound', to: '+447700900123', channel: 'whatsapp', status: 'read', previous_status: 'delivered' });
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

  const findEndpoint = (id: number): DemoEndpoint => {
    const ep = endpoints.find((e) => e.id === id);
    if (!ep) throw new ApiError('not_found', `endpoint ${id} not found`);
    return ep;
  };

  const settingsOf = (e: DemoEndpoint): EndpointSettings => {
    const { secrets, ...rest } = e;
    return { ...rest, secretLabels: secrets.map((_, i) => (i === 0 ? 'current' : i === 1 ? 'previous' : `previous ${i}`)) };
  };

  /** Move deliveries to the endpoints that now cover their paths. */
  const reroute = () => {
    for (const s of db) {
      const ep = endpointFor(s.detail.path);
      s.detail.endpointId = ep?.id ?? null;
      s.detail.endpoint = ep?.name ?? null;
    }
  };

  return {
    kind: 'demo',
    ...createFloviDemo(params, keySource),
    ...createReplayDemo(find),
    ...createTunnelDemo(params),
    getServerInfo: (): Promise<ServerInfo> =>
      Promise.resolve({ baseUrl: BASE_URL, dataDir: '~/.local/share/hookscope (demo)', maxBody: MAX_BODY, listenError: null }),
    listEndpoints: (): Promise<Endpoint[]> =>
      Promise.resolve(endpoints.map((e) => ({ id: e.id, name: e.name, pathPrefix: e.pathPrefix, provider: e.provider }))),
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
        if (q.eventType !== null && d.eventType !== q.eventType) continue;
        if (q.signature !== null && d.signature !== q.signature) continue;
        if (q.search !== null && !matches(s, q.search)) continue;
        out.push(summary(s));
      }
      // Local SQLite is fast; a small delay keeps loading states honest.
      await new Promise((r) => window.setTimeout(r, 60));
      return out;
    },
    listEventTypes: async () => {
      await ready;
      return [...new Set(db.map((s) => s.detail.eventType).filter((t): t is string => t !== null))].sort();
    },
    getDelivery: async (id) => ({ ...(await find(id)).detail }),
    getDeliveryBody: async (id) => (await find(id)).body.slice(),
    getDeliveryResponses: async (id) => demoResponses((await find(id)).detail),
    getDeliveryGroup: async (id): Promise<DeliveryGroup> => {
      const s = await find(id);
      const members = s.groupKey === null ? [s] : db.filter((x) => x.groupKey === s.groupKey);
      members.sort((a, b) => a.detail.receivedAt - b.detail.receivedAt);
      const provider = s.detail.provider as ProviderId | null;
      const attempts: AttemptInfo[] = members.map((m, i) => {
        const d = m.detail;
        let expectedAt: number | null = null;
        const prev = members[i - 1];
        if (provider === 'fleiko' && d.attempt !== null && d.attempt > 1 && prev) {
          const delay = FLEIKO_RETRY_SECS[d.attempt - 1];
          if (delay !== undefined) expectedAt = prev.detail.receivedAt + delay * 1000;
        }
        return {
          deliveryId: d.id,
          attempt: d.attempt,
          receivedAt: d.receivedAt,
          expectedAt,
          responseStatus: d.responseStatus,
          meaning: meaningFor(provider, d.responseStatus, d.attempt),
        };
      });
      return { key: s.groupKey?.replace(/^[a-z]+:/, '') ?? null, deliveries: members.map(summary), attempts };
    },
    listEndpointSettings: () => Promise.resolve(endpoints.map(settingsOf)),
    saveEndpoint: async (input: EndpointInput) => {
      await ready;
      const prefix = input.pathPrefix.trim();
      if (!prefix.startsWith('/')) throw new ApiError('invalid', 'The path prefix must start with /.');
      const clash = endpoints.find((e) => e.pathPrefix === prefix && e.id !== input.id);
      if (clash) throw new ApiError('invalid', `Another endpoint (${clash.name}) already uses ${prefix}.`);
      let ep: DemoEndpoint;
      if (input.id === null) {
        ep = { ...input, id: Math.max(0, ...endpoints.map((e) => e.id)) + 1, pathPrefix: prefix, secrets: [] };
        endpoints.push(ep);
      } else {
        ep = findEndpoint(input.id);
        Object.assign(ep, { ...input, pathPrefix: prefix, id: ep.id });
      }
      reroute();
      return settingsOf(ep);
    },
    deleteEndpoint: async (id) => {
      await ready;
      findEndpoint(id);
      endpoints.splice(
        endpoints.findIndex((e) => e.id === id),
        1,
      );
      reroute();
      emitResync();
    },
    setEndpointSecrets: async (id, slots) => {
      await ready;
      const ep = findEndpoint(id);
      const secrets = slots.map((slot) => {
        if (slot.kind === 'new') return slot.value;
        const kept = ep.secrets[slot.index];
        if (kept === undefined) throw new ApiError('invalid', `endpoint ${id} has no secret number ${slot.index}`);
        return kept;
      });
      ep.secrets = secrets;
      let reverified = 0;
      for (const s of db) {
        const d = s.detail;
        const v = d.signatureDetail;
        if (d.endpointId !== id || !v || !d.bodyStored || v.status === 'unsigned' || !v.header) continue;
        const provider = (d.provider ?? ep.provider) as ProviderId;
        reverified++;
        if (secrets.length === 0) d.signatureDetail = V.unchecked(provider, v.header, v.signedAt ?? undefined);
        else if (v.status === 'unchecked') {
          d.signatureDetail = V.valid(provider, v.header, fakeSig(), {
            signedAt: v.signedAt ?? undefined,
            notes:
              provider === 'flowella' && !ep.signatureHeader
                ? [
                    `No signature header is configured, so every header was searched: the digest was found in ${v.header} (as a bare hex digest). Set ${v.header} as this endpoint's signature header to check only that one.`,
                  ]
                : [],
          });
        }
        d.signature = d.signatureDetail?.status ?? null;
      }
      emitResync();
      return { reverified };
    },
    revealEndpointSecret: (id, index) => {
      const value = findEndpoint(id).secrets[index];
      return value === undefined ? Promise.reject(new ApiError('not_found', `no secret ${index}`)) : Promise.resolve(value);
    },
    getSecretStorage: () => Promise.resolve(keySource),
    onDeliveries: (handler) => {
      listeners.add(handler);
      return Promise.resolve(() => listeners.delete(handler));
    },
    onResync: (handler) => {
      resyncListeners.add(handler);
      return Promise.resolve(() => resyncListeners.delete(handler));
    },
    // No other process shares the demo's store; its own changes go out as resyncs.
    onStoreChanged: () => Promise.resolve(() => undefined),
  };
}
