import { describe, expect, it } from 'vitest';

import { decodeUtf8Lossy, hexDump, hexLine, isBinary, isJsonContentType } from './bytes';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('isBinary', () => {
  it('treats plain and multi-byte UTF-8 text as text', () => {
    expect(isBinary(utf8('{"a": 1}\r\n\tok'))).toBe(false);
    expect(isBinary(utf8('ünïcødé ✓ 😀'))).toBe(false);
    expect(isBinary(new Uint8Array(0))).toBe(false);
  });

  it('flags invalid UTF-8', () => {
    expect(isBinary(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]))).toBe(true); // latin-1 "café"
    expect(isBinary(Uint8Array.from([0xc3]))).toBe(true); // truncated sequence
  });

  it('flags NUL and control bytes other than tab, CR and LF', () => {
    expect(isBinary(Uint8Array.from([0x61, 0x00, 0x62]))).toBe(true);
    expect(isBinary(Uint8Array.from([0x61, 0x1b, 0x5b]))).toBe(true); // ESC
    expect(isBinary(Uint8Array.from([0x61, 0x7f]))).toBe(true);
    expect(isBinary(Uint8Array.from([0x09, 0x0a, 0x0d]))).toBe(false);
  });

  it('flags a PNG signature', () => {
    expect(isBinary(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  });
});

describe('decodeUtf8Lossy', () => {
  it('replaces invalid sequences with U+FFFD and keeps the rest', () => {
    expect(decodeUtf8Lossy(Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x21]))).toBe('caf\uFFFD!');
  });

  it('keeps a BOM visible', () => {
    expect(decodeUtf8Lossy(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\uFEFFa');
  });
});

describe('hexLine', () => {
  it('formats offset, two groups of eight bytes and ASCII', () => {
    const bytes = utf8('{"type":"test.ping"}');
    const line = hexLine(bytes, 0);
    expect(line.offset).toBe('00000000');
    expect(line.hex).toBe('7b 22 74 79 70 65 22 3a  22 74 65 73 74 2e 70 69');
    expect(line.ascii).toBe('{"type":"test.pi');
  });

  it('pads a short last line so columns stay aligned', () => {
    const bytes = utf8('{"type":"test.ping"}');
    const line = hexLine(bytes, 16);
    expect(line.offset).toBe('00000010');
    expect(line.hex).toBe('6e 67 22 7d' + '   '.repeat(4) + ' ' + '   '.repeat(8));
    expect(line.hex.length).toBe(hexLine(bytes, 0).hex.length);
    expect(line.ascii).toBe('ng"}');
  });

  it('shows non-printable bytes as dots', () => {
    const line = hexLine(Uint8Array.from([0x00, 0x41, 0x7f, 0x80, 0xff, 0x20]), 0);
    expect(line.ascii).toBe('.A... ');
    expect(line.ascii.length).toBe(6);
    expect(line.hex.startsWith('00 41 7f 80 ff 20')).toBe(true);
  });

  it('prints large offsets in hex', () => {
    const bytes = new Uint8Array(0x10020);
    expect(hexLine(bytes, 0x10010).offset).toBe('00010010');
  });
});

describe('hexDump', () => {
  it('joins lines and honours the limit', () => {
    const bytes = new Uint8Array(40).fill(0x41);
    const dump = hexDump(bytes);
    expect(dump.split('\n')).toHaveLength(3);
    expect(dump.split('\n')[0]).toBe(`00000000  ${'41 '.repeat(8)} ${'41 '.repeat(7)}41  |${'A'.repeat(16)}|`);
    expect(hexDump(bytes, 16).split('\n')).toHaveLength(1);
  });
});

describe('isJsonContentType', () => {
  it('recognises JSON media types with parameters and suffixes', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.api+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });
});
