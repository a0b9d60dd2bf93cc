import type { FieldError, FloviOffice, ScheduleRequest } from '../api';

/**
 * The Flovi schedule form, kept pure so the rules from Flovi's docs are testable: which fields a
 * place type needs, the address format, and how the local depart time becomes UTC.
 */

export const RESERVATION_TYPES = [
  { value: 'officeToOffice', label: 'Office to office' },
  { value: 'homeDelivery', label: 'Home delivery' },
  { value: 'serviceDrive', label: 'Service drive' },
  { value: 'purchaseCar', label: 'Purchase car' },
  { value: 'replacementCar', label: 'Replacement car' },
] as const;

export const PLACE_TYPES = [
  { value: 'ownOffices', label: 'Own office' },
  { value: 'otherPlace', label: 'Other place' },
  { value: 'homeAddress', label: 'Home address' },
] as const;

export type ReservationType = (typeof RESERVATION_TYPES)[number]['value'];
export type PlaceType = (typeof PLACE_TYPES)[number]['value'];
export type End = 'origin' | 'destination';

export interface ScheduleForm {
  reservationType: ReservationType;
  originType: PlaceType;
  originOfficeId: string;
  originAddress: string;
  destinationType: PlaceType;
  destinationOfficeId: string;
  destinationAddress: string;
  /** The `datetime-local` value: local wall-clock time, `YYYY-MM-DDTHH:MM[:SS]`. */
  depart: string;
  testPlates: boolean;
}

/** Request field names, as the backend's FieldError reports them. */
export type ScheduleField = keyof ScheduleRequest;
export type FieldErrors = Partial<Record<ScheduleField, string>>;

export const FIELD_LABELS: Record<ScheduleField, string> = {
  reservationType: 'reservation type',
  originType: 'origin type',
  originOfficeId: 'origin office',
  originAddress: 'origin address',
  destinationType: 'destination type',
  destinationOfficeId: 'destination office',
  destinationAddress: 'destination address',
  depart: 'depart time',
  testPlates: 'test plates',
};

const SCHEDULE_FIELDS = new Set<string>(Object.keys(FIELD_LABELS));
export const isScheduleField = (name: string): name is ScheduleField => SCHEDULE_FIELDS.has(name);

export const ADDRESS_EXAMPLE = 'Street 12, 00100 Helsinki, FI';

const RESERVATION_VALUES = new Set<string>(RESERVATION_TYPES.map((t) => t.value));
const PLACE_VALUES = new Set<string>(PLACE_TYPES.map((t) => t.value));

export const reservationLabel = (value: string): string =>
  RESERVATION_TYPES.find((t) => t.value === value)?.label ?? value;
export const placeLabel = (value: string): string => PLACE_TYPES.find((t) => t.value === value)?.label ?? value;

/** Own offices are picked by id; the other place types need a full address. */
export const usesOffice = (type: PlaceType): boolean => type === 'ownOffices';

export const officeField = (end: End): 'originOfficeId' | 'destinationOfficeId' => `${end}OfficeId`;
export const addressField = (end: End): 'originAddress' | 'destinationAddress' => `${end}Address`;
export const typeField = (end: End): 'originType' | 'destinationType' => `${end}Type`;

// ---------- time ----------

const pad = (n: number, width = 2): string => n.toString().padStart(width, '0');

/** A `datetime-local` value for `date` in local time, to the minute. */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The next full hour after `now`, as the form's default depart time. */
export function defaultDepart(now: Date): string {
  const d = new Date(now.getTime());
  d.setMinutes(0, 0, 0);
  d.setHours(d.getHours() + 1);
  return toLocalInput(d);
}

/** ISO 8601 in UTC without milliseconds, the shape Flovi's docs show: `2025-04-23T12:00:00Z`. */
export function toUtcIso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export type LocalTime =
  | { ok: true; date: Date; utc: string }
  | { ok: false; reason: 'empty' | 'invalid' | 'skipped' };

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?$/;

/**
 * A `datetime-local` value read as local wall-clock time. A time that does not exist locally
 * (the hour skipped when clocks go forward) is refused rather than silently moved.
 */
export function parseLocalInput(value: string): LocalTime {
  const text = value.trim();
  if (text === '') return { ok: false, reason: 'empty' };
  const m = LOCAL_INPUT.exec(text);
  if (!m) return { ok: false, reason: 'invalid' };
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return { ok: false, reason: 'invalid' };
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(date.getTime())) return { ok: false, reason: 'invalid' };
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return { ok: false, reason: 'invalid' };
  if (date.getHours() !== h || date.getMinutes() !== mi) return { ok: false, reason: 'skipped' };
  return { ok: true, date, utc: toUtcIso(date) };
}

// ---------- validation ----------

/**
 * Flovi's documented address format: "street number, zip city, country (FI,SE)", e.g.
 * "Street 12, 00100 Helsinki, FI". Returns what is wrong, or null. The same rules as the core's
 * check (which normalises the country code to capitals), so the two never disagree.
 */
