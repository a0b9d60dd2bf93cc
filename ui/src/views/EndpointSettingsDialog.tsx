import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';

import {
  ApiError,
  type KeySource,
  type ProviderId,
  deleteEndpoint,
  getSecretStorage,
  listEndpointSettings,
  revealEndpointSecret,
  saveEndpoint,
  setEndpointSecrets,
} from '../api';
import { CopyButton } from '../components/CopyButton';
import { Callout } from '../components/Facts';
import { CloseIcon, EyeIcon, EyeOffIcon, KeyIcon, PlusIcon, ShieldIcon, TrashIcon } from '../components/icons';
import { PROVIDERS, PROVIDER_NAMES, asProviderId } from '../format/provider';
import { joinUrl } from '../format/shell';
import type { SettingsTarget } from '../state/deliveries';
import {
  type EndpointForm,
  type FormErrors,
  REVEAL_MS,
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
} from '../state/endpointForm';
import { useStore } from '../state/store';
import { EndpointLabSections } from './EndpointLabSections';

/** The settings dialog, when one is open. */
export function EndpointSettingsDialog() {
  const { state, dispatch } = useStore();
  const target = state.settings;
  const close = useCallback(() => dispatch({ type: 'closeSettings' }), [dispatch]);
  if (!target) return null;
  return <SettingsDialog key={target.kind === 'edit' ? `edit-${target.id}` : 'new'} target={target} onClose={close} />;
}

const WHERE_SECRETS_COME_FROM: Record<ProviderId, string> = {
  flovi: 'The webhook secret from the Flovi Dashboard; Flovi signs the raw body into x-hub-signature.',
  flowella: 'The signing secret from Flowella’s webhook settings; Flowella signs the raw body (HMAC-SHA256).',
  fleiko:
    'Shown once when you register or rotate the endpoint in Fleiko. During a rotation Fleiko may send two v1 signatures: keep the previous secret until it stops.',
};

type Load = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready' };

