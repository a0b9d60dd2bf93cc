import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';

import type { FloviOffice, FloviSettings } from '../../api';
import { Callout } from '../../components/Facts';
import { ArrowRightIcon, CarIcon, SendIcon } from '../../components/icons';
import { type Explanation, utcOffsetLabel } from '../../format/flovi';
import {
  ADDRESS_EXAMPLE,
  type End,
  type FieldErrors,
  PLACE_TYPES,
  type PlaceType,
  RESERVATION_TYPES,
  type ReservationType,
  type ScheduleField,
  type ScheduleForm,
  addressField,
  departInPast,
  officeField,
  parseLocalInput,
  sameOfficeId,
  typeField,
  usesOffice,
} from '../../state/floviForm';
import { Card, FloviErrorBox } from './FloviErrorBox';

interface Props {
  form: ScheduleForm;
  offices: FloviOffice[] | null;
  /** Errors to show now (touched fields only). */
  errors: FieldErrors;
  /** Backend messages about fields the form has no input for. */
  otherErrors: string[];
  /** Fields still wrong but not yet shown, for the hint beside Send. */
  pending: string[];
  invalid: boolean;
  sending: boolean;
  error: Explanation | null;
  settings: FloviSettings | null;
  onUpdate: (patch: Partial<ScheduleForm>, field?: ScheduleField) => void;
  onTouch: (field: ScheduleField) => void;
  onRevealAll: () => void;
  onSend: () => void;
  onDismissError: () => void;
}

function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  } catch {
    return 'local time';
  }
}

function FieldError({ field, message }: { field: ScheduleField; message: string | undefined }) {
  if (!message) return null;
  return (
    <span className="field-error" data-testid="flovi-field-error" data-field={field} id={`flovi-err-${field}`}>
      {message}
    </span>
  );
}

function Field({
  label,
  htmlFor,
  field,
  errors,
  hint,
  children,
  className,
}: {
  label: string;
  htmlFor: string;
  field: ScheduleField;
  errors: FieldErrors;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  const message = errors[field];
  return (
    <div className={`field ${className ?? ''}`}>
      <label className="field-label" htmlFor={htmlFor}>
        {label}
      </label>
      {children}
      {message ? <FieldError field={field} message={message} /> : hint && <span className="field-hint">{hint}</span>}
    </div>
  );
}

/** The origin or destination: a place type, then an office (picker or id) or an address. */
function PlaceFields({ end, form, offices, errors, onUpdate, onTouch }: Pick<Props, 'form' | 'offices' | 'errors' | 'onUpdate' | 'onTouch'> & { end: End }) {
  const id = useId();
  const type = form[typeField(end)];
  const title = end === 'origin' ? 'From' : 'To';
  const office = form[officeField(end)];
  // "01" picks office "1", as the core would.
  const match = offices?.find((o) => sameOfficeId(o.id, office));
  const invalidProps = (field: ScheduleField) =>
    errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': `flovi-err-${field}` } : {};

  return (
    <fieldset className="place-fields">
      <legend>{title}</legend>
      <Field label="Type" htmlFor={`${id}-type`} field={typeField(end)} errors={errors}>
        <select
          id={`${id}-type`}
          data-testid={`flovi-${end}-type`}
          value={type}
          onChange={(e) => onUpdate({ [typeField(end)]: e.target.value as PlaceType }, typeField(end))}
          {...invalidProps(typeField(end))}
        >
          {PLACE_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </Field>
      {usesOffice(type) ? (
        <Field
          label="Office"
          htmlFor={`${id}-office`}
          field={officeField(end)}
          errors={errors}
          hint={offices ? null : 'Load offices to pick by name.'}
        >
          {offices ? (
            <select
              id={`${id}-office`}
              data-testid={`flovi-${end}-office`}
              value={match?.id ?? office}
              onChange={(e) => onUpdate({ [officeField(end)]: e.target.value }, officeField(end))}
              onBlur={() => onTouch(officeField(end))}
              {...invalidProps(officeField(end))}
            >
              <option value="">Choose an office…</option>
              {!match && office.trim() !== '' && <option value={office}>{office} (not among your offices)</option>}
              {offices.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} · {o.id}
                </option>
              ))}
            </select>
          ) : (
            <input
              id={`${id}-office`}
              className="mono"
              data-testid={`flovi-${end}-office`}
              value={office}
              placeholder="Office id, e.g. 1"
              onChange={(e) => onUpdate({ [officeField(end)]: e.target.value }, officeField(end))}
              onBlur={() => onTouch(officeField(end))}
              spellCheck={false}
              autoComplete="off"
              {...invalidProps(officeField(end))}
            />
          )}
        </Field>
      ) : (
        <Field
          label={type === 'homeAddress' ? 'Home address' : 'Address'}
          htmlFor={`${id}-address`}
          field={addressField(end)}
          errors={errors}
          hint="street number, zip city, country (FI or SE)"
        >
          <input
            id={`${id}-address`}
            data-testid={`flovi-${end}-address`}
            value={form[addressField(end)]}
            placeholder={ADDRESS_EXAMPLE}
            onChange={(e) => onUpdate({ [addressField(end)]: e.target.value }, addressField(end))}
            onBlur={() => onTouch(addressField(end))}
            spellCheck={false}
            autoComplete="off"
            {...invalidProps(addressField(end))}
          />
        </Field>
      )}
    </fieldset>
  );
}

