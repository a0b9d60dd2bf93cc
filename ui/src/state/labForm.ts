import type { EndpointLab, ForwardConfig, ForwardMode, ResponseRule } from '../api/lab';

/** The longest a response may be held back, as the core enforces it. */
export const MAX_DELAY_MS = 60_000;

/** The "Response" section of the endpoint dialog, as typed. */
export interface ResponseForm {
  /** Default answer (200 JSON with the delivery id) when false. */
  enabled: boolean;
  kind: 'fixed' | 'sequence';
  status: string;
  /** One `Name: value` per line. */
  headers: string;
  /** Empty: the default JSON body. */
  body: string;
  delayMs: string;
  /** e.g. `500, 500, 200`. */
  sequence: string;
}

/** The "Forward to" section, as typed. */
export interface ForwardForm {
  enabled: boolean;
  url: string;
  mode: ForwardMode;
  fallbackStatus: string;
  timeoutSecs: string;
}

export type LabErrors = Partial<Record<'status' | 'headers' | 'delayMs' | 'sequence' | 'url' | 'fallbackStatus' | 'timeoutSecs', string>>;

export function responseForm(lab: EndpointLab | null): ResponseForm {
  const rule = lab?.rule ?? null;
  return {
    enabled: rule !== null,
    kind: rule && rule.sequence.length > 0 ? 'sequence' : 'fixed',
    status: String(rule?.status ?? 200),
    headers: (rule?.headers ?? []).map(([n, v]) => `${n}: ${v}`).join('\n'),
    body: rule?.body ?? '',
    delayMs: String(rule?.delayMs ?? 0),
    sequence: (rule?.sequence ?? []).join(', '),
  };
}

export function forwardForm(lab: EndpointLab | null): ForwardForm {
  const f = lab?.forward ?? null;
  return {
    enabled: f !== null,
    url: f?.url ?? '',
    mode: f?.mode ?? 'proxy',
    fallbackStatus: String(f?.fallbackStatus ?? 502),
    timeoutSecs: String((f?.timeoutMs ?? 10_000) / 1000),
  };
}

function status(text: string): number | null {
  const t = text.trim();
  if (!/^\d{3}$/.test(t)) return null;
  const n = Number(t);
  return n >= 100 && n <= 599 ? n : null;
}

export function parseHeaders(text: string): Array<[string, string]> | string {
  const out: Array<[string, string]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `"${line}" is not "Name: value"`;
    out.push([name, line.slice(colon + 1).trim()]);
  }
  return out;
}

/** The rule to save (null: default answer), or the errors to show. */
export function toRule(form: ResponseForm): { rule: ResponseRule | null; errors: LabErrors } {
  const errors: LabErrors = {};
  if (!form.enabled) return { rule: null, errors };
  const code = status(form.status);
  if (code === null) errors.status = 'A status from 100 to 599.';
  const headers = parseHeaders(form.headers);
  if (typeof headers === 'string') errors.headers = headers;
  const delay = Number(form.delayMs.trim() === '' ? '0' : form.delayMs);
  if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_MS) errors.delayMs = 'From 0 to 60000 ms (60 s).';
  let sequence: number[] = [];
  if (form.kind === 'sequence') {
    const steps = form.sequence.split(/[\s,]+/).filter((s) => s !== '');
    const parsed = steps.map(status);
    if (steps.length === 0 || parsed.some((s) => s === null)) {
      errors.sequence = 'Statuses from 100 to 599, separated by commas, e.g. 500, 500, 200.';
    } else {
      sequence = parsed as number[];
    }
  }
  if (Object.keys(errors).length > 0) return { rule: null, errors };
  return {
    rule: {
      status: code ?? 200,
      headers: headers as Array<[string, string]>,
      body: form.body === '' ? null : form.body,
      delayMs: delay,
      sequence,
    },
    errors,
  };
}

/** The forward target to save (null: no forwarding), or the errors to show. */
export function toForward(form: ForwardForm): { forward: ForwardConfig | null; errors: LabErrors } {
  const errors: LabErrors = {};
  if (!form.enabled) return { forward: null, errors };
  const url = form.url.trim();
  if (!/^https?:\/\/[^/\s]+/.test(url) || /\s/.test(url)) errors.url = 'An http:// or https:// URL, e.g. http://localhost:3000/webhooks.';
  const fallback = status(form.fallbackStatus);
  if (fallback === null) errors.fallbackStatus = 'A status from 100 to 599.';
  const secs = Number(form.timeoutSecs);
  if (!Number.isFinite(secs) || secs <= 0 || secs > 300) errors.timeoutSecs = 'From 0.001 to 300 seconds.';
  if (Object.keys(errors).length > 0) return { forward: null, errors };
  return {
    forward: { url, mode: form.mode, fallbackStatus: fallback ?? 502, timeoutMs: Math.round(secs * 1000) },
    errors,
  };
}

/** One line for a rule, as the dialog and the CLI summarise it. */
export function describeRule(rule: ResponseRule | null): string {
  if (rule === null) return 'Default: 200 with the delivery id as JSON';
  const what = rule.sequence.length > 0 ? `${rule.sequence.join(', ')} per idempotency key (last repeats)` : `${rule.status}`;
  const delay = rule.delayMs > 0 ? ` after ${rule.delayMs} ms` : '';
  return `Answers ${what}${delay}`;
}
