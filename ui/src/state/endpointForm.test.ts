import { describe, expect, it } from 'vitest';

import type { EndpointSettings } from '../api';
import {
  SECRET_MASK,
  addSecret,
  formFromSettings,
  newForm,
  removeSecret,
  secretSlots,
  secretLabel,
  secretsChanged,
  toInput,
  validate,
  withProvider,
} from './endpointForm';

const fleiko: EndpointSettings = {
  id: 3,
  name: 'fleiko',
  pathPrefix: '/fleiko',
  provider: 'fleiko',
  signatureHeader: null,
  toleranceSecs: 300,
  secretLabels: ['current', 'previous'],
};

describe('secret rotation', () => {
  it('starts from the stored secrets, unchanged', () => {
    const f = formFromSettings(fleiko);
    expect(f.secrets.map((s) => s.kind)).toEqual(['stored', 'stored']);
    expect(secretsChanged(f)).toBe(false);
  });

  it('puts a new secret first, so the old current becomes previous', () => {
    let f = formFromSettings(fleiko);
    f = addSecret({ ...f, draft: '  new-secret\n' });
    expect(f.draft).toBe('');
    expect(f.secrets.map((s, i) => `${secretLabel(i)}:${s.kind}`)).toEqual(['current:new', 'previous:stored', 'previous 2:stored']);
    expect(secretsChanged(f)).toBe(true);
    // Pasted whitespace is dropped; stored ones are kept by position, never read back.
    expect(secretSlots(f)).toEqual([
      { kind: 'new', value: 'new-secret' },
      { kind: 'keep', index: 0 },
      { kind: 'keep', index: 1 },
    ]);
  });

  it('removing the oldest after a rotation keeps current then previous', () => {
    let f = addSecret({ ...formFromSettings(fleiko), draft: 'n1' });
    const oldest = f.secrets[2];
    f = removeSecret(f, oldest?.key ?? '');
    expect(secretSlots(f)).toEqual([
      { kind: 'new', value: 'n1' },
      { kind: 'keep', index: 0 },
    ]);
  });

  it('removing a stored secret is a change even without new ones', () => {
    const f0 = formFromSettings(fleiko);
    const f = removeSecret(f0, f0.secrets[0]?.key ?? '');
    expect(secretsChanged(f)).toBe(true);
    expect(secretSlots(f)).toEqual([{ kind: 'keep', index: 1 }]);
  });

  it('ignores an empty draft', () => {
    const f = formFromSettings(fleiko);
    expect(addSecret({ ...f, draft: '   ' })).toEqual({ ...f, draft: '   ' });
  });

  it('labels secrets like the backend and masks them at a fixed width', () => {
    expect([0, 1, 2, 3].map(secretLabel)).toEqual(['current', 'previous', 'previous 2', 'previous 3']);
    expect(SECRET_MASK).not.toMatch(/[A-Za-z0-9]/);
  });
});

describe('endpoint form', () => {
  it('validates name, path prefix and per-provider fields', () => {
    expect(validate(newForm('fleiko'))).toEqual({});
    expect(validate({ ...newForm(), name: ' ', pathPrefix: 'fleiko' })).toMatchObject({
      name: expect.any(String) as unknown,
      pathPrefix: expect.any(String) as unknown,
    });
    expect(validate({ ...newForm('fleiko'), pathPrefix: '/a b' }).pathPrefix).toBeDefined();
    expect(validate({ ...newForm('fleiko'), toleranceSecs: '-1' }).toleranceSecs).toBeDefined();
    expect(validate({ ...newForm('fleiko'), toleranceSecs: '2.5' }).toleranceSecs).toBeDefined();
    // The tolerance only matters for Fleiko.
    expect(validate({ ...newForm('flovi'), toleranceSecs: 'x' })).toEqual({});
    expect(validate({ ...newForm('flowella'), signatureHeader: 'X Bad' }).signatureHeader).toBeDefined();
    expect(validate({ ...newForm('flowella'), signatureHeader: 'X-Flowella-Signature' })).toEqual({});
  });

  it('sends only the fields the provider uses', () => {
    expect(toInput({ ...newForm('flowella'), signatureHeader: ' X-Sig ', toleranceSecs: '10' })).toEqual({
      id: null,
      name: 'flowella',
      pathPrefix: '/flowella',
      provider: 'flowella',
      signatureHeader: 'X-Sig',
      toleranceSecs: 300,
    });
    expect(toInput({ ...formFromSettings(fleiko), toleranceSecs: ' 600 ', signatureHeader: 'X-Ignored' })).toMatchObject({
      id: 3,
      signatureHeader: null,
      toleranceSecs: 600,
    });
    expect(toInput({ ...newForm('flowella'), signatureHeader: '  ' }).signatureHeader).toBeNull();
  });

  it('prefills a new endpoint from a detected provider and path', () => {
    expect(newForm('fleiko', '/webhooks')).toMatchObject({ id: null, name: 'fleiko', pathPrefix: '/webhooks', provider: 'fleiko' });
    expect(newForm()).toMatchObject({ name: '', pathPrefix: '/', provider: null });
  });
});

describe('withProvider', () => {
  it('fills the defaults of a new endpoint and keeps what the user typed', () => {
    let f = withProvider(newForm(), 'fleiko');
    expect(f).toMatchObject({ provider: 'fleiko', name: 'fleiko', pathPrefix: '/fleiko' });
    f = withProvider(f, 'flovi');
    expect(f).toMatchObject({ provider: 'flovi', name: 'flovi', pathPrefix: '/flovi' });
    f = withProvider({ ...f, name: 'staging', pathPrefix: '/hooks/flovi' }, 'fleiko');
    expect(f).toMatchObject({ provider: 'fleiko', name: 'staging', pathPrefix: '/hooks/flovi' });
  });

  it('never renames an existing endpoint', () => {
    const f = withProvider(formFromSettings(fleiko), 'flovi');
    expect(f).toMatchObject({ provider: 'flovi', name: 'fleiko', pathPrefix: '/fleiko' });
  });
});
