import type { EndpointInput, EndpointSettings, ProviderId, SecretSlot } from '../api';

/**
 * The endpoint settings dialog's state, kept pure so rotation order and validation are testable.
 *
 * Secrets are listed in order of preference (current first). A stored secret is known only by its
 * position on the backend; its value is fetched on demand (reveal, or when the list changes and
 * must be sent again). A new secret is typed in and held here until Save.
 */
export type SecretEntry =
  | { kind: 'stored'; key: string; index: number }
  | { kind: 'new'; key: string; value: string };

export interface EndpointForm {
  id: number | null;
  name: string;
  pathPrefix: string;
  provider: ProviderId | null;
  signatureHeader: string;
  toleranceSecs: string;
  secrets: SecretEntry[];
  /** How many secrets the backend holds (stored entries are indexes into that list). */
  storedCount: number;
  /** The new-secret input. */
  draft: string;
}

export const DEFAULT_TOLERANCE_SECS = 300;

let keySeq = 0;
const nextKey = (prefix: string) => `${prefix}-${++keySeq}`;

export function formFromSettings(s: EndpointSettings): EndpointForm {
  return {
    id: s.id,
    name: s.name,
    pathPrefix: s.pathPrefix,
    provider: s.provider,
    signatureHeader: s.signatureHeader ?? '',
    toleranceSecs: String(s.toleranceSecs),
    secrets: s.secretLabels.map((_, index) => ({ kind: 'stored', key: `stored-${index}`, index })),
    storedCount: s.secretLabels.length,
    draft: '',
  };
}

export function newForm(provider: ProviderId | null = null, pathPrefix = ''): EndpointForm {
  return {
    id: null,
    name: provider ?? '',
    pathPrefix: pathPrefix || (provider ? `/${provider}` : '/'),
    provider,
    signatureHeader: '',
    toleranceSecs: String(DEFAULT_TOLERANCE_SECS),
    secrets: [],
    storedCount: 0,
    draft: '',
  };
}

/**
 * A new provider for the form. For a new endpoint whose name and path still hold their defaults,
 * they follow the provider (`/fleiko`, "fleiko"); anything the user typed stays.
 */
export function withProvider(form: EndpointForm, provider: ProviderId | null): EndpointForm {
  if (form.id !== null) return { ...form, provider };
  const old = form.provider;
  const defaultName = form.name.trim() === '' || form.name === old;
  const defaultPath = form.pathPrefix.trim() === '/' || form.pathPrefix.trim() === '' || (old !== null && form.pathPrefix === `/${old}`);
  return {
    ...form,
    provider,
    name: defaultName ? (provider ?? '') : form.name,
    pathPrefix: defaultPath ? (provider ? `/${provider}` : '/') : form.pathPrefix,
  };
}

/** The backend's label for the secret at `index`: current, previous, previous 2, … */
export function secretLabel(index: number): string {
  if (index === 0) return 'current';
  if (index === 1) return 'previous';
  return `previous ${index}`;
}

/** Whitespace around a pasted secret is almost always a copy accident (a trailing newline). */
export const cleanSecret = (value: string): string => value.trim();

/**
 * Rotation: the typed secret becomes current and everything else moves one place down, so the
 * old current becomes previous and deliveries signed during the provider's overlap still verify.
 */
export function addSecret(form: EndpointForm): EndpointForm {
  const value = cleanSecret(form.draft);
  if (value === '') return form;
  return { ...form, secrets: [{ kind: 'new', key: nextKey('new'), value }, ...form.secrets], draft: '' };
}

export function removeSecret(form: EndpointForm, key: string): EndpointForm {
  return { ...form, secrets: form.secrets.filter((s) => s.key !== key) };
}

/** Whether the secrets must be sent again: anything added, removed or moved. */
export function secretsChanged(form: EndpointForm): boolean {
  if (form.secrets.length !== form.storedCount) return true;
  return form.secrets.some((s, i) => s.kind !== 'stored' || s.index !== i);
}

export type FormErrors = Partial<Record<'name' | 'pathPrefix' | 'toleranceSecs' | 'signatureHeader', string>>;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function validate(form: EndpointForm): FormErrors {
  const errors: FormErrors = {};
  if (form.name.trim() === '') errors.name = 'Give the endpoint a name.';
  const prefix = form.pathPrefix.trim();
  if (!prefix.startsWith('/')) errors.pathPrefix = 'The path prefix starts with /.';
  else if (/[\s?#]/.test(prefix)) errors.pathPrefix = 'A path prefix has no spaces, ? or #.';
  if (form.provider === 'fleiko') {
    const t = form.toleranceSecs.trim();
    if (!/^\d+$/.test(t) || Number(t) > 86_400) errors.toleranceSecs = 'Whole seconds, 0 to 86400.';
  }
  if (form.provider === 'flowella') {
    const h = form.signatureHeader.trim();
    if (h !== '' && !HEADER_NAME.test(h)) errors.signatureHeader = 'Not a valid header name.';
  }
  return errors;
}

export function toInput(form: EndpointForm): EndpointInput {
  const tolerance = Number(form.toleranceSecs.trim());
  const header = form.signatureHeader.trim();
  return {
    id: form.id,
    name: form.name.trim(),
    pathPrefix: form.pathPrefix.trim(),
    provider: form.provider,
    // Only Flowella's header is configurable; Fleiko alone has a timestamp window.
    signatureHeader: form.provider === 'flowella' && header !== '' ? header : null,
    toleranceSecs: form.provider === 'fleiko' && Number.isFinite(tolerance) ? tolerance : DEFAULT_TOLERANCE_SECS,
  };
}

/**
 * The secret list to send, current first: stored secrets are kept by position, so their values
 * never have to come back to the window; only new ones travel, once.
 */
export function secretSlots(form: EndpointForm): SecretSlot[] {
  return form.secrets.map((s) => (s.kind === 'new' ? { kind: 'new', value: s.value } : { kind: 'keep', index: s.index }));
}

/** The fixed-width mask shown for every secret: it does not leak the length. */
export const SECRET_MASK = '••••••••••••';

/** How long a revealed secret stays visible. */
export const REVEAL_MS = 10_000;
