import { describe, expect, it } from 'vitest';

import { classifyBody, defaultView, parseForm } from './body';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('classifyBody / defaultView', () => {
  it('opens JSON in Pretty', () => {
    const body = classifyBody(utf8('{"type":"test.ping"}'), 'application/json');
    expect(body.kind).toBe('json');
    expect(defaultView(body)).toBe('pretty');
  });

  it('detects JSON documents even without a JSON content type', () => {
    expect(classifyBody(utf8('[1,2,3]'), 'text/plain').kind).toBe('json');
  });

  it('opens other text in Raw, including malformed JSON', () => {
    expect(defaultView(classifyBody(utf8('<html><img src=x onerror=alert(1)></html>'), 'text/html'))).toBe('raw');
    const broken = classifyBody(utf8('{"a":'), 'application/json');
    expect(broken.kind).toBe('text');
    expect(defaultView(broken)).toBe('raw');
  });

  it('opens binary in Hex', () => {
    expect(defaultView(classifyBody(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00]), 'image/png'))).toBe('hex');
    // Invalid UTF-8 is binary even when labelled as text.
    expect(classifyBody(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain').kind).toBe('binary');
  });

  it('recognises empty bodies', () => {
    expect(classifyBody(new Uint8Array(0), 'application/json').kind).toBe('empty');
  });
});

describe('parseForm', () => {
  it('decodes fields in order and keeps repeats', () => {
    expect(parseForm('a=1&b=caf%C3%A9+au+lait&a=2')).toEqual([
      ['a', '1'],
      ['b', 'café au lait'],
      ['a', '2'],
    ]);
  });
});
