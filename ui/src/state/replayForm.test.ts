import { describe, expect, it } from 'vitest';

import type { OutboundRecord, ReplayDraft } from '../api';
import { blockReason, formFromDraft, headersToText, jsonError, outcome, parseHeaders, parseIds, toRequest } from './replayForm';

const draft: ReplayDraft = {
  deliveryId: 7,
  url: 'http://localhost:3000/fleiko?x=1',
  remembered: false,
  method: 'POST',
  headers: [
    ['Content-Type', 'application/json'],
    ['X-Fleiko-Signature', 't=1,v1=ab'],
  ],
  body: '{"id":"evt_1"}',
  json: true,
  provider: 'fleiko',
  canResign: true,
  hasPreviousSecret: false,
};

describe('replay form', () => {
  it('round-trips headers through text and flags bad lines', () => {
    const text = headersToText(draft.headers);
    expect(text).toBe('Content-Type: application/json\nX-Fleiko-Signature: t=1,v1=ab');
    expect(parseHeaders(`${text}\n\nX-Url: http://a:b\r`).headers).toEqual([...draft.headers, ['X-Url', 'http://a:b']]);
    expect(parseHeaders('no colon here').errors).toEqual(['Line 1 is not a header ("Name: value").']);
    expect(parseHeaders('Bad Name: x').errors).toHaveLength(1);
  });

  it('blocks invalid JSON unless sent raw on purpose', () => {
    const form = formFromDraft(draft);
    expect(blockReason(draft, form)).toBeNull();
    const broken = { ...form, body: '{"id": ' };
    expect(jsonError(broken.body)).not.toBeNull();
    expect(blockReason(draft, broken)).toMatch(/not valid JSON.*Send raw/);
    expect(blockReason(draft, { ...broken, sendRaw: true })).toBeNull();
    expect(blockReason({ ...draft, json: false }, broken)).toBeNull();
    expect(blockReason(draft, { ...form, url: 'localhost:3000' })).toMatch(/http/);
    expect(blockReason({ ...draft, canResign: false }, { ...form, options: { ...form.options, resign: true } })).toMatch(/secret/);
  });

  it('sends an unchanged body as stored and an edited one as typed', () => {
    const form = formFromDraft(draft);
    expect(toRequest(draft, form).body).toBeNull();
    expect(toRequest(draft, { ...form, body: '{"id":"evt_2"}' }).body).toBe('{"id":"evt_2"}');
    expect(toRequest(draft, { ...form, url: ' http://h/x ' }).url).toBe('http://h/x');
  });

  it('reads several ids in the order typed', () => {
    expect(parseIds('12, #3 7')).toEqual({ ids: [12, 3, 7], error: null });
    expect(parseIds('12, x').error).toMatch(/x/);
    expect(parseIds('  ').error).toMatch(/ids/);
  });

  it('says what an outcome means', () => {
    const base = { status: 200, error: null } as OutboundRecord;
    expect(outcome(base)).toEqual({ tone: 'ok', title: '200' });
    expect(outcome({ ...base, status: 302 }).tone).toBe('warn');
    expect(outcome({ ...base, status: 500 }).tone).toBe('error');
    expect(outcome({ ...base, status: null, error: 'refused' })).toEqual({ tone: 'error', title: 'No answer' });
  });
});
