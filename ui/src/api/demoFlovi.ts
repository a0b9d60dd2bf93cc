/**
 * The Flovi customer API part of the demo backend (plain browser only, never inside the app).
 * A fake Flovi that answers like the real one, recorded in a call history:
 *   - a key containing `bad` gets 401 "Invalid API key", one containing `noaccess` 403 on /offices;
 *   - a base URL host other than api.go.flovi.io fails as a network error (DNS; connection refused
 *     for loopback: no local mock runs), a host containing `slow` times out, a path not ending in
 *     /customers/api answers 404;
 *   - a schedule with an unknown office id answers 400, one with a depart time in the year 2099 500.
 * `?flovi=nokey` starts without an API key, `?flovi=empty` without call history (`?flovi=nokey,empty`).
 */
import { addressError } from '../state/floviForm';
import type { Backend, FieldError, FloviCall, FloviOffice, FloviSettings, KeySource, ScheduleRequest, ScheduleResult } from './types';
import { ApiError } from './types';

export const DEFAULT_FLOVI_BASE_URL = 'https://api.go.flovi.io/customers/api';
const COMPLETE_URL = 'https://customer.flovi.fi/complete';
const FLOVI_HOST = 'api.go.flovi.io';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const OFFICES: FloviOffice[] = [
  { id: '1', name: 'Helsinki Airport (HEL)' },
  { id: '2', name: 'Espoo Leppävaara' },
  { id: '3', name: 'Tampere Hatanpää' },
  { id: '4', name: 'Turku Harbour' },
  { id: '7', name: 'Stockholm Arlanda (ARN)' },
  // Office names come from Flovi: rendered as text, never markup.
  { id: '12', name: 'Vantaa <Depot> & Wash' },
];

const RESERVATION_TYPES = new Set(['officeToOffice', 'homeDelivery', 'serviceDrive', 'purchaseCar', 'replacementCar']);
const PLACE_TYPES = new Set(['ownOffices', 'otherPlace', 'homeAddress']);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type FloviBackend = Pick<Backend, 'getFloviSettings' | 'setFloviBaseUrl' | 'setFloviApiKey' | 'listFloviOffices' | 'validateFloviSchedule' | 'createFloviSchedule' | 'listFloviCalls' | 'rerunFloviCall'>;

