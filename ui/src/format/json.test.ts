import { describe, expect, it } from 'vitest';

import { JsonSyntaxError, MAX_JSON_DEPTH, formatJson, parseJson, previewText, tryParseJson } from './json';

describe('parseJson', () => {
  it('parses every value kind', () => {
    const tree = parseJson('{"s":"x","n":-1.5e3,"t":true,"f":false,"z":null,"a":[1,{}],"o":{}}');
    expect(tree.kind).toBe('object');
    if (tree.kind !== 'object') return;
    expect(tree.entries.map(([k, v]) => [k, v.kind])).toEqual([
      ['s', 'string'],
      ['n', 'number'],
      ['t', 'boolean'],
      ['f', 'boolean'],
      ['z', 'null'],
      ['a', 'array'],
      ['o', 'object'],
    ]);
  });

  it('keeps key order, duplicate keys and number spelling that JSON.parse would lose', () => {
    const text = '{"b":1,"2":2,"b":3,"big":12345678901234567890,"f":1.50}';
    expect(formatJson(parseJson(text), 0).replace(/\n/g, '')).toBe(
      '{"b": 1,"2": 2,"b": 3,"big": 12345678901234567890,"f": 1.50}',
    );
    // For contrast: JSON.parse reorders "2" first, drops the first "b" and rounds the big number.
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['2', 'b', 'big', 'f']);
  });

  it('decodes escapes', () => {
    const tree = parseJson('"a\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00"');
    expect(tree).toEqual({ kind: 'string', value: 'a"b\\c/d\n\té😀' });
  });

  it.each([
    ['{"a":1,}'],
    ['[1,2'],
    ['{"a" 1}'],
    ["{'a':1}"],
    ['01'],
    ['1.'],
    ['"unterminated'],
    ['"tab\there"'],
    ['"\\x41"'],
    ['tru'],
    ['{} {}'],
    [''],
  ])('rejects %j', (bad) => {
    expect(() => parseJson(bad)).toThrow(JsonSyntaxError);
  });

  it('refuses documents nested deeper than the limit instead of overflowing the stack', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 5) + ']'.repeat(MAX_JSON_DEPTH + 5);
    expect(() => parseJson(deep)).toThrow(/too deep/);
    const ok = '['.repeat(50) + ']'.repeat(50);
    expect(parseJson(ok).kind).toBe('array');
  });

  it('counts nodes for expansion decisions', () => {
    const tree = parseJson('{"a":[1,2,3],"b":{"c":null}}');
    // a, 1, 2, 3, b, c
    expect(tree.kind === 'object' && tree.size).toBe(6);
  });
});

describe('formatJson', () => {
  it('pretty-prints with two-space indentation like JSON.stringify', () => {
    const text = '{"type":"test.ping","data":{"ids":[1,2],"empty":{},"none":[],"ok":true,"note":null}}';
    expect(formatJson(parseJson(text))).toBe(JSON.stringify(JSON.parse(text), null, 2));
  });

  it('re-escapes strings so control characters stay visible', () => {
    expect(formatJson(parseJson('["line\\nbreak", "<img src=x onerror=alert(1)>"]'))).toBe(
      '[\n  "line\\nbreak",\n  "<img src=x onerror=alert(1)>"\n]',
    );
  });

  it('formats scalars at top level', () => {
    expect(formatJson(parseJson(' 42 '))).toBe('42');
  });
});

describe('tryParseJson', () => {
  it('accepts documents without a JSON content type', () => {
    expect(tryParseJson(' {"a":1}', false)?.kind).toBe('object');
    expect(tryParseJson('[1]', false)?.kind).toBe('array');
  });

  it('does not call bare scalars JSON unless the content type says so', () => {
    expect(tryParseJson('42', false)).toBeNull();
    expect(tryParseJson('42', true)?.kind).toBe('number');
    expect(tryParseJson('"hi"', true)?.kind).toBe('string');
  });

  it('returns null for invalid or empty JSON', () => {
    expect(tryParseJson('{"a":', true)).toBeNull();
    expect(tryParseJson('   ', true)).toBeNull();
    expect(tryParseJson('<html></html>', false)).toBeNull();
  });
});

describe('previewText', () => {
  it('summarises objects and arrays on one line', () => {
    expect(previewText(parseJson('{"id":1,"ok":true,"tags":["a"],"meta":{}}'))).toBe('"id": 1, "ok": true, "tags": […], "meta": {}');
    expect(previewText(parseJson('[1,2,3]'))).toBe('1, 2, 3');
  });

  it('truncates long strings and long lists', () => {
    const preview = previewText(parseJson(`{"s":"${'x'.repeat(100)}","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}`), 40);
    expect(preview.startsWith(`"s": "${'x'.repeat(23)}…"`)).toBe(true);
    expect(preview.endsWith(', …')).toBe(true);
    expect(preview.length).toBeLessThan(60);
  });
});
