import { describe, expect, it, vi } from 'vitest';

import type { FloviCall } from '../api';
import {
  MIN_BAR_PERCENT,
  apiMessageOf,
  callSummary,
  callTime,
  computeTimeline,
  explainError,
  explainStatus,
  formatDuration,
  formatLocal,
  formatShortLocal,
  formatSpan,
  formatUtc,
  keyStatusText,
  parseApiMessage,
  parseBounds,
  parseInstant,
  urlPath,
  utcOffsetLabel,
} from './flovi';

vi.stubEnv('TZ', 'Europe/Helsinki');

const H = 3_600_000;
const utc = (s: string) => Date.parse(s);

describe('error explanations', () => {
  it('splits "401 Unauthorized: Invalid API key"', () => {
    expect(parseApiMessage('401 Unauthorized: Invalid API key')).toEqual({ status: 401, message: 'Invalid API key' });
    expect(parseApiMessage('500 Internal Server Error')).toEqual({ status: 500, message: null });
    expect(parseApiMessage('404: Route: not found')).toEqual({ status: 404, message: 'Route: not found' });
    expect(parseApiMessage('Flovi is down')).toEqual({ status: null, message: 'Flovi is down' });
  });

  it.each([
    [400, 'schedule', /Flovi rejected the request \(400 Bad Request\)/, /invalid parameters/],
    [401, 'offices', /Flovi rejected the API key \(401 Unauthorized\)/, /Organization Settings/],
    [403, 'offices', /No access \(403 Forbidden\)/, /may not use this resource/],
    [404, 'offices', /Not found \(404 Not Found\)/, /ends in \/customers\/api\)\.$/],
    [404, 'schedule', /Not found/, /no route between them/],
    [500, 'schedule', /Flovi failed \(500 Internal Server Error\)/, /Flovi’s side/],
    [503, 'schedule', /Flovi failed \(503 Service Unavailable\)/, /Try again later/],
  ] as const)('explains %i for %s', (status, action, title, hint) => {
    const e = explainStatus(status, action);
    expect(e.title).toMatch(title);
    expect(e.hint).toMatch(hint);
  });

  it('explains an unlisted 4xx without inventing advice', () => {
    expect(explainStatus(422, 'schedule')).toEqual({ title: 'Flovi refused the call (422)', hint: null });
  });

  it('keeps Flovi’s own message for flovi_api errors', () => {
    const e = explainError({ code: 'flovi_api', message: '401 Unauthorized: Invalid API key' }, 'offices');
    expect(e).toMatchObject({ status: 401, detail: 'Invalid API key' });
    expect(e.title).toContain('Flovi rejected the API key');
  });

  it('explains network errors and timeouts with the transport message', () => {
    const net = explainError({ code: 'network', message: 'cannot connect to h:443: reset' }, 'offices');
    expect(net).toMatchObject({ title: 'Flovi could not be reached', detail: 'cannot connect to h:443: reset', status: null });
    expect(net.hint).toMatch(/base URL/);
    // The core's own advice is not repeated.
    const dns = 'cannot find the host x (DNS lookup failed): check the base URL and the network connection';
    expect(explainError({ code: 'network', message: dns }, 'offices')).toMatchObject({ detail: dns, hint: null });
    const slow = explainError({ code: 'timeout', message: 'no answer from h:443 within 10 s (timed out)' }, 'schedule');
    expect(slow).toMatchObject({ title: 'Flovi did not answer in time', detail: 'no answer from h:443 within 10 s (timed out)' });
    expect(slow.hint).toMatch(/re-run/);
  });

  it('explains a missing key, invalid input and anything else', () => {
    expect(explainError({ code: 'no_key', message: 'no key' }, 'offices')).toMatchObject({ title: 'No API key set', detail: null });
    expect(explainError({ code: 'invalid', message: 'depart: required' }, 'schedule')).toMatchObject({
      title: 'The request is invalid',
      detail: 'depart: required',
      hint: 'Nothing was sent to Flovi.',
    });
    expect(explainError({ code: 'invalid', message: 'http only to loopback' }, 'settings')).toMatchObject({ title: 'Not saved', hint: null });
    expect(explainError({ code: 'io', message: 'disk full' }, 'rerun')).toMatchObject({ title: 'Something went wrong', detail: 'disk full' });
    expect(explainError({ code: 'flovi_api', message: "Flovi's answer cannot be used: expected a schedule" }, 'schedule')).toMatchObject({
      title: 'Unexpected answer from Flovi',
      detail: "Flovi's answer cannot be used: expected a schedule",
      status: null,
    });
  });
});

