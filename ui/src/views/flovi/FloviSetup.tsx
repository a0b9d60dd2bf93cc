import { type FormEvent, useEffect, useId, useState } from 'react';

import { ApiError, type FloviSettings, setFloviApiKey, setFloviBaseUrl } from '../../api';
import { CheckIcon, KeyIcon, TrashIcon } from '../../components/icons';
import { DEFAULT_BASE_URL, type Explanation, explainError, keyStatusParts } from '../../format/flovi';
import { Card } from './FloviErrorBox';

type Note = { tone: 'ok' | 'err'; text: string } | null;

/**
 * Base URL and API key. The key is write-only: typed into a password field, sent once, and
 * cleared; afterwards the panel knows only whether one is set.
 */
export function FloviSetup({
  settings,
  loadError,
  onChange,
}: {
  settings: FloviSettings | null;
  loadError: string | null;
  onChange: (next: FloviSettings, what: 'baseUrl' | 'key') => void;
}) {
  const ids = useId();
  /** Null while the field shows the stored value. */
  const [urlDraft, setUrlDraft] = useState<string | null>(null);
  const [urlBusy, setUrlBusy] = useState(false);
  const [urlError, setUrlError] = useState<Explanation | null>(null);
  const [urlNote, setUrlNote] = useState<Note>(null);
  const [key, setKey] = useState('');
  const [keyBusy, setKeyBusy] = useState<'save' | 'remove' | null>(null);
  const [keyNote, setKeyNote] = useState<Note>(null);

  // Confirmations fade; errors stay until the next attempt.
  useEffect(() => {
    if (urlNote?.tone !== 'ok') return;
    const t = window.setTimeout(() => setUrlNote(null), 2500);
    return () => window.clearTimeout(t);
  }, [urlNote]);
  useEffect(() => {
    if (keyNote?.tone !== 'ok') return;
    const t = window.setTimeout(() => setKeyNote(null), 2500);
    return () => window.clearTimeout(t);
  }, [keyNote]);

  const stored = settings?.baseUrl ?? '';
  const url = urlDraft ?? stored;
  const urlChanged = settings !== null && url.trim() !== stored;

  const saveUrl = async (e?: FormEvent, value = url) => {
    e?.preventDefault();
    if (settings === null) return;
    setUrlBusy(true);
    setUrlError(null);
    setUrlNote(null);
    try {
      const next = await setFloviBaseUrl(value.trim());
      setUrlDraft(null);
      onChange(next, 'baseUrl');
      setUrlNote({ tone: 'ok', text: 'Saved.' });
    } catch (err) {
      setUrlError(explainError(ApiError.from(err), 'settings'));
    } finally {
      setUrlBusy(false);
    }
  };

  const saveKey = async (e?: FormEvent) => {
    e?.preventDefault();
    const value = key.trim();
    if (value === '') return;
    setKeyBusy('save');
    setKeyNote(null);
    try {
      const next = await setFloviApiKey(value);
      setKey('');
      onChange(next, 'key');
      setKeyNote({ tone: 'ok', text: 'Key saved.' });
    } catch (err) {
      setKeyNote({ tone: 'err', text: `Not saved: ${ApiError.from(err).message}` });
    } finally {
      setKeyBusy(null);
    }
  };

  const removeKey = async () => {
    setKeyBusy('remove');
    setKeyNote(null);
    try {
      const next = await setFloviApiKey('');
      setKey('');
      onChange(next, 'key');
      setKeyNote({ tone: 'ok', text: 'Key removed.' });
    } catch (err) {
      setKeyNote({ tone: 'err', text: `Not removed: ${ApiError.from(err).message}` });
    } finally {
      setKeyBusy(null);
    }
  };

  return (
    <Card title="Connection" icon={<KeyIcon />} testId="flovi-setup">
      {loadError && (
        <p className="field-error" role="alert">
          Could not read the Flovi settings: {loadError}
        </p>
      )}
      <form className="flovi-stack" onSubmit={(e) => void saveUrl(e)} noValidate>
        <div className="field">
          <label className="field-label" htmlFor={`${ids}-url`}>
            Base URL
          </label>
          <div className="input-row">
            <input
              id={`${ids}-url`}
              className="mono"
              data-testid="flovi-base-url-input"
              value={url}
              placeholder={DEFAULT_BASE_URL}
              disabled={settings === null}
              onChange={(e) => {
                setUrlDraft(e.target.value);
                setUrlError(null);
                setUrlNote(null);
              }}
              aria-invalid={urlError ? true : undefined}
              aria-describedby={`${ids}-url-note`}
              spellCheck={false}
              autoComplete="off"
            />
            <button type="submit" className="btn" data-testid="flovi-base-url-save" disabled={!urlChanged || urlBusy}>
              {urlBusy ? 'Saving…' : 'Save'}
            </button>
          </div>
          <div id={`${ids}-url-note`}>
            {urlError ? (
              <span className="field-error" data-testid="flovi-base-url-error" role="alert">
                {urlError.detail ?? urlError.title}
              </span>
            ) : urlNote ? (
              <span className={`flovi-note ${urlNote.tone}`} role="status">
                {urlNote.tone === 'ok' && <CheckIcon />}
                {urlNote.text}
              </span>
            ) : (
              <span className="field-hint">
                https only; http is allowed to a loopback mock (127.0.0.1, localhost).{' '}
                {stored !== DEFAULT_BASE_URL && settings !== null && (
                  <button type="button" className="link-btn inline" onClick={() => void saveUrl(undefined, '')}>
                    Use Flovi’s default
                  </button>
                )}
              </span>
            )}
          </div>
        </div>
      </form>

      <form className="flovi-stack" onSubmit={(e) => void saveKey(e)} noValidate>
        <div className="field">
          <div className="field-label-row">
            <label className="field-label" htmlFor={`${ids}-key`}>
              API key
            </label>
            {settings?.hasApiKey && (
              <button
                type="button"
                className="link-btn danger-link"
                data-testid="flovi-api-key-remove"
                disabled={keyBusy !== null}
                onClick={() => void removeKey()}
              >
                <TrashIcon />
                {keyBusy === 'remove' ? 'Removing…' : 'Remove key'}
              </button>
            )}
          </div>
          <div className="input-row">
            <input
              id={`${ids}-key`}
              type="password"
              className="mono"
              data-testid="flovi-api-key-input"
              value={key}
              placeholder={settings?.hasApiKey ? 'Paste a new key to replace it' : 'Paste the key from Flovi'}
              onChange={(e) => {
                setKey(e.target.value);
                setKeyNote(null);
              }}
              spellCheck={false}
              autoComplete="off"
              autoCorrect="off"
              autoCapitalize="off"
            />
            <button type="submit" className="btn" data-testid="flovi-api-key-save" disabled={key.trim() === '' || keyBusy !== null}>
              {keyBusy === 'save' ? 'Saving…' : 'Save'}
            </button>
          </div>
          <KeyStatus settings={settings} />
          {keyNote ? (
            <span className={`flovi-note ${keyNote.tone}`} role={keyNote.tone === 'err' ? 'alert' : 'status'}>
              {keyNote.tone === 'ok' && <CheckIcon />}
              {keyNote.text}
            </span>
          ) : (
            <span className="field-hint">From Flovi’s Customer Panel → Organization Settings. Sent as X-API-Key; never shown again.</span>
          )}
        </div>
      </form>
    </Card>
  );
}

function KeyStatus({ settings }: { settings: FloviSettings | null }) {
  const parts = settings ? keyStatusParts(settings) : null;
  return (
    <div
      className={`key-status ${settings?.hasApiKey ? 'set' : 'unset'}`}
      data-testid="flovi-key-status"
      data-state={settings === null ? 'unknown' : settings.hasApiKey ? 'set' : 'unset'}
    >
      <span className="key-dot" aria-hidden />
      <span>
        <span className="key-headline">{parts ? parts.headline : 'Reading settings…'}</span>
        {parts?.where && (
          <span className="key-where">
            {' · '}
            {parts.where[0]}
            {parts.where[1] && <code className="key-path">{parts.where[1]}</code>}
            {parts.where[2]}
          </span>
        )}
      </span>
    </div>
  );
}
