import { decodeUtf8Lossy, isBinary, isJsonContentType } from './bytes';
import { type JsonNode, tryParseJson } from './json';

/** Bodies larger than this are not parsed for the Pretty view (it would freeze the window). */
export const MAX_PRETTY_JSON_BYTES = 8 * 1024 * 1024;

export type BodyView = 'pretty' | 'raw' | 'hex';

export type ClassifiedBody =
  | { kind: 'empty' }
  | { kind: 'binary' }
  | { kind: 'json'; text: string; json: JsonNode }
  | { kind: 'text'; text: string };

export function classifyBody(bytes: Uint8Array, contentType: string | null): ClassifiedBody {
  if (bytes.length === 0) return { kind: 'empty' };
  if (isBinary(bytes)) return { kind: 'binary' };
  const text = decodeUtf8Lossy(bytes);
  if (bytes.length <= MAX_PRETTY_JSON_BYTES) {
    const json = tryParseJson(text, isJsonContentType(contentType));
    if (json) return { kind: 'json', text, json };
  }
  return { kind: 'text', text };
}

/** Pretty for JSON, Raw for other text, Hex for binary. */
export function defaultView(body: ClassifiedBody): BodyView {
  switch (body.kind) {
    case 'json':
      return 'pretty';
    case 'binary':
      return 'hex';
    default:
      return 'raw';
  }
}

export function isFormContentType(contentType: string | null): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Decoded form fields in order; repeated names stay separate. */
export function parseForm(text: string): Array<[string, string]> {
  return [...new URLSearchParams(text.trim())];
}