describe('times', () => {
  it('reads RFC 3339 with Flovi’s microseconds, offsets, and refuses zone-less times', () => {
    expect(parseInstant('2025-04-23T12:00:00.000000Z')).toBe(utc('2025-04-23T12:00:00Z'));
    expect(parseInstant('2025-04-23T12:00:00.123456Z')).toBe(utc('2025-04-23T12:00:00.123Z'));
    expect(parseInstant('2025-04-23T12:00:00Z')).toBe(utc('2025-04-23T12:00:00Z'));
    expect(parseInstant('2025-04-23T15:00:00+03:00')).toBe(utc('2025-04-23T12:00:00Z'));
    expect(parseInstant('2025-04-23T15:00:00+0300')).toBe(utc('2025-04-23T12:00:00Z'));
    expect(parseInstant('2025-04-23t12:00z')).toBe(utc('2025-04-23T12:00:00Z'));
    // The docs' request example has no zone: ambiguous, so not a valid bound.
    expect(parseInstant('2025-04-23T12:00:00')).toBeNull();
    expect(parseInstant('tomorrow')).toBeNull();
  });

  it('shows local and UTC side by side', () => {
    const t = utc('2025-04-23T12:00:00Z');
    expect(formatLocal(t)).toBe('Wed 23 Apr 2025, 15:00');
    expect(formatUtc(t)).toBe('2025-04-23 12:00 UTC');
    expect(formatLocal(utc('2025-01-10T06:30:15Z'))).toBe('Fri 10 Jan 2025, 08:30:15');
    expect(formatShortLocal(t)).toBe('Wed 15:00');
  });

  it('labels the local offset', () => {
    expect(utcOffsetLabel(utc('2025-04-23T12:00:00Z'))).toBe('UTC+3');
    expect(utcOffsetLabel(utc('2025-01-23T12:00:00Z'))).toBe('UTC+2');
  });

  it('formats spans and durations', () => {
    expect(formatSpan(45 * 60_000)).toBe('45 min');
    expect(formatSpan(2 * H)).toBe('2 h');
    expect(formatSpan(2.5 * H)).toBe('2 h 30 min');
    expect(formatSpan(30 * H)).toBe('1 d 6 h');
    expect(formatSpan(48 * H)).toBe('2 d');
    expect(formatSpan(0)).toBe('0 min');
    expect(formatDuration(97)).toBe('97 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(30_000)).toBe('30 s');
  });

  it('shows a clock for calls today and a date for older ones', () => {
    const now = new Date(2025, 3, 23, 18, 0).getTime();
    expect(callTime(new Date(2025, 3, 23, 9, 5, 7).getTime(), now)).toBe('09:05:07');
    expect(callTime(new Date(2025, 3, 22, 23, 59).getTime(), now)).toBe('22 Apr 23:59');
  });
});

describe('the schedule timeline', () => {
  // Flovi's docs example, with a 2 h drive.
  const result = {
    scheduleId: '20e84ce3-9c39-4bbe-a28a-aee87180157f',
    departAtEarliest: '2025-04-23T12:00:00.000000Z',
    departAtLatest: '2025-04-24T18:00:00.000000Z',
    arriveAtEarliest: '2025-04-23T14:00:00.000000Z',
    arriveAtLatest: '2025-04-24T20:00:00.000000Z',
    completionLink: 'https://customer.flovi.fi/complete?scheduleId=20e84ce3-9c39-4bbe-a28a-aee87180157f',
  };

  it('parses the four bounds, naming the bad ones', () => {
    const parsed = parseBounds(result);
    expect(parsed).toEqual({
      ok: true,
      bounds: {
        departEarliest: utc('2025-04-23T12:00:00Z'),
        departLatest: utc('2025-04-24T18:00:00Z'),
        arriveEarliest: utc('2025-04-23T14:00:00Z'),
        arriveLatest: utc('2025-04-24T20:00:00Z'),
      },
    });
    expect(parseBounds({ ...result, departAtLatest: 'soon', arriveAtLatest: '' })).toEqual({ ok: false, bad: ['departAtLatest', 'arriveAtLatest'] });
  });

  const bounds = () => {
    const p = parseBounds(result);
    if (!p.ok) throw new Error('bounds');
    return p.bounds;
  };

  it('places both windows on one axis with a margin', () => {
    const tl = computeTimeline(bounds(), utc('2025-04-23T12:00:00Z'));
    const span = 32 * H;
    expect(tl.end - tl.start).toBeCloseTo(span * 1.08, 0);
    expect(tl.depart.left).toBeCloseTo((4 / 108) * 100, 5);
    expect(tl.depart.width).toBeCloseTo((30 / 32 / 1.08) * 100, 5);
    expect(tl.arrive.left).toBeCloseTo(((0.04 * span + 2 * H) / (1.08 * span)) * 100, 5);
    expect(tl.arrive.left + tl.arrive.width).toBeCloseTo((104 / 108) * 100, 5);
    expect(tl.requested?.left).toBeCloseTo(tl.depart.left, 5);
    expect(tl.warnings).toEqual([]);
  });

  it('puts ticks on local hours, marks local midnight with the day', () => {
    const tl = computeTimeline(bounds());
    // 13:43 Wed to 00:17 Fri local (34.6 h) with at most 8 ticks: every 6 h, on local 00/06/12/18.
    const labels = tl.ticks.map((t) => t.label);
    expect(labels).toEqual(['18:00', 'Thu 24 Apr', '06:00', '12:00', '18:00', 'Fri 25 Apr']);
    expect(tl.ticks.filter((t) => t.day).map((t) => new Date(t.at).toISOString())).toEqual([
      '2025-04-23T21:00:00.000Z',
      '2025-04-24T21:00:00.000Z',
    ]);
    for (const t of tl.ticks) {
      expect(t.left).toBeGreaterThanOrEqual(0);
      expect(t.left).toBeLessThanOrEqual(100);
      expect(new Date(t.at).getMinutes()).toBe(0);
      expect(new Date(t.at).getHours() % 6).toBe(0);
    }
  });

  it('picks finer ticks for short schedules', () => {
    const t0 = utc('2025-04-23T12:00:00Z');
    const tl = computeTimeline({ departEarliest: t0, departLatest: t0 + H, arriveEarliest: t0 + H, arriveLatest: t0 + 2 * H });
    expect(tl.ticks.map((t) => t.label)).toEqual(['15:00', '15:30', '16:00', '16:30', '17:00']);
  });

  it('keeps few, dated ticks when the bounds are years apart', () => {
    const early = utc('2025-04-24T18:00:00Z');
    const late = utc('2031-06-14T09:30:00Z');
    const tl = computeTimeline({ departEarliest: late, departLatest: early, arriveEarliest: late, arriveLatest: early });
    expect(tl.ticks.length).toBeGreaterThan(1);
    expect(tl.ticks.length).toBeLessThanOrEqual(8);
    expect(tl.ticks[0]?.label).toMatch(/^\d{1,2} [A-Z][a-z]{2} 20(25|26)$/);
  });

  it('keeps zero-length windows visible and the axis at least an hour wide', () => {
    const t0 = utc('2025-04-23T12:00:00Z');
    const tl = computeTimeline({ departEarliest: t0, departLatest: t0, arriveEarliest: t0, arriveLatest: t0 });
    expect(tl.end - tl.start).toBeGreaterThanOrEqual(H);
    expect(tl.depart.width).toBe(MIN_BAR_PERCENT);
    expect(tl.depart.left + tl.depart.width / 2).toBeCloseTo(50, 5);
  });

  it('warns when Flovi’s bounds contradict each other, and still draws them', () => {
    const b = bounds();
    const tl = computeTimeline({ ...b, departLatest: b.departEarliest - H, arriveEarliest: b.departEarliest - 2 * H });
    expect(tl.warnings).toEqual([
      'Flovi’s latest departure is before its earliest departure.',
      'Flovi’s earliest arrival is before its earliest departure.',
    ]);
    expect(tl.depart.width).toBeGreaterThan(0);
  });

  it('leaves out a requested time off the axis', () => {
    expect(computeTimeline(bounds(), utc('2025-05-01T00:00:00Z')).requested).toBeNull();
  });

  it('steps by days for week-long windows', () => {
    const t0 = utc('2025-04-21T09:00:00Z');
    const tl = computeTimeline({ departEarliest: t0, departLatest: t0 + 96 * H, arriveEarliest: t0 + 5 * H, arriveLatest: t0 + 101 * H });
    expect(tl.ticks.every((t) => t.day)).toBe(true);
    // 12:00 Mon to 21:02 Fri local.
    expect(tl.ticks.map((t) => t.label)).toEqual(['Tue 22 Apr', 'Wed 23 Apr', 'Thu 24 Apr', 'Fri 25 Apr']);
  });
});

describe('settings and history text', () => {
  it('says whether a key is set and where its encryption key lives, never the key', () => {
    expect(keyStatusText({ hasApiKey: false, keySource: { kind: 'keyring' } })).toBe('API key not set');
    expect(keyStatusText({ hasApiKey: true, keySource: { kind: 'keyring' } })).toBe('API key set · stored encrypted in the OS keyring');
    expect(keyStatusText({ hasApiKey: true, keySource: { kind: 'keyFile', path: '/home/u/.local/share/hookscope/secrets.key' } })).toBe(
      'API key set · stored encrypted in /home/u/.local/share/hookscope/secrets.key (no keyring)',
    );
  });

  it('shows the path of a call', () => {
    expect(urlPath('https://api.go.flovi.io/customers/api/schedule')).toBe('/customers/api/schedule');
    expect(urlPath('http://127.0.0.1:9000/customers/api/offices?x=1')).toBe('/customers/api/offices?x=1');
    expect(urlPath('not a url')).toBe('not a url');
  });

  const call = (o: Partial<FloviCall>): FloviCall => ({
    id: 1,
    at: 0,
    method: 'GET',
    url: 'https://api.go.flovi.io/customers/api/offices',
    requestBody: null,
    status: 200,
    responseBody: '[]',
    durationMs: 10,
    error: null,
    scheduleId: null,
    completionLink: null,
    ...o,
  });

  it('summarises how a call ended', () => {
    expect(callSummary(call({ responseBody: '[{"id":"1","name":"A"}]' }))).toEqual({ text: '1 office', tone: 'ok' });
    expect(callSummary(call({ responseBody: '[{},{}]' }))).toEqual({ text: '2 offices', tone: 'ok' });
    expect(callSummary(call({ status: 401, responseBody: '{"message":"Invalid API key"}' }))).toEqual({ text: 'Invalid API key', tone: 'err' });
    expect(callSummary(call({ status: 500, responseBody: '<html>oops</html>' }))).toEqual({ text: '<html>oops</html>', tone: 'err' });
    expect(callSummary(call({ status: 404, responseBody: '' }))).toEqual({ text: 'Not Found', tone: 'err' });
    expect(callSummary(call({ status: null, responseBody: null, error: 'dns error' }))).toEqual({ text: 'dns error', tone: 'err' });
    expect(callSummary(call({ method: 'POST', scheduleId: 'abc', responseBody: '{}' }))).toEqual({ text: 'schedule abc', tone: 'ok' });
    expect(callSummary(call({ status: null, responseBody: null }))).toEqual({ text: 'no response', tone: 'muted' });
  });

  it('pulls Flovi’s message out of an error body, shortening long text', () => {
    expect(apiMessageOf('{"message":"  Office 9 not found. "}')).toBe('Office 9 not found.');
    expect(apiMessageOf('{"error":"x"}')).toBe('{"error":"x"}');
    expect(apiMessageOf(null)).toBeNull();
    expect(apiMessageOf('  ')).toBeNull();
    const long = apiMessageOf('x'.repeat(500));
    expect(long).toHaveLength(160);
    expect(long?.endsWith('…')).toBe(true);
  });
});
