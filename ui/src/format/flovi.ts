import type { FloviCall, FloviSettings, ScheduleResult } from '../api';

/** Flovi's production base URL, from their docs. */
export const DEFAULT_BASE_URL = 'https://api.go.flovi.io/customers/api';

/**
 * The key status line: whether a key is stored, and where the key that encrypts it lives.
 * Never the key itself.
 */
export function keyStatusText(settings: Pick<FloviSettings, 'hasApiKey' | 'keySource'>): string {
  const { headline, where } = keyStatusParts(settings);
  return where ? `${headline} · ${where.join('')}` : headline;
}

/** The status line in pieces; in `where`, the key file's path (if any) is the middle piece. */
export function keyStatusParts(settings: Pick<FloviSettings, 'hasApiKey' | 'keySource'>): {
  headline: string;
  where: [string, string, string] | null;
} {
  if (!settings.hasApiKey) return { headline: 'API key not set', where: null };
  const source = settings.keySource;
  return {
    headline: 'API key set',
    where: source.kind === 'keyring' ? ['stored encrypted in the OS keyring', '', ''] : ['stored encrypted in ', source.path, ' (no keyring)'],
  };
}

// ---------- errors ----------

/** What the Flovi panel shows for a failed call: a headline, Flovi's own words, and what to do. */
export interface Explanation {
  title: string;
  /** The API's message (or the transport error), shown verbatim as text. */
  detail: string | null;
  hint: string | null;
  /** The HTTP status Flovi answered with, when it answered. */
  status: number | null;
}

export type FloviAction = 'offices' | 'schedule' | 'rerun' | 'settings';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** `401 Unauthorized: Invalid API key` → status 401, message "Invalid API key". */
export function parseApiMessage(message: string): { status: number | null; message: string | null } {
  const m = /^\s*(\d{3})\b[^:]*(?::\s*([\s\S]*))?$/.exec(message);
  if (!m) return { status: null, message: message.trim() || null };
  const rest = (m[2] ?? '').trim();
  return { status: Number(m[1]), message: rest === '' ? null : rest };
}

/** Headline and advice for an HTTP status from Flovi (their documented codes first). */
export function explainStatus(status: number, action: FloviAction): { title: string; hint: string | null } {
  const code = `${status}${REASONS[status] ? ` ${REASONS[status]}` : ''}`;
  switch (status) {
    case 400:
      return {
        title: `Flovi rejected the request (${code})`,
        hint: 'Missing or invalid parameters: see Flovi’s message for which one.',
      };
    case 401:
      return {
        title: `Flovi rejected the API key (${code})`,
        hint: 'Check the key in Flovi’s Customer Panel → Organization Settings and save it again here.',
      };
    case 403:
      return {
        title: `No access (${code})`,
        hint: 'The key is valid, but its organisation may not use this resource.',
      };
    case 404:
      return {
        title: `Not found (${code})`,
        hint:
          action === 'schedule'
            ? 'Flovi could not find the route: check the base URL (it ends in /customers/api), or the places may have no route between them.'
            : 'Flovi could not find the route: check the base URL (it ends in /customers/api).',
      };
    case 500:
      return { title: `Flovi failed (${code})`, hint: 'An error on Flovi’s side. Try again later; History can re-run the call.' };
    default:
      if (status >= 500) return { title: `Flovi failed (${code})`, hint: 'An error on Flovi’s side or on the way to it. Try again later.' };
      if (status >= 400) return { title: `Flovi refused the call (${code})`, hint: null };
      return { title: `Unexpected answer from Flovi (${code})`, hint: null };
  }
}

/** A rejected command (`{ code, message }`) explained for the user. */
export function explainError(err: { code: string; message: string }, action: FloviAction): Explanation {
  const message = err.message.trim();
  switch (err.code) {
    case 'no_key':
      return {
        title: 'No API key set',
        detail: null,
        hint: 'Save your Flovi API key under Connection first (Flovi’s Customer Panel → Organization Settings).',
        status: null,
      };
    case 'flovi_api': {
      const parsed = parseApiMessage(message);
      // No status: Flovi answered, but not with something usable (the core's BadResponse).
      if (parsed.status === null) return { title: 'Unexpected answer from Flovi', detail: parsed.message, hint: null, status: null };
      return { ...explainStatus(parsed.status, action), detail: parsed.message, status: parsed.status };
    }
    case 'network':
      return {
        title: 'Flovi could not be reached',
        detail: message || null,
        // The core's messages usually say what to check already.
        hint: /\bcheck\b/i.test(message) ? null : 'Check the base URL and the network connection (proxy, VPN, firewall).',
        status: null,
      };
    case 'timeout':
      return {
        title: 'Flovi did not answer in time',
        detail: message || null,
        hint: 'Flovi may be slow or unreachable. Try again, or re-run the call from History.',
        status: null,
      };
    case 'invalid':
      return {
        title: action === 'settings' ? 'Not saved' : 'The request is invalid',
        detail: message || null,
        hint: action === 'settings' ? null : 'Nothing was sent to Flovi.',
        status: null,
      };
    default:
      return { title: 'Something went wrong', detail: message || null, hint: null, status: null };
  }
}

