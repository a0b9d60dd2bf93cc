import { describe, expect, it } from 'vitest';

import { describeRule, forwardForm, parseHeaders, responseForm, toForward, toRule } from './labForm';

describe('response form', () => {
  it('round-trips a sequence rule', () => {
    const lab = {
      endpointId: 3,
      rule: { status: 200, headers: [['X-A', '1']] as Array<[string, string]>, body: null, delayMs: 250, sequence: [500, 500, 200] },
      forward: null,
    };
    const form = responseForm(lab);
    expect(form.kind).toBe('sequence');
    expect(form.sequence).toBe('500, 500, 200');
    expect(toRule(form)).toEqual({ rule: lab.rule, errors: {} });
  });

  it('refuses bad statuses, headers, delays and sequences', () => {
    const base = { ...responseForm(null), enabled: true };
    expect(toRule({ ...base, status: '99' }).errors.status).toBeDefined();
    expect(toRule({ ...base, delayMs: '60001' }).errors.delayMs).toBeDefined();
    expect(toRule({ ...base, headers: 'no colon' }).errors.headers).toBeDefined();
    expect(toRule({ ...base, kind: 'sequence', sequence: '500, abc' }).errors.sequence).toBeDefined();
    expect(toRule({ ...base, enabled: false, status: 'x' })).toEqual({ rule: null, errors: {} });
  });

  it('parses headers in order', () => {
    expect(parseHeaders('X-A: 1\n\n x-b : two: three ')).toEqual([
      ['X-A', '1'],
      ['x-b', 'two: three'],
    ]);
  });

  it('describes rules', () => {
    expect(describeRule(null)).toMatch(/Default/);
    expect(describeRule({ status: 503, headers: [], body: null, delayMs: 200, sequence: [] })).toBe('Answers 503 after 200 ms');
  });
});

describe('forward form', () => {
  it('converts seconds and validates the target', () => {
    const form = { ...forwardForm(null), enabled: true, url: ' http://localhost:3000/webhooks ', timeoutSecs: '2.5' };
    expect(toForward(form).forward).toEqual({ url: 'http://localhost:3000/webhooks', mode: 'proxy', fallbackStatus: 502, timeoutMs: 2500 });
    expect(toForward({ ...form, url: 'localhost:3000' }).errors.url).toBeDefined();
    expect(toForward({ ...form, timeoutSecs: '0' }).errors.timeoutSecs).toBeDefined();
    expect(toForward({ ...form, fallbackStatus: '700' }).errors.fallbackStatus).toBeDefined();
  });
});
