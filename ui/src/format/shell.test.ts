import { describe, expect, it } from 'vitest';

import { curlCommand, firstDeliveryCurl, joinUrl, shellQuote } from './shell';

describe('shellQuote', () => {
  it('leaves safe words bare', () => {
    expect(shellQuote('POST')).toBe('POST');
    expect(shellQuote('http://127.0.0.1:8787/fleiko')).toBe('http://127.0.0.1:8787/fleiko');
  });

  it('single-quotes anything with shell metacharacters', () => {
    expect(shellQuote('Content-Type: application/json')).toBe("'Content-Type: application/json'");
    expect(shellQuote('{"type":"test.ping"}')).toBe('\'{"type":"test.ping"}\'');
    expect(shellQuote('$(rm -rf ~)')).toBe("'$(rm -rf ~)'");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('http://h/p?a=1&b=2')).toBe("'http://h/p?a=1&b=2'");
  });

  it("writes embedded single quotes as '\\''", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("'")).toBe("''\\'''");
  });

  it('quotes the empty string', () => {
    expect(shellQuote('')).toBe("''");
  });
});

describe('joinUrl', () => {
  it('puts exactly one slash between base and path', () => {
    expect(joinUrl('http://127.0.0.1:8787', '/fleiko')).toBe('http://127.0.0.1:8787/fleiko');
    expect(joinUrl('http://127.0.0.1:8787/', '/fleiko')).toBe('http://127.0.0.1:8787/fleiko');
    expect(joinUrl('http://127.0.0.1:8787/', 'fleiko')).toBe('http://127.0.0.1:8787/fleiko');
    expect(joinUrl('http://127.0.0.1:8787', '')).toBe('http://127.0.0.1:8787');
  });
});

describe('curl commands', () => {
  it('builds the first-delivery command from the real base URL', () => {
    expect(firstDeliveryCurl('http://127.0.0.1:8787', '/fleiko')).toBe(
      `curl -X POST http://127.0.0.1:8787/fleiko -H 'Content-Type: application/json' -d '{"type":"test.ping"}'`,
    );
    expect(firstDeliveryCurl('http://127.0.0.1:9999/', '/flovi')).toContain(' http://127.0.0.1:9999/flovi ');
  });

  it('quotes hostile header values and bodies', () => {
    const cmd = curlCommand({
      method: 'POST',
      url: 'http://h/x',
      headers: [['X-Evil', "'; rm -rf / #"]],
      body: "it's",
    });
    expect(cmd).toBe(`curl -X POST http://h/x -H 'X-Evil: '\\''; rm -rf / #' -d 'it'\\''s'`);
  });
});
