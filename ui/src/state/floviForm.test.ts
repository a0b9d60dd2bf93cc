import { describe, expect, it, vi } from 'vitest';

import {
  type ScheduleForm,
  addressError,
  buildRequest,
  defaultDepart,
  departInPast,
  mergeErrors,
  newScheduleForm,
  parseLocalInput,
  pendingFields,
  sameOfficeId,
  toUtcIso,
  validateSchedule,
  withPlaceType,
} from './floviForm';

// Local time is the point of these tests: pin a zone with daylight saving (UTC+2 / UTC+3).
vi.stubEnv('TZ', 'Europe/Helsinki');

const OFFICES = [
  { id: '1', name: 'Helsinki Airport' },
  { id: '3', name: 'Tampere' },
];

const form = (o: Partial<ScheduleForm> = {}): ScheduleForm => ({
  ...newScheduleForm(new Date(2025, 3, 23, 10, 17)),
  originOfficeId: '1',
  destinationOfficeId: '3',
  depart: '2025-04-23T15:00',
  ...o,
});

describe('the zone is pinned', () => {
  it('runs in Europe/Helsinki', () => {
    expect(new Date(2025, 0, 15).getTimezoneOffset()).toBe(-120);
    expect(new Date(2025, 6, 15).getTimezoneOffset()).toBe(-180);
  });
});

describe('address format (street number, zip city, country)', () => {
  it.each([
    'Street 12, 00100 Helsinki, FI',
    'Mannerheimintie 437, 00130 Helsinki, FI',
    'Hatanpään valtatie 34 B 12, 33100 Tampere, FI',
    'Sveavägen 44, 111 34 Stockholm, SE',
    'Sveavägen 44, 11134 Stockholm, SE',
    '  Street 12 ,00100 Helsinki ,  FI  ',
    // The core upper-cases the country and accepts the number anywhere in the street part.
    'Street 12, 00100 Helsinki, fi',
    '12 Street, 00100 Helsinki, FI',
    'Street12, 00100 Helsinki, FI',
    'Sveavägen 44, 111  34 Stockholm, SE',
  ])('accepts %s', (address) => {
    expect(addressError(address)).toBeNull();
  });

  it.each([
    ['', /Enter an address/],
    ['   ', /Enter an address/],
    ['Mannerheimintie, Helsinki', /street number, zip city, country/],
    ['Street 12, 00100 Helsinki', /street number, zip city, country/],
    ['Street 12, 00100, Helsinki, FI', /street number, zip city, country/],
    ['Street 12, , FI', /then city/],
    ['Street 12, 00100 Helsinki, ', /End with the country code/],
    ['Street 12, 00100 Helsinki, NO', /must be FI or SE \(got “NO”\)/],
    ['Street 12, 00100 Helsinki, Finland', /must be FI or SE/],
    ['Street, 00100 Helsinki, FI', /street and its number/],
    ['12, 00100 Helsinki, FI', /street and its number/],
    ['Street 12, Helsinki 00100, FI', /5 digits/],
    ['Street 12, 0010 Helsinki, FI', /5 digits/],
    ['Street 12, 00100, FI', /then city/],
    ['Street 12, 00100Helsinki, FI', /5 digits/],
    ['Street 12, 111 34 Stockholm, FI', /5 digits/],
    ['Sveavägen 44, 1113 Stockholm, SE', /Postnummer/],
    ['Sveavägen 44, 111 34, SE', /Postnummer/],
  ])('rejects %j', (address, message) => {
    expect(addressError(address)).toMatch(message);
  });
});