export function addressError(raw: string): string | null {
  const text = raw.trim();
  if (text === '') return `Enter an address, e.g. ${ADDRESS_EXAMPLE}.`;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 3) return `Use “street number, zip city, country”, e.g. ${ADDRESS_EXAMPLE}.`;
  const [street, zipCity, rawCountry] = parts as [string, string, string];
  const country = rawCountry.toUpperCase();
  if (country !== 'FI' && country !== 'SE') {
    return rawCountry === '' ? 'End with the country code: FI or SE.' : `The country must be FI or SE (got “${rawCountry}”).`;
  }
  if (!/\p{L}/u.test(street) || !/\d/.test(street)) return 'Start with the street and its number, e.g. “Street 12”.';
  const zip = country === 'FI' ? /^\d{5}\s+\S/ : /^(\d{5}|\d{3}\s+\d{2})\s+\S/;
  if (!zip.test(zipCity)) {
    return country === 'FI'
      ? 'Zip code (5 digits) then city, e.g. “00100 Helsinki”.'
      : 'Postnummer (“NNN NN” or 5 digits) then city, e.g. “111 34 Stockholm”.';
  }
  return null;
}

/** Office ids as the core compares them: "1" and "01" are the same office. */
export function sameOfficeId(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (x === y) return true;
  const int = /^[+-]?\d+$/;
  return int.test(x) && int.test(y) && Number(x) === Number(y);
}

export function departError(value: string): string | null {
  const t = parseLocalInput(value);
  if (t.ok) return null;
  if (t.reason === 'empty') return 'Choose when the car can be picked up.';
  if (t.reason === 'skipped') return 'This local time does not exist (the clocks skip it for daylight saving).';
  return 'Not a valid date and time.';
}

function officeError(id: string, offices: readonly FloviOffice[] | null): string | null {
  const value = id.trim();
  if (value === '') return offices ? 'Choose an office.' : 'Enter a Flovi office id, or load your offices to pick one.';
  if (offices && !offices.some((o) => sameOfficeId(o.id, value))) return `No office with id “${value}” among your offices.`;
  return null;
}

/**
 * Client-side checks mirroring Flovi's docs. `offices` is the loaded office list, or null when
 * it has not been loaded (then any non-empty id is accepted; the backend checks the rest).
 */
export function validateSchedule(form: ScheduleForm, offices: readonly FloviOffice[] | null): FieldErrors {
  const errors: FieldErrors = {};
  if (!RESERVATION_VALUES.has(form.reservationType)) errors.reservationType = 'Choose a reservation type.';
  for (const end of ['origin', 'destination'] as const) {
    const type = form[typeField(end)];
    if (!PLACE_VALUES.has(type)) {
      errors[typeField(end)] = 'Choose a place type.';
      continue;
    }
    const problem = usesOffice(type) ? officeError(form[officeField(end)], offices) : addressError(form[addressField(end)]);
    if (problem) errors[usesOffice(type) ? officeField(end) : addressField(end)] = problem;
  }
  const depart = departError(form.depart);
  if (depart) errors.depart = depart;
  return errors;
}

/** Whether the depart time is before `now` (allowed, but worth a warning). */
export function departInPast(form: ScheduleForm, now: number): boolean {
  const t = parseLocalInput(form.depart);
  return t.ok && t.date.getTime() < now;
}

/**
 * The request the backend gets: trimmed text, the depart time in UTC, and null for the office id
 * or address a place type does not use (so a stale hidden value is never sent).
 */
export function buildRequest(form: ScheduleForm): ScheduleRequest {
  const t = parseLocalInput(form.depart);
  const place = (end: End) => {
    const office = usesOffice(form[typeField(end)]);
    const id = form[officeField(end)].trim();
    const address = form[addressField(end)].trim();
    return { officeId: office && id !== '' ? id : null, address: !office && address !== '' ? address : null };
  };
  const origin = place('origin');
  const destination = place('destination');
  return {
    reservationType: form.reservationType,
    originType: form.originType,
    originOfficeId: origin.officeId,
    originAddress: origin.address,
    destinationType: form.destinationType,
    destinationOfficeId: destination.officeId,
    destinationAddress: destination.address,
    depart: t.ok ? t.utc : form.depart.trim(),
    testPlates: form.testPlates,
  };
}

export interface MergedErrors {
  fields: FieldErrors;
  /** Backend messages about fields the form does not show. */
  other: string[];
}

/**
 * One message per field: the form's own (worded for the input) wins; the backend's fill in what the
 * form cannot know (an office id Flovi does not have, a rule the docs do not spell out).
 */
export function mergeErrors(client: FieldErrors, server: readonly FieldError[]): MergedErrors {
  const fields: FieldErrors = { ...client };
  const other: string[] = [];
  for (const e of server) {
    if (isScheduleField(e.field)) {
      if (fields[e.field] === undefined) fields[e.field] = e.message;
    } else {
      other.push(e.field ? `${e.field}: ${e.message}` : e.message);
    }
  }
  return { fields, other };
}

/** Labels of fields with a problem the user has not been shown yet, for the hint beside Send. */
export function pendingFields(errors: FieldErrors, shown: ReadonlySet<ScheduleField>): string[] {
  return (Object.keys(errors) as ScheduleField[]).filter((f) => !shown.has(f)).map((f) => FIELD_LABELS[f]);
}

/** Switching a place type keeps what was typed for the other kind, in case the user switches back. */
export function withPlaceType(form: ScheduleForm, end: End, type: PlaceType): ScheduleForm {
  return { ...form, [typeField(end)]: type };
}

export function newScheduleForm(now: Date): ScheduleForm {
  return {
    reservationType: 'officeToOffice',
    originType: 'ownOffices',
    originOfficeId: '',
    originAddress: '',
    destinationType: 'ownOffices',
    destinationOfficeId: '',
    destinationAddress: '',
    depart: defaultDepart(now),
    testPlates: false,
  };
}