/** Flovi's example format: microseconds and a Z. */
const floviTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const rfc3339 = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const sleep = (ms: number) => new Promise((r) => window.setTimeout(r, ms));
const hostPort = (u: URL): string => `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;

function scheduleId(seed: number): string {
  let s = seed >>> 0;
  const hexChars = Array.from({ length: 32 }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s >>> 28).toString(16);
  }).join('');
  return `${hexChars.slice(0, 8)}-${hexChars.slice(8, 12)}-4${hexChars.slice(13, 16)}-a${hexChars.slice(17, 20)}-${hexChars.slice(20, 32)}`;
}

/** What the core would check before sending; messages as its FieldErrors would word them. */
export function demoValidate(r: ScheduleRequest): FieldError[] {
  const errors: FieldError[] = [];
  if (!RESERVATION_TYPES.has(r.reservationType)) errors.push({ field: 'reservationType', message: 'unknown reservation type' });
  for (const end of ['origin', 'destination'] as const) {
    const type = r[`${end}Type`];
    if (!PLACE_TYPES.has(type)) {
      errors.push({ field: `${end}Type`, message: 'must be ownOffices, otherPlace or homeAddress' });
    } else if (type === 'ownOffices') {
      if (!r[`${end}OfficeId`]) errors.push({ field: `${end}OfficeId`, message: `required when ${end}Type is ownOffices` });
    } else {
      const address = r[`${end}Address`];
      const problem = address ? addressError(address) : `required when ${end}Type is ${type}`;
      if (problem) errors.push({ field: `${end}Address`, message: problem });
    }
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(r.depart)) {
    errors.push({ field: 'depart', message: 'must be an ISO 8601 UTC time like 2025-04-23T12:00:00Z' });
  }
  return errors;
}

interface Answer {
  status: number | null;
  body: string | null;
  error: ApiError | null;
  result?: ScheduleResult;
  scheduleId?: string;
}

export function createFloviDemo(params: URLSearchParams, keySource: KeySource): FloviBackend {
  const flags = new Set((params.get('flovi') ?? '').split(','));
  let baseUrl = DEFAULT_FLOVI_BASE_URL;
  let apiKey: string | null = flags.has('nokey') ? null : 'demo-key';
  let seq = 0;
  const calls: FloviCall[] = [];

  /** Like the core, office ids are checked once the list has been fetched from this base URL. */
  let officesFetched = false;

  const settings = (): FloviSettings => ({ baseUrl, hasApiKey: apiKey !== null, keySource });

  const validate = (r: ScheduleRequest): FieldError[] => {
    const errors = demoValidate(r);
    if (!officesFetched) return errors;
    for (const end of ['origin', 'destination'] as const) {
      const id = r[`${end}OfficeId`];
      if (r[`${end}Type`] === 'ownOffices' && id && !OFFICES.some((o) => o.id === id.trim())) {
        const listed = OFFICES.map((o) => `${o.id} (${o.name})`).join(', ');
        errors.push({ field: `${end}OfficeId`, message: `office ${JSON.stringify(id)} is not one of your offices: ${listed}; fetch the office list again if it is new` });
      }
    }
    return errors;
  };

  const record = (c: Omit<FloviCall, 'id' | 'completionLink'>): FloviCall => {
    const completionLink = c.scheduleId === null ? null : `${COMPLETE_URL}?scheduleId=${encodeURIComponent(c.scheduleId)}`;
    const call = { ...c, id: ++seq, completionLink };
    calls.push(call);
    return call;
  };

  const json = (v: unknown) => JSON.stringify(v);
  const apiError = (status: number, reason: string, message: string): Answer => ({
    status,
    body: json({ message }),
    error: new ApiError('flovi_api', `${status} ${reason}: ${message}`),
  });

  const schedule = (body: string | null, at: number): Answer => {
    let r: ScheduleRequest;
    try {
      r = JSON.parse(body ?? '') as ScheduleRequest;
    } catch {
      return apiError(400, 'Bad Request', 'Missing or invalid parameters.');
    }
    const bad = demoValidate(r)[0];
    if (bad) return apiError(400, 'Bad Request', `The ${bad.field} field is invalid.`);
    for (const id of [r.originOfficeId, r.destinationOfficeId]) {
      if (id !== null && !OFFICES.some((o) => o.id === id)) return apiError(400, 'Bad Request', `Office ${id} not found.`);
    }
    const depart = Date.parse(r.depart);
    if (new Date(depart).getUTCFullYear() === 2099) return apiError(500, 'Internal Server Error', 'Server Error');
    const addresses = [r.originAddress, r.destinationAddress].filter((a) => a !== null).length;
    const drive = 2 * HOUR + addresses * 45 * MINUTE + (r.testPlates ? 2 * HOUR : 0);
    const id = scheduleId(at);
    const b = { departAtEarliest: depart, departAtLatest: depart + 30 * HOUR, arriveAtEarliest: depart + drive, arriveAtLatest: depart + 30 * HOUR + drive };
    return {
      status: 200,
      body: json({
        scheduleId: id,
        departAtEarliest: floviTime(b.departAtEarliest),
        departAtLatest: floviTime(b.departAtLatest),
        arriveAtEarliest: floviTime(b.arriveAtEarliest),
        arriveAtLatest: floviTime(b.arriveAtLatest),
      }),
      error: null,
      scheduleId: id,
      result: {
        scheduleId: id,
        departAtEarliest: rfc3339(b.departAtEarliest),
        departAtLatest: rfc3339(b.departAtLatest),
        arriveAtEarliest: rfc3339(b.arriveAtEarliest),
        arriveAtLatest: rfc3339(b.arriveAtLatest),
        completionLink: `${COMPLETE_URL}?scheduleId=${encodeURIComponent(id)}`,
      },
    };
  };

  /** One HTTP exchange with the fake Flovi, recorded like the core records it. */
  const exchange = async (method: string, url: string, body: string | null): Promise<{ call: FloviCall; answer: Answer }> => {
    if (apiKey === null) throw new ApiError('no_key', 'No Flovi API key is set.');
    const path = url.endsWith('/offices') ? '/offices' : '/schedule';
    const at = Date.now();
    const u = new URL(url);
    let answer: Answer;
    let took = 120 + Math.round(Math.random() * 260);
    if (u.hostname.includes('slow')) {
      took = 1500;
      answer = {
        status: null,
        body: null,
        error: new ApiError('timeout', `no answer from ${hostPort(u)} within 10 s (timed out); Flovi may still have processed the request`),
      };
    } else if (LOOPBACK.has(u.hostname)) {
      took = 3;
      answer = {
        status: null,
        body: null,
        error: new ApiError(
          'network',
          `connection refused by ${hostPort(u)}: nothing is listening there; check the base URL (and that the server is running)`,
        ),
      };
    } else if (u.hostname !== FLOVI_HOST) {
      took = 40;
      answer = {
        status: null,
        body: null,
        error: new ApiError(
          'network',
          `cannot find the host ${u.hostname} (DNS lookup failed): check the base URL and the network connection`,
        ),
      };
    } else if (!u.pathname.replace(/\/$/, '').endsWith(`/customers/api${path}`)) {
      answer = apiError(404, 'Not Found', 'The route could not be found.');
    } else if (apiKey.includes('bad')) {
      answer = apiError(401, 'Unauthorized', 'Invalid API key');
    } else if (path === '/offices') {
      answer = apiKey.includes('noaccess') ? apiError(403, 'Forbidden', 'You do not have access to this resource.') : { status: 200, body: json(OFFICES), error: null };
    } else {
      answer = schedule(body, at);
    }
    await sleep(took);
    const call = record({
      at,
      method,
      url,
      requestBody: body,
      status: answer.status,
      responseBody: answer.body,
      durationMs: took,
      error: answer.status === null ? (answer.error?.message ?? null) : null,
      scheduleId: answer.scheduleId ?? null,
    });
    return { call, answer };
  };

  // A morning's worth of history: a success, Flovi's errors, and the transport failures.
  const seed = () => {
    const now = Date.now();
    const depart = Date.parse('2025-04-23T09:00:00Z');
    const okBody = {
      scheduleId: scheduleId(7),
      departAtEarliest: floviTime(depart),
      departAtLatest: floviTime(depart + 30 * HOUR),
      arriveAtEarliest: floviTime(depart + 2 * HOUR),
      arriveAtLatest: floviTime(depart + 32 * HOUR),
    };
    const req = (o: Partial<ScheduleRequest>) =>
      json({
        reservationType: 'officeToOffice',
        originType: 'ownOffices',
        originOfficeId: '1',
        originAddress: null,
        destinationType: 'ownOffices',
        destinationOfficeId: '3',
        destinationAddress: null,
        depart: '2025-04-23T09:00:00Z',
        testPlates: false,
        ...o,
      });
    const base = DEFAULT_FLOVI_BASE_URL;
    const seeded: Array<Omit<FloviCall, 'id' | 'completionLink'>> = [
      { at: now - 126 * MINUTE, method: 'GET', url: `${base}/offices`, requestBody: null, status: 200, responseBody: json(OFFICES), durationMs: 214, error: null, scheduleId: null },
      {
        at: now - 118 * MINUTE,
        method: 'POST',
        url: `${base}/schedule`,
        requestBody: req({ destinationType: 'homeAddress', destinationOfficeId: null, destinationAddress: 'Mannerheimintie 437, 00130 Helsinki' }),
        status: 400,
        responseBody: json({ message: 'The destination address field format is invalid.' }),
        durationMs: 188,
        error: null,
        scheduleId: null,
      },
      { at: now - 112 * MINUTE, method: 'POST', url: `${base}/schedule`, requestBody: req({}), status: 200, responseBody: json(okBody), durationMs: 402, error: null, scheduleId: okBody.scheduleId },
      {
        at: now - 47 * MINUTE,
        method: 'GET',
        url: 'http://127.0.0.1:9000/customers/api/offices',
        requestBody: null,
        status: null,
        responseBody: null,
        durationMs: 3,
        error: 'connection refused by 127.0.0.1:9000: nothing is listening there; check the base URL (and that the server is running)',
        scheduleId: null,
      },
      { at: now - 31 * MINUTE, method: 'GET', url: `${base}/offices`, requestBody: null, status: 401, responseBody: json({ message: 'Invalid API key' }), durationMs: 97, error: null, scheduleId: null },
      {
        at: now - 22 * MINUTE,
        method: 'POST',
        url: `${base}/schedule`,
        requestBody: req({ testPlates: true }),
        status: null,
        responseBody: null,
        durationMs: 10_000,
        error: 'no answer from api.go.flovi.io:443 within 10 s (timed out); Flovi may still have processed the request',
        scheduleId: null,
      },
    ];
    seeded.forEach(record);
  };
  if (!flags.has('empty')) seed();

  const fail = (answer: Answer): never => {
    throw answer.error ?? new ApiError('flovi_api', `${answer.status ?? 0}: unexpected answer`);
  };

  return {
    getFloviSettings: () => Promise.resolve(settings()),
    // The core's rules and wording (flovi_api/http.rs): https anywhere, http only to loopback.
    setFloviBaseUrl: async (raw) => {
      await sleep(60);
      const text = raw.trim();
      if (text === '') {
        baseUrl = DEFAULT_FLOVI_BASE_URL;
        return settings();
      }
      let u: URL;
      try {
        u = new URL(text);
      } catch {
        throw new ApiError('invalid', `the base URL ${JSON.stringify(text)} is not a URL: relative URL without a base`);
      }
      if (u.username || u.password) throw new ApiError('invalid', 'the base URL must not contain a user name or password');
      if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname)) {
        throw new ApiError(
          'invalid',
          `refusing plain http to ${u.hostname}: the API key must travel over https (http is allowed only to this machine: localhost, 127.0.0.0/8 or ::1, for testing)`,
        );
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        throw new ApiError('invalid', `the base URL must start with https:// (found ${u.protocol.replace(':', '')}://)`);
      }
      if (u.search || u.hash) {
        throw new ApiError('invalid', `the base URL ${JSON.stringify(text)} must not have a query or fragment: paths are added to it`);
      }
      baseUrl = u.href.replace(/\/+$/, '');
      officesFetched = false;
      return settings();
    },
    setFloviApiKey: async (key) => {
      await sleep(80);
      const value = key.trim();
      if (value !== '' && !/^[\x21-\x7e]+$/.test(value)) {
        throw new ApiError('invalid', 'the API key must be printable ASCII without spaces (it travels in an HTTP header)');
      }
      apiKey = value === '' ? null : value;
      return settings();
    },
    listFloviOffices: async () => {
      const { answer } = await exchange('GET', `${baseUrl}/offices`, null);
      if (answer.status !== 200) fail(answer);
      officesFetched = true;
      return OFFICES.map((o) => ({ ...o }));
    },
    validateFloviSchedule: async (request) => {
      await sleep(20);
      return validate(request);
    },
    createFloviSchedule: async (request) => {
      const problems = validate(request);
      if (problems.length > 0) throw new ApiError('invalid', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
      const { answer } = await exchange('POST', `${baseUrl}/schedule`, JSON.stringify(request));
      if (answer.status !== 200 || !answer.result) return fail(answer);
      return answer.result;
    },
    listFloviCalls: async () => {
      await sleep(30);
      return [...calls].reverse();
    },
    rerunFloviCall: async (id) => {
      const old = calls.find((c) => c.id === id);
      if (!old) throw new ApiError('not_found', `Flovi call ${id} not found`);
      // The same request to the same URL, with the key as it is now.
      return (await exchange(old.method, old.url, old.requestBody)).call;
    },
  };
}
