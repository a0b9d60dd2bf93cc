import type { FailureReason, SignatureStatus } from '../api';

export const SIGNATURE_STATUSES: readonly SignatureStatus[] = ['valid', 'invalid', 'unsigned', 'unchecked'];

export function isSignatureStatus(s: string): s is SignatureStatus {
  return (SIGNATURE_STATUSES as readonly string[]).includes(s);
}

/** The glyph in a row's signature badge. */
export const SIGNATURE_GLYPH: Record<SignatureStatus, string> = {
  valid: '✓',
  invalid: '✗',
  unsigned: '—',
  unchecked: '?',
};

/** The headline above the explanation in the Signature tab. */
export const SIGNATURE_HEADLINE: Record<SignatureStatus, string> = {
  valid: 'Signature verified',
  invalid: 'Signature does not verify',
  unsigned: 'Not signed',
  unchecked: 'Signature not checked',
};

/** Filter menu labels. */
export const SIGNATURE_FILTER_LABEL: Record<SignatureStatus, string> = {
  valid: '✓ Valid',
  invalid: '✗ Invalid',
  unsigned: '— Unsigned',
  unchecked: '? Unchecked',
};

export interface ReasonText {
  /** A few words: "Timestamp outside the window". */
  title: string;
  /** The particulars: "301 s in the past, tolerance 300 s (over by 1 s)". */
  detail: string;
}

const n = (x: number): string => x.toLocaleString('en-US');

/** Why a signature failed, as a title and the numbers behind it. */
export function describeReason(reason: FailureReason): ReasonText {
  switch (reason.kind) {
    case 'wrongSecret':
      return {
        title: 'Wrong secret',
        detail: 'No configured secret produces this signature, and no usual change to the body explains it.',
      };
    case 'bodyChanged':
      return { title: 'Body changed after signing', detail: reason.change };
    case 'timestampOutsideWindow': {
      const skew = Math.abs(reason.skewSecs);
      const side = reason.skewSecs >= 0 ? 'in the past' : 'in the future';
      const over = Math.max(0, skew - reason.toleranceSecs);
      return {
        title: 'Timestamp outside the window',
        detail: `${n(skew)} s ${side}, tolerance ${n(reason.toleranceSecs)} s (over by ${n(over)} s)`,
      };
    }
    case 'timestampMismatch':
      return {
        title: 'Timestamp headers disagree',
        detail: `signature t=${reason.headerT}, timestamp header "${reason.timestampHeader}"`,
      };
    case 'malformedHeader':
      return { title: 'Malformed signature header', detail: reason.detail };
    case 'unsupportedScheme':
      return { title: 'Unsupported signature scheme', detail: `${reason.scheme} (expected HMAC-SHA256)` };
  }
}

/** A secret label that is not "current" means the provider still signs with an older secret. */
export function isRotationMatch(label: string | null): boolean {
  return label !== null && label !== 'current';
}