describe('local depart time to UTC', () => {
  it('converts summer time (UTC+3)', () => {
    const t = parseLocalInput('2025-04-23T15:00');
    expect(t).toMatchObject({ ok: true, utc: '2025-04-23T12:00:00Z' });
  });

  it('converts winter time (UTC+2) and keeps seconds', () => {
    expect(parseLocalInput('2025-01-10T08:30:15')).toMatchObject({ ok: true, utc: '2025-01-10T06:30:15Z' });
  });

  it('crosses the date line back into the previous UTC day', () => {
    expect(parseLocalInput('2025-04-23T01:30')).toMatchObject({ ok: true, utc: '2025-04-22T22:30:00Z' });
  });

  it('refuses a time the clocks skip', () => {
    // 2025-03-30: 03:00 local jumps to 04:00.
    expect(parseLocalInput('2025-03-30T03:30')).toEqual({ ok: false, reason: 'skipped' });
    expect(parseLocalInput('2025-03-30T04:00')).toMatchObject({ ok: true, utc: '2025-03-30T01:00:00Z' });
  });

  it('takes the first of a repeated hour', () => {
    // 2025-10-26: 04:00 local goes back to 03:00; 03:30 happens twice.
    expect(parseLocalInput('2025-10-26T03:30')).toMatchObject({ ok: true, utc: '2025-10-26T00:30:00Z' });
  });

  it.each([
    ['', 'empty'],
    ['  ', 'empty'],
    ['2025-04-23', 'invalid'],
    ['2025-04-23 15:00', 'invalid'],
    ['2025-02-30T10:00', 'invalid'],
    ['2025-13-01T10:00', 'invalid'],
    ['2025-04-23T24:00', 'invalid'],
    ['not a date', 'invalid'],
  ])('%j is %s', (value, reason) => {
    expect(parseLocalInput(value)).toEqual({ ok: false, reason });
  });

  it('formats UTC without milliseconds', () => {
    expect(toUtcIso(new Date(Date.UTC(2025, 3, 23, 12, 0, 0, 999)))).toBe('2025-04-23T12:00:00Z');
  });

  it('defaults to the next full hour', () => {
    expect(defaultDepart(new Date(2025, 3, 23, 10, 17, 5))).toBe('2025-04-23T11:00');
    expect(defaultDepart(new Date(2025, 11, 31, 23, 40))).toBe('2026-01-01T00:00');
  });

  it('notices a depart time in the past', () => {
    const now = new Date(2025, 3, 23, 16, 0).getTime();
    expect(departInPast(form({ depart: '2025-04-23T15:00' }), now)).toBe(true);
    expect(departInPast(form({ depart: '2025-04-23T17:00' }), now)).toBe(false);
    expect(departInPast(form({ depart: '' }), now)).toBe(false);
  });
});

describe('office ids', () => {
  it('compares them as the core does', () => {
    expect(sameOfficeId('1', '1')).toBe(true);
    expect(sameOfficeId(' 1 ', '01')).toBe(true);
    expect(sameOfficeId('1', '2')).toBe(false);
    expect(sameOfficeId('a1', 'A1')).toBe(false);
    expect(sameOfficeId('1.0', '1')).toBe(false);
  });
});

describe('validation', () => {
  it('passes a complete office-to-office form', () => {
    expect(validateSchedule(form(), OFFICES)).toEqual({});
    expect(validateSchedule(form(), null)).toEqual({});
  });

  it('requires an office for ownOffices, an address otherwise', () => {
    const errors = validateSchedule(
      form({ originOfficeId: ' ', destinationType: 'homeAddress', destinationAddress: '' }),
      null,
    );
    expect(Object.keys(errors).sort()).toEqual(['destinationAddress', 'originOfficeId']);
    expect(errors.originOfficeId).toMatch(/office id/);
    expect(errors.destinationAddress).toMatch(/Enter an address/);
  });

  it('says "choose" when offices are loaded, and rejects ids not among them', () => {
    expect(validateSchedule(form({ originOfficeId: '' }), OFFICES).originOfficeId).toBe('Choose an office.');
    expect(validateSchedule(form({ originOfficeId: '9' }), OFFICES).originOfficeId).toMatch(/No office with id “9”/);
    expect(validateSchedule(form({ originOfficeId: '03' }), OFFICES).originOfficeId).toBeUndefined();
    // Without the list the backend decides.
    expect(validateSchedule(form({ originOfficeId: '9' }), null).originOfficeId).toBeUndefined();
  });

  it('ignores the field a place type does not use', () => {
    const f = form({ originType: 'otherPlace', originAddress: 'Street 12, 00100 Helsinki, FI', originOfficeId: '' });
    expect(validateSchedule(f, OFFICES)).toEqual({});
    const g = form({ originOfficeId: '1', originAddress: 'garbage' });
    expect(validateSchedule(g, OFFICES)).toEqual({});
  });

  it('checks the address format for both place types that need one', () => {
    const f = form({
      originType: 'homeAddress',
      originAddress: 'Mannerheimintie 437, 00130 Helsinki',
      destinationType: 'otherPlace',
      destinationAddress: 'Sveavägen 44, 111 34 Stockholm, SE',
    });
    const errors = validateSchedule(f, null);
    expect(Object.keys(errors)).toEqual(['originAddress']);
  });

  it('requires a valid depart time', () => {
    expect(validateSchedule(form({ depart: '' }), null).depart).toMatch(/Choose when/);
    expect(validateSchedule(form({ depart: '2025-03-30T03:15' }), null).depart).toMatch(/does not exist/);
  });

  it('rejects unknown types', () => {
    const f = { ...form(), reservationType: 'teleport', originType: 'moon' } as unknown as ScheduleForm;
    const errors = validateSchedule(f, null);
    expect(errors.reservationType).toBeDefined();
    expect(errors.originType).toBeDefined();
  });
});

