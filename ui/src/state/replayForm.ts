// The replay editor's pure logic: headers as editable text, the JSON check that guards
// sending, and what an outcome means for the user.
import type { OutboundRecord, ReplayDraft, ReplayOptions, ReplayRequest } from '../api';

export interface ReplayForm {
  url: string;
  method: string;
  headersText: string;
  /** null: the stored body is not text and is sent unchanged. */
  body: string | null;
  options: ReplayOptions;
  sendRaw: boolean;
}

export const NO_OPTIONS: ReplayOptions = { resign: false, alsoPrevious: false, newDeliveryId: false, bumpAttempt: false };

export function headersToText(headers: ReadonlyArray<readonly [string, string]>): string {
  return headers.map(([n, v]) => `${n}: ${v}`).join('\n');
}

/** One header per line, `Name: value`; blank lines are skipped, anything else is an error. */
export function parseHeaders(text: string): { headers: Array<[string, string]>; errors: string[] } {
  const headers: Array<[string, string]> = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      errors.push(`Line ${i + 1} is not a header ("Name: value").`);
      return;
    }
    headers.push([name, line.slice(colon + 1).trim()]);
  });
  return { headers, errors };
}

/** Why `text` is not JSON, or null when it is. */
export function jsonError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : 'not valid JSON';
  }
}

export function formFromDraft(draft: ReplayDraft): ReplayForm {
  return {
    url: draft.url,
    method: draft.method,
    headersText: headersToText(draft.headers),
    body: draft.body,
    options: { ...NO_OPTIONS },
    sendRaw: false,
  };
}

/** What stops sending, in words; null when the form can be sent. */
export function blockReason(draft: ReplayDraft, form: ReplayForm): string | null {
  if (!/^https?:\/\/[^/\s]+/i.test(form.url.trim())) return 'The target must be an http:// or https:// URL.';
  if (form.method.trim() === '') return 'The method cannot be empty.';
  const { errors } = parseHeaders(form.headersText);
  if (errors.length > 0) return errors[0] ?? null;
  if (draft.json && form.body !== null && !form.sendRaw) {
    const why = jsonError(form.body);
    if (why !== null) return `The body is not valid JSON (${why}). Fix it, or tick “Send raw” to send it anyway.`;
  }
  if (form.options.resign && !draft.canResign) return 'Re-signing needs a secret on the endpoint: set one in its settings.';
  return null;
}

export function toRequest(draft: ReplayDraft, form: ReplayForm): ReplayRequest {
  return {
    deliveryId: draft.deliveryId,
    url: form.url.trim(),
    method: form.method.trim(),
    headers: parseHeaders(form.headersText).headers,
    // An unchanged body goes as stored, byte for byte.
    body: form.body === null || form.body === draft.body ? null : form.body,
    options: form.options,
    sendRaw: form.sendRaw,
    timeoutSecs: null,
  };
}

export type Tone = 'ok' | 'warn' | 'error';

/** A one-line verdict for a recorded exchange. */
export function outcome(record: OutboundRecord): { tone: Tone; title: string } {
  if (record.error !== null) return { tone: 'error', title: 'No answer' };
  const status = record.status ?? 0;
  if (status >= 200 && status < 300) return { tone: 'ok', title: `${status}` };
  if (status >= 300 && status < 400) return { tone: 'warn', title: `${status} (redirect, not followed)` };
  return { tone: 'error', title: `${status}` };
}

/** Delivery ids typed as `12, 13 15` (or `#12`), in the order given. */
export function parseIds(text: string): { ids: number[]; error: string | null } {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const ids: number[] = [];
  for (const part of parts) {
    const n = Number(part.replace(/^#/, ''));
    if (!Number.isInteger(n) || n <= 0) return { ids: [], error: `“${part}” is not a delivery id.` };
    ids.push(n);
  }
  return { ids, error: ids.length === 0 ? 'Give the ids of the deliveries to replay.' : null };
}
