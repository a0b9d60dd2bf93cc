import { describe, expect, it } from 'vitest';

import { SIGNATURE_GLYPH, describeReason, isRotationMatch, isSignatureStatus } from './signature';

describe('describeReason', () => {
  it('puts numbers on a stale timestamp', () => {
    expect(describeReason({ kind: 'timestampOutsideWindow', skewSecs: 301, toleranceSecs: 300 })).toEqual({
      title: 'Timestamp outside the window',
      detail: '301 s in the past, tolerance 300 s (over by 1 s)',
    });
    expect(describeReason({ kind: 'timestampOutsideWindow', skewSecs: -4000, toleranceSecs: 300 }).detail).toBe(
      '4,000 s in the future, tolerance 300 s (over by 3,700 s)',
    );
  });

  it('names the change for a body changed after signing', () => {
    expect(describeReason({ kind: 'bodyChanged', change: 'trailing newline added' })).toEqual({
      title: 'Body changed after signing',
      detail: 'trailing newline added',
    });
  });

  it('covers every other reason', () => {
    expect(describeReason({ kind: 'wrongSecret' }).title).toBe('Wrong secret');
    expect(describeReason({ kind: 'timestampMismatch', headerT: 1717420800, timestampHeader: '1717420801' }).detail).toBe(
      'signature t=1717420800, timestamp header "1717420801"',
    );
    expect(describeReason({ kind: 'malformedHeader', detail: 'no v1= entry' })).toEqual({
      title: 'Malformed signature header',
      detail: 'no v1= entry',
    });
    expect(describeReason({ kind: 'unsupportedScheme', scheme: 'sha1' }).detail).toBe('sha1 (expected HMAC-SHA256)');
  });
});

describe('signature statuses', () => {
  it('have a glyph each and parse from filter values', () => {
    expect(SIGNATURE_GLYPH).toEqual({ valid: '✓', invalid: '✗', unsigned: '—', unchecked: '?' });
    expect(isSignatureStatus('valid')).toBe(true);
    expect(isSignatureStatus('')).toBe(false);
    expect(isSignatureStatus('VALID')).toBe(false);
  });

  it('flag a match with any secret but the current one as a rotation', () => {
    expect(isRotationMatch('current')).toBe(false);
    expect(isRotationMatch('previous')).toBe(true);
    expect(isRotationMatch('previous 2')).toBe(true);
    expect(isRotationMatch(null)).toBe(false);
  });
});
