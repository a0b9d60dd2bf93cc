import { describe, expect, it } from 'vitest';

import type { TunnelSettings, TunnelStatus } from '../api';
import {
  formFromSettings,
  inputFromForm,
  needsHttpsNote,
  pasteHint,
  publicEndpointUrl,
  tunnelErrorText,
  tunnelLabel,
} from './tunnel';

const online = (url: string): TunnelStatus => ({ state: 'online', kind: 'bore', url });

const settings: TunnelSettings = {
  active: null,
  ngrokDomain: 'hooks.ngrok.app',
  hasNgrokToken: true,
  ngrokTokenInEnv: false,
  boreServer: null,
  hasBoreSecret: false,
  externalUrl: 'https://x.example.com',
};

describe('tunnel helpers', () => {
  it('builds public endpoint URLs only while online', () => {
    expect(publicEndpointUrl(online('http://bore.pub:4000/'), '/fleiko')).toBe('http://bore.pub:4000/fleiko');
    expect(publicEndpointUrl({ state: 'connecting', kind: 'ngrok' }, '/fleiko')).toBeNull();
    expect(publicEndpointUrl(null, '/fleiko')).toBeNull();
  });

  it('labels each state and says when the next attempt starts', () => {
    expect(tunnelLabel({ state: 'stopped' })).toBe('No public URL');
    expect(tunnelLabel(online('http://a:1'))).toBe('bore: online');
    const error: TunnelStatus = { state: 'error', kind: 'bore', reason: 'server unreachable', retryInMs: 4000 };
    expect(tunnelLabel(error)).toBe('bore: error');
    expect(tunnelErrorText(error)).toBe('server unreachable — retrying in 4s');
    expect(tunnelErrorText({ ...error, retryInMs: null })).toBe('server unreachable');
    expect(tunnelErrorText(online('http://a:1'))).toBeNull();
  });

  it('names the provider whose settings take the URL', () => {
    expect(pasteHint('fleiko')).toBe('Paste this into Fleiko settings');
    expect(pasteHint('flovi')).toBe('Paste this into Flovi settings');
    expect(pasteHint(null)).toMatch(/your provider/);
  });

  it('warns about plain http URLs only', () => {
    expect(needsHttpsNote(online('http://bore.pub:4000'))).toBe(true);
    expect(needsHttpsNote({ state: 'online', kind: 'ngrok', url: 'https://a.ngrok.app' })).toBe(false);
  });

  it('keeps stored secrets unless new ones are typed', () => {
    const form = formFromSettings(settings, { state: 'stopped' });
    expect(form.kind).toBe('external');
    expect(form.ngrokToken).toBe('');
    const input = inputFromForm(form);
    expect(input.ngrokToken).toBeNull();
    expect(input.boreSecret).toBeNull();
    expect(inputFromForm({ ...form, ngrokToken: ' tok ' }).ngrokToken).toBe('tok');
    expect(formFromSettings(settings, online('http://a:1')).kind).toBe('bore');
  });
});