// ---------- time ----------

const pad = (n: number, width = 2): string => n.toString().padStart(width, '0');
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3339 / ISO 8601 with an explicit zone (`Z` or an offset) to unix ms; null otherwise. */
export function parseInstant(text: string): number | null {
  // Flovi's example has microseconds (`…00.000000Z`); Date.parse wants at most milliseconds.
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i.exec(text.trim());
  if (!m) return null;
  const frac = m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : '';
  const zone = m[4]?.toUpperCase() === 'Z' ? 'Z' : (m[4] ?? '').replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

/** `UTC+3`, `UTC+5:30`, `UTC−4`, or `UTC`: the local offset at that instant. */
export function utcOffsetLabel(ms: number): string {
  const offset = -new Date(ms).getTimezoneOffset();
  if (offset === 0) return 'UTC';
  const sign = offset > 0 ? '+' : '−';
  const abs = Math.abs(offset);
  const minutes = abs % 60;
  return `UTC${sign}${Math.floor(abs / 60)}${minutes ? `:${pad(minutes)}` : ''}`;
}

const clock = (h: number, m: number, s: number): string => `${pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ''}`;

/** `Wed 23 Apr 2025, 15:00` in local time (seconds only when not zero). */
export function formatLocal(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${clock(d.getHours(), d.getMinutes(), d.getSeconds())}`;
}

/** `Thu 15:00` in local time, for labels inside the timeline. */
export function formatShortLocal(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getDay()]} ${clock(d.getHours(), d.getMinutes(), 0)}`;
}

/** `2025-04-23 12:00 UTC`. */
export function formatUtc(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clock(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds())} UTC`;
}

/** `45 min`, `6 h`, `1 d 6 h`, `2 h 30 min`. */
export function formatSpan(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days ? `${days} d` : '', hours ? `${hours} h` : '', mins && !days ? `${mins} min` : ''].filter(Boolean);
  return parts.join(' ');
}

// ---------- the schedule timeline ----------

export interface Bounds {
  departEarliest: number;
  departLatest: number;
  arriveEarliest: number;
  arriveLatest: number;
}

/** The four bounds as unix ms, or the names of the ones that are not valid timestamps. */
export function parseBounds(r: ScheduleResult): { ok: true; bounds: Bounds } | { ok: false; bad: string[] } {
  const entries = [
    ['departEarliest', 'departAtEarliest', r.departAtEarliest],
    ['departLatest', 'departAtLatest', r.departAtLatest],
    ['arriveEarliest', 'arriveAtEarliest', r.arriveAtEarliest],
    ['arriveLatest', 'arriveAtLatest', r.arriveAtLatest],
  ] as const;
  const bad: string[] = [];
  const out: Partial<Bounds> = {};
  for (const [key, wire, text] of entries) {
    const ms = parseInstant(text);
    if (ms === null) bad.push(wire);
    else out[key] = ms;
  }
  return bad.length > 0 ? { ok: false, bad } : { ok: true, bounds: out as Bounds };
}

export interface TimelineBar {
  key: 'depart' | 'arrive';
  from: number;
  to: number;
  /** Percent of the axis. */
  left: number;
  width: number;
}

export interface TimelineTick {
  at: number;
  left: number;
  label: string;
  /** A local midnight: labelled with the day. */
  day: boolean;
}

export interface Timeline {
  start: number;
  end: number;
  depart: TimelineBar;
  arrive: TimelineBar;
  ticks: TimelineTick[];
  /** Where the requested depart time falls, when it is on the axis. */
  requested: { at: number; left: number } | null;
  /** Bounds that contradict each other, worded for the user. */
  warnings: string[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Tick spacings in minutes; hour-or-more steps are placed on local hour boundaries. */
const STEPS = [15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

/** Bars narrower than this (percent) are widened around their centre so they stay visible. */
export const MIN_BAR_PERCENT = 0.8;

/**
 * Lays the depart and arrive windows on one axis (with a margin either side), with local-time
 * ticks: a step giving at most `maxTicks` ticks, aligned to local clock hours, midnights marked.
 */
export function computeTimeline(b: Bounds, requested: number | null = null, maxTicks = 8): Timeline {
  const warnings: string[] = [];
  if (b.departLatest < b.departEarliest) warnings.push('Flovi’s latest departure is before its earliest departure.');
  if (b.arriveLatest < b.arriveEarliest) warnings.push('Flovi’s latest arrival is before its earliest arrival.');
  if (b.arriveEarliest < b.departEarliest) warnings.push('Flovi’s earliest arrival is before its earliest departure.');
  if (b.arriveLatest < b.departLatest) warnings.push('Flovi’s latest arrival is before its latest departure.');

  const points = [b.departEarliest, b.departLatest, b.arriveEarliest, b.arriveLatest];
  let lo = Math.min(...points);
  let hi = Math.max(...points);
  if (hi - lo < HOUR) {
    const mid = (lo + hi) / 2;
    lo = mid - HOUR / 2;
    hi = mid + HOUR / 2;
  }
  const margin = (hi - lo) * 0.04;
  const start = lo - margin;
  const end = hi + margin;
  const pos = (t: number) => ((t - start) / (end - start)) * 100;

  const bar = (key: TimelineBar['key'], a: number, z: number): TimelineBar => {
    const from = Math.min(a, z);
    const to = Math.max(a, z);
    let left = pos(from);
    let width = pos(to) - left;
    if (width < MIN_BAR_PERCENT) {
      left -= (MIN_BAR_PERCENT - width) / 2;
      width = MIN_BAR_PERCENT;
    }
    return { key, from, to, left, width };
  };

  const span = end - start;
  // Past the largest step (windows of months or years, e.g. from a misbehaving API), whole
  // days keep the tick count bounded instead of crowding the axis with weekly ticks.
  const stepMin =
    STEPS.find((s) => span / (s * MINUTE) <= maxTicks) ?? Math.ceil(span / MINUTE / maxTicks / 1440) * 1440;
  const withYear = span > 180 * 1440 * MINUTE;
  const ticks: TimelineTick[] = [];
  const t = new Date(start);
  if (stepMin < 60) {
    t.setSeconds(0, 0);
    t.setMinutes(Math.ceil(t.getMinutes() / stepMin) * stepMin);
  } else if (stepMin < 1440) {
    const hours = stepMin / 60;
    t.setMinutes(0, 0, 0);
    if (t.getTime() < start) t.setHours(t.getHours() + 1);
    t.setHours(Math.ceil(t.getHours() / hours) * hours);
  } else {
    t.setHours(0, 0, 0, 0);
    if (t.getTime() < start) t.setDate(t.getDate() + 1);
  }
  for (let guard = 0; t.getTime() <= end && guard < 64; guard++) {
    const at = t.getTime();
    const day = t.getHours() === 0 && t.getMinutes() === 0;
    ticks.push({
      at,
      left: pos(at),
      day,
      label: withYear
        ? `${t.getDate()} ${MONTHS[t.getMonth()]} ${t.getFullYear()}`
        : day
          ? `${WEEKDAYS[t.getDay()]} ${t.getDate()} ${MONTHS[t.getMonth()]}`
          : clock(t.getHours(), t.getMinutes(), 0),
    });
    if (stepMin < 1440) t.setMinutes(t.getMinutes() + stepMin);
    else t.setDate(t.getDate() + stepMin / 1440);
  }

  return {
    start,
    end,
    depart: bar('depart', b.departEarliest, b.departLatest),
    arrive: bar('arrive', b.arriveEarliest, b.arriveLatest),
    ticks,
    requested: requested !== null && requested >= start && requested <= end ? { at: requested, left: pos(requested) } : null,
    warnings,
  };
}

// ---------- history ----------

/** The path (and query) of a call's URL, for the history list; the full URL if it does not parse. */
export function urlPath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

/** `840 ms`, `1.2 s`, `31 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/** Flovi's `{ "message": … }` from an error body, else the body itself (shortened). */
export function apiMessageOf(body: string | null): string | null {
  if (body === null || body.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const message = (parsed as Record<string, unknown>).message;
      if (typeof message === 'string' && message.trim() !== '') return message.trim();
    }
  } catch {
    // not JSON: fall through to the text
  }
  const text = body.trim().replace(/\s+/g, ' ');
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** One line saying how a recorded call ended. */
export function callSummary(call: FloviCall): { text: string; tone: 'ok' | 'err' | 'muted' } {
  if (call.error) return { text: call.error, tone: 'err' };
  if (call.status !== null && (call.status < 200 || call.status >= 300)) {
    return { text: apiMessageOf(call.responseBody) ?? REASONS[call.status] ?? `HTTP ${call.status}`, tone: 'err' };
  }
  if (call.scheduleId) return { text: `schedule ${call.scheduleId}`, tone: 'ok' };
  if (call.status !== null && call.responseBody) {
    try {
      const parsed: unknown = JSON.parse(call.responseBody);
      if (Array.isArray(parsed)) return { text: `${parsed.length} ${parsed.length === 1 ? 'office' : 'offices'}`, tone: 'ok' };
    } catch {
      // not JSON
    }
  }
  return { text: call.status === null ? 'no response' : '', tone: 'muted' };
}

/** `14:03:22` for a call today, `23 Apr 14:03` for an older one (local time). */
export function callTime(ms: number, now: number): string {
  const d = new Date(ms);
  const n = new Date(now);
  const today = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return today
    ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    : `${d.getDate()} ${MONTHS[d.getMonth()]} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