function SettingsDialog({ target, onClose }: { target: SettingsTarget; onClose: () => void }) {
  const { state, dispatch, refreshEndpoints, resync } = useStore();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [load, setLoad] = useState<Load>(target.kind === 'new' ? { status: 'ready' } : { status: 'loading' });
  const [form, setForm] = useState<EndpointForm>(() =>
    target.kind === 'new' ? newForm(target.provider, target.pathPrefix) : newForm(),
  );
  const [keySource, setKeySource] = useState<KeySource | null>(null);
  const [showErrors, setShowErrors] = useState(false);
  const [busy, setBusy] = useState<'saving' | 'deleting' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  /** Secret values on show, by row key; each hides itself again after REVEAL_MS. */
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const timers = useRef(new Map<string, number>());

  useEffect(() => {
    const el = dialogRef.current;
    if (el && !el.open) el.showModal();
    return () => {
      if (el?.open) el.close();
    };
  }, []);

  useEffect(() => {
    let alive = true;
    getSecretStorage().then(
      (k) => alive && setKeySource(k),
      () => undefined,
    );
    if (target.kind === 'edit') {
      listEndpointSettings().then(
        (all) => {
          if (!alive) return;
          const found = all.find((e) => e.id === target.id);
          if (found) {
            setForm(formFromSettings(found));
            setLoad({ status: 'ready' });
          } else setLoad({ status: 'error', message: `Endpoint ${target.id} no longer exists.` });
        },
        (err: unknown) => alive && setLoad({ status: 'error', message: ApiError.from(err).message }),
      );
    }
    return () => {
      alive = false;
    };
  }, [target]);

  // Revealed values must not outlive the dialog.
  useEffect(() => {
    const pending = timers.current;
    return () => {
      pending.forEach((t) => window.clearTimeout(t));
      pending.clear();
    };
  }, []);

  const hide = useCallback((key: string) => {
    const t = timers.current.get(key);
    if (t !== undefined) window.clearTimeout(t);
    timers.current.delete(key);
    setRevealed((r) => {
      if (!(key in r)) return r;
      const next = { ...r };
      delete next[key];
      return next;
    });
  }, []);

  const show = useCallback(
    (key: string, value: string) => {
      setRevealed((r) => ({ ...r, [key]: value }));
      const old = timers.current.get(key);
      if (old !== undefined) window.clearTimeout(old);
      timers.current.set(
        key,
        window.setTimeout(() => hide(key), REVEAL_MS),
      );
    },
    [hide],
  );

  const toggleReveal = (key: string) => {
    if (key in revealed) return hide(key);
    const entry = form.secrets.find((s) => s.key === key);
    if (!entry) return;
    if (entry.kind === 'new') return show(key, entry.value);
    if (form.id === null) return;
    revealEndpointSecret(form.id, entry.index).then(
      (value) => show(key, value),
      (err: unknown) => setError(`Could not reveal the secret: ${ApiError.from(err).message}`),
    );
  };

  const update = (patch: Partial<EndpointForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setDone(null);
  };

  const errors: FormErrors = showErrors ? validate(form) : {};
  const changed = secretsChanged(form);

  const save = async (e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    setDone(null);
    if (Object.keys(validate(form)).length > 0) {
      setShowErrors(true);
      return;
    }
    setBusy('saving');
    try {
      const slots = changed ? secretSlots(form) : null;
      const saved = await saveEndpoint(toInput(form));
      let message = form.id === null ? 'Endpoint created.' : 'Saved.';
      if (slots) {
        // The backend re-verifies and announces it with `deliveries:resync`.
        const result = await setEndpointSecrets(saved.id, slots);
        message += ` Re-verified ${result.reverified.toLocaleString('en-US')} ${result.reverified === 1 ? 'delivery' : 'deliveries'}.`;
        refreshEndpoints();
      } else {
        // A new prefix or provider may re-route or re-analyse stored deliveries.
        resync();
      }
      const fresh = (await listEndpointSettings()).find((s) => s.id === saved.id) ?? saved;
      timers.current.forEach((t) => window.clearTimeout(t));
      timers.current.clear();
      setRevealed({});
      setForm(formFromSettings(fresh));
      setShowErrors(false);
      setDone(message);
    } catch (err) {
      setError(ApiError.from(err).message);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    if (form.id === null) return;
    setBusy('deleting');
    setError(null);
    try {
      await deleteEndpoint(form.id);
      if (state.filters.endpoint === form.id) dispatch({ type: 'setEndpointFilter', endpoint: 'all' });
      // The backend follows with `deliveries:resync` for the re-routed deliveries.
      refreshEndpoints();
      onClose();
    } catch (err) {
      setError(ApiError.from(err).message);
      setBusy(null);
    }
  };

  const baseUrl = state.serverInfo?.baseUrl || null;
  const provider = form.provider;
  const title = form.id === null ? 'New endpoint' : `Endpoint settings`;

  return (
    <dialog
      ref={dialogRef}
      className="settings-dialog"
      aria-labelledby="endpoint-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => e.stopPropagation()}
    >
      <form className="settings-form" data-testid="endpoint-form" onSubmit={(e) => void save(e)} noValidate>
        <header className="dialog-head">
          <h2 id="endpoint-dialog-title">{title}</h2>
          {form.id !== null && <span className="dialog-sub">{form.name}</span>}
          <span className="spacer" />
          <button type="button" className="icon-btn" aria-label="Close" title="Close" onClick={onClose}>
            <CloseIcon />
          </button>
        </header>

        {load.status === 'loading' ? (
          <div className="dialog-body">
            <div className="detail-loading">Loading…</div>
          </div>
        ) : load.status === 'error' ? (
          <div className="dialog-body">
            <div className="detail-error" role="alert">
              {load.message}
            </div>
          </div>
        ) : (
          <div className="dialog-body">
            <div className="form-grid">
              <label className="field">
                <span className="field-label">Name</span>
                <input
                  data-testid="endpoint-name-input"
                  value={form.name}
                  onChange={(e) => update({ name: e.target.value })}
                  aria-invalid={errors.name ? true : undefined}
                  spellCheck={false}
                  autoComplete="off"
                  autoFocus
                />
                {errors.name && <span className="field-error">{errors.name}</span>}
              </label>
              <label className="field">
                <span className="field-label">Provider</span>
                <select
                  data-testid="endpoint-provider-select"
                  value={provider ?? ''}
                  onChange={(e) => {
                    setForm((f) => withProvider(f, asProviderId(e.target.value)));
                    setDone(null);
                  }}
                >
                  <option value="">None (capture only)</option>
                  {PROVIDERS.map((p) => (
                    <option key={p} value={p}>
                      {PROVIDER_NAMES[p]}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field wide">
                <span className="field-label">Path prefix</span>
                <input
                  className="mono"
                  data-testid="endpoint-path-input"
                  value={form.pathPrefix}
                  onChange={(e) => update({ pathPrefix: e.target.value })}
                  aria-invalid={errors.pathPrefix ? true : undefined}
                  spellCheck={false}
                  autoComplete="off"
                />
                {errors.pathPrefix ? (
                  <span className="field-error">{errors.pathPrefix}</span>
                ) : (
                  baseUrl &&
                  form.pathPrefix.startsWith('/') && (
                    <span className="field-hint url-preview">
                      <code>{joinUrl(baseUrl, form.pathPrefix.trim())}</code>
                      <CopyButton text={joinUrl(baseUrl, form.pathPrefix.trim())} title="Copy endpoint URL" />
                    </span>
                  )
                )}
              </label>
              {provider === 'flowella' && (
                <label className="field wide">
                  <span className="field-label">Signature header</span>
                  <input
                    className="mono"
                    data-testid="endpoint-signature-header-input"
                    value={form.signatureHeader}
                    placeholder="any header"
                    onChange={(e) => update({ signatureHeader: e.target.value })}
                    aria-invalid={errors.signatureHeader ? true : undefined}
                    spellCheck={false}
                    autoComplete="off"
                  />
                  {errors.signatureHeader ? (
                    <span className="field-error">{errors.signatureHeader}</span>
                  ) : (
                    <span className="field-hint">
                      Flowella does not document the header: leave empty to find the digest in any header.
                    </span>
                  )}
                </label>
              )}
              {provider === 'fleiko' && (
                <label className="field">
                  <span className="field-label">Timestamp tolerance</span>
                  <span className="input-suffix">
                    <input
                      inputMode="numeric"
                      data-testid="endpoint-tolerance-input"
                      value={form.toleranceSecs}
                      onChange={(e) => update({ toleranceSecs: e.target.value })}
                      aria-invalid={errors.toleranceSecs ? true : undefined}
                    />
                    <span>s</span>
                  </span>
                  {errors.toleranceSecs ? (
                    <span className="field-error">{errors.toleranceSecs}</span>
                  ) : (
                    <span className="field-hint">Fleiko rejects |now − t| over 300 s.</span>
                  )}
                </label>
              )}
            </div>

            <section className="secrets" aria-labelledby="secrets-title">
              <header className="secrets-head">
                <KeyIcon />
                <h3 id="secrets-title">Signing secrets</h3>
                <span className="muted">{form.secrets.length === 0 ? 'none' : `${form.secrets.length}, current first`}</span>
              </header>
              <p className="field-hint">
                {provider
                  ? WHERE_SECRETS_COME_FROM[provider]
                  : 'Choose a provider to verify signatures; without one, deliveries are captured but not checked.'}
              </p>
              {form.secrets.length > 0 && (
                <ul className="secret-list">
                  {form.secrets.map((s, i) => {
                    const value = revealed[s.key];
                    const shown = value !== undefined;
                    return (
                      <li key={s.key} className="secret-row" data-testid="secret-row" data-state={s.kind}>
                        <span className={`chip ${i === 0 ? 'chip-accent' : 'chip-neutral'} secret-label`}>{secretLabel(i)}</span>
                        <code className={`secret-value ${shown ? 'shown' : 'masked'}`} data-testid="secret-value">
                          {shown ? value : SECRET_MASK}
                        </code>
                        {s.kind === 'new' && <span className="chip chip-warn">unsaved</span>}
                        <span className="spacer" />
                        <button
                          type="button"
                          className="btn btn-ghost btn-sm"
                          data-testid="reveal-secret-button"
                          aria-pressed={shown}
                          onClick={() => toggleReveal(s.key)}
                        >
                          {shown ? <EyeOffIcon /> : <EyeIcon />}
                          {shown ? 'Hide' : 'Reveal'}
                        </button>
                        <button
                          type="button"
                          className="icon-btn danger"
                          data-testid="remove-secret-button"
                          aria-label={`Remove the ${secretLabel(i)} secret`}
                          title={`Remove the ${secretLabel(i)} secret`}
                          onClick={() => {
                            hide(s.key);
                            update({ secrets: removeSecret(form, s.key).secrets });
                          }}
                        >
                          <TrashIcon />
                        </button>
                      </li>
                    );
                  })}
                </ul>
              )}
              <div className="secret-add">
                <input
                  type="password"
                  className="mono"
                  data-testid="secret-input"
                  placeholder={form.secrets.length === 0 ? 'Paste the signing secret' : 'Paste a new secret to rotate'}
                  aria-label="New signing secret"
                  value={form.draft}
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(e) => update({ draft: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      update({ secrets: addSecret(form).secrets, draft: '' });
                    }
                  }}
                />
                <button
                  type="button"
                  className="btn"
                  data-testid="add-secret-button"
                  disabled={form.draft.trim() === ''}
                  onClick={() => update({ secrets: addSecret(form).secrets, draft: '' })}
                >
                  <PlusIcon />
                  {form.secrets.length === 0 ? 'Add secret' : 'Add as current'}
                </button>
              </div>
              {form.secrets.length > 0 && (
                <p className="field-hint">
                  A new secret becomes current and the current one becomes previous, so deliveries signed during the
                  provider&apos;s rotation still verify. Remove the old one when it stops matching.
                </p>
              )}
              {changed && (
                <p className="pending-note" data-testid="secrets-pending">
                  Secrets change on Save; this endpoint&apos;s stored deliveries are then verified again.
                </p>
              )}
              <KeySourceNotice source={keySource} />
            </section>
            {form.id !== null && <EndpointLabSections endpointId={form.id} />}
          </div>
        )}

        {(error || done) && (
          <div className={`dialog-status ${error ? 'err' : 'ok'}`} role={error ? 'alert' : 'status'} data-testid="endpoint-status">
            {error ?? done}
          </div>
        )}

        <footer className="dialog-foot">
          {form.id !== null &&
            load.status === 'ready' &&
            (confirmDelete ? (
              <span className="confirm-delete">
                <span>Delete “{form.name}” and its secrets?</span>
                <button type="button" className="btn btn-danger" data-testid="confirm-delete-endpoint" disabled={busy !== null} onClick={() => void remove()}>
                  {busy === 'deleting' ? 'Deleting…' : 'Delete'}
                </button>
                <button type="button" className="btn btn-ghost" onClick={() => setConfirmDelete(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" className="btn btn-ghost danger" data-testid="delete-endpoint-button" onClick={() => setConfirmDelete(true)}>
                <TrashIcon />
                Delete endpoint
              </button>
            ))}
          <span className="spacer" />
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {done ? 'Close' : 'Cancel'}
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="save-endpoint-button"
            disabled={busy !== null || load.status !== 'ready'}
          >
            {busy === 'saving' ? 'Saving…' : form.id === null ? 'Create endpoint' : 'Save'}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

function KeySourceNotice({ source }: { source: KeySource | null }) {
  if (!source) return null;
  if (source.kind === 'keyring') {
    return (
      <div className="key-source" data-testid="key-source" data-kind="keyring">
        <ShieldIcon />
        <span>Secrets are encrypted (AES-256-GCM); key in the OS keyring.</span>
      </div>
    );
  }
  return (
    <div data-testid="key-source" data-kind="keyFile">
      <Callout tone="warn">
        <strong>No OS keyring available:</strong> the key is kept in <code className="key-path">{source.path}</code>{' '}
        (owner-only). Secrets are still encrypted (AES-256-GCM), but anyone who can read that file and the database can
        read them.
      </Callout>
    </div>
  );
}
