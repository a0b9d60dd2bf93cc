export type BodyKind = 'empty' | 'json' | 'text' | 'binary';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** True for control bytes a text body would not contain (everything below 0x20 except \t \n \r, and DEL). */
function isSuspiciousControl(b: number): boolean {
  return (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f;
}

/** Binary = not valid UTF-8, or contains NUL/control bytes other than \t \r \n. */
export function isBinary(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (isSuspiciousControl(b)) return true;
  }
  try {
    strictUtf8.decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** Exact text of the body; invalid sequences become U+FFFD. A BOM is kept visible. */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return lossyUtf8.decode(bytes);
}

export interface HexLine {
  offset: string;
  hex: string;
  ascii: string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export const HEX_BYTES_PER_LINE = 16;

/** One hex-dump line for the 16 bytes starting at `offset`: offset | hex (8 + 8) | ASCII. */
export function hexLine(bytes: Uint8Array, offset: number): HexLine {
  const end = Math.min(offset + HEX_BYTES_PER_LINE, bytes.length);
  const parts: string[] = [];
  let ascii = '';
  for (let i = 0; i < HEX_BYTES_PER_LINE; i++) {
    const at = offset + i;
    if (i === 8) parts.push('');
    if (at < end) {
      const b = bytes[at] ?? 0;
      parts.push(HEX[b] ?? '??');
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    } else {
      // Pad the last line so the ASCII column stays aligned.
      parts.push('  ');
    }
  }
  return { offset: offset.toString(16).padStart(8, '0'), hex: parts.join(' '), ascii };
}

/** The whole dump as text (used for copy and tests), limited to `limit` bytes. */
export function hexDump(bytes: Uint8Array, limit = bytes.length): string {
  const lines: string[] = [];
  const end = Math.min(limit, bytes.length);
  for (let off = 0; off < end; off += HEX_BYTES_PER_LINE) {
    const l = hexLine(bytes.subarray(0, end), off);
    lines.push(`${l.offset}  ${l.hex}  |${l.ascii}|`);
  }
  return lines.join('\n');
}

export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mime === 'application/json' || mime.endsWith('+json') || mime === 'text/json';
}