describe('request building', () => {
  it('sends office ids, nulls the addresses, converts depart to UTC', () => {
    expect(buildRequest(form({ originAddress: 'left over', testPlates: true }))).toEqual({
      reservationType: 'officeToOffice',
      originType: 'ownOffices',
      originOfficeId: '1',
      originAddress: null,
      destinationType: 'ownOffices',
      destinationOfficeId: '3',
      destinationAddress: null,
      depart: '2025-04-23T12:00:00Z',
      testPlates: true,
    });
  });

  it('sends trimmed addresses and nulls the office ids for address types', () => {
    const f = withPlaceType(
      withPlaceType(form({ originAddress: '  Street 12, 00100 Helsinki, FI ', destinationAddress: 'Sveavägen 44, 111 34 Stockholm, SE' }), 'origin', 'homeAddress'),
      'destination',
      'otherPlace',
    );
    const r = buildRequest(f);
    expect(r.originOfficeId).toBeNull();
    expect(r.destinationOfficeId).toBeNull();
    expect(r.originAddress).toBe('Street 12, 00100 Helsinki, FI');
    expect(r.destinationAddress).toBe('Sveavägen 44, 111 34 Stockholm, SE');
    expect(r.originType).toBe('homeAddress');
    expect(r.destinationType).toBe('otherPlace');
  });

  it('sends null, not "", for an empty office id', () => {
    expect(buildRequest(form({ originOfficeId: '  ' })).originOfficeId).toBeNull();
  });

  it('passes an unreadable depart through so the backend can name it', () => {
    expect(buildRequest(form({ depart: ' nope ' })).depart).toBe('nope');
  });

  it('keeps the hidden value when the type switches back', () => {
    const f = withPlaceType(withPlaceType(form({ originAddress: 'Street 12, 00100 Helsinki, FI' }), 'origin', 'homeAddress'), 'origin', 'ownOffices');
    expect(f.originAddress).toBe('Street 12, 00100 Helsinki, FI');
    expect(buildRequest(f).originOfficeId).toBe('1');
  });
});

describe('merging backend field errors', () => {
  it('keeps the form’s message, adds the backend’s for other fields, lists unknown fields apart', () => {
    const merged = mergeErrors({ originAddress: 'form says' }, [
      { field: 'originAddress', message: 'backend says' },
      { field: 'destinationOfficeId', message: 'office 9 not found' },
      { field: 'request', message: 'too many requests' },
      { field: '', message: 'bare' },
    ]);
    expect(merged.fields).toEqual({ originAddress: 'form says', destinationOfficeId: 'office 9 not found' });
    expect(merged.other).toEqual(['request: too many requests', 'bare']);
  });

  it('lists the problems not yet shown, for the hint beside Send', () => {
    const errors = { originOfficeId: 'x', destinationOfficeId: 'y', depart: 'z' };
    expect(pendingFields(errors, new Set(['depart']))).toEqual(['origin office', 'destination office']);
    expect(pendingFields(errors, new Set(['originOfficeId', 'destinationOfficeId', 'depart']))).toEqual([]);
  });
});