export function ScheduleFormCard(props: Props) {
  const { form, errors, otherErrors, pending, invalid, sending, error, settings, onUpdate, onTouch, onRevealAll, onSend, onDismissError } = props;
  const id = useId();
  const depart = parseLocalInput(form.depart);
  // "In the past" is a hint, so a clock that ticks every half minute is precise enough.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(t);
  }, []);
  const past = departInPast(form, now);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (invalid) onRevealAll();
    else onSend();
  };

  return (
    <Card title="Schedule" icon={<CarIcon />} testId="flovi-schedule">
      <form className="schedule-form" onSubmit={submit} noValidate>
        {settings && !settings.hasApiKey && (
          <Callout tone="warn">No API key is set yet: Flovi will refuse the request. Save one under Connection.</Callout>
        )}
        <div className="schedule-top">
          <Field label="Reservation type" htmlFor={`${id}-rtype`} field="reservationType" errors={errors}>
            <select
              id={`${id}-rtype`}
              data-testid="flovi-reservation-type"
              value={form.reservationType}
              onChange={(e) => onUpdate({ reservationType: e.target.value as ReservationType }, 'reservationType')}
            >
              {RESERVATION_TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label="Depart (local time)"
            htmlFor={`${id}-depart`}
            field="depart"
            errors={errors}
            hint={
              past ? (
                <span className="warn-text">This is in the past; Flovi may refuse it.</span>
              ) : (
                `When the car can be picked up, in ${localZone()}.`
              )
            }
          >
            <div className="depart-row">
              <input
                id={`${id}-depart`}
                type="datetime-local"
                data-testid="flovi-depart"
                value={form.depart}
                step={60}
                onChange={(e) => onUpdate({ depart: e.target.value }, 'depart')}
                onBlur={() => onTouch('depart')}
                aria-invalid={errors.depart ? true : undefined}
                aria-describedby={errors.depart ? 'flovi-err-depart' : undefined}
              />
              <span className="utc-preview" title="What Flovi receives">
                {depart.ok ? (
                  <>
                    <span className="utc-offset">{utcOffsetLabel(depart.date.getTime())}</span>
                    <ArrowRightIcon />
                    <code data-testid="flovi-depart-utc">{depart.utc}</code>
                  </>
                ) : (
                  <span className="muted">UTC: —</span>
                )}
              </span>
            </div>
          </Field>
        </div>

        <div className="route-fields">
          <PlaceFields end="origin" {...props} />
          <span className="route-arrow" aria-hidden>
            <ArrowRightIcon />
          </span>
          <PlaceFields end="destination" {...props} />
        </div>

        <label className="check-field">
          <input
            type="checkbox"
            data-testid="flovi-test-plates"
            checked={form.testPlates}
            onChange={(e) => onUpdate({ testPlates: e.target.checked }, 'testPlates')}
          />
          <span className="check-label">Test plates</span>
          <span className="field-hint">adds 2 h to the schedule</span>
        </label>
        <FieldError field="testPlates" message={errors.testPlates} />

        {otherErrors.length > 0 && (
          <ul className="other-errors" data-testid="flovi-other-errors">
            {otherErrors.map((m, i) => (
              <li key={i} className="field-error">
                {m}
              </li>
            ))}
          </ul>
        )}

        <footer className="schedule-foot">
          <code className="request-line" title="The request Hookscope sends">
            <span className="method method-post">POST</span>
            <span className="request-url">{settings ? `${settings.baseUrl}/schedule` : '/schedule'}</span>
          </code>
          <span className="spacer" />
          {pending.length > 0 && (
            <button type="button" className="link-btn send-hint" onClick={onRevealAll} data-testid="flovi-send-hint">
              Still needed: {pending.join(', ')}
            </button>
          )}
          <button type="submit" className="btn btn-primary" data-testid="flovi-send" disabled={invalid || sending}>
            <SendIcon />
            {sending ? 'Sending…' : 'Create schedule'}
          </button>
        </footer>
        {error && <FloviErrorBox error={error} source="schedule" onDismiss={onDismissError} />}
      </form>
    </Card>
  );
}
