import type { ReactNode } from 'react';

import type {
  Decoded,
  DecodedField,
  DeliverySummary,
  FleikoEvent,
  FloviCosts,
  FloviPlace,
  FloviReservation,
  FloviVehicle,
  FlowellaEvent,
} from '../api';
import { ProviderBadge } from '../components/Badges';
import { CopyButton } from '../components/CopyButton';
import { Callout, Facts, Section } from '../components/Facts';
import { ArrowRightIcon, CheckIcon, RepeatIcon } from '../components/icons';
import { floviSteps, formatMoney, humanize, sumCents } from '../format/provider';
import { formatDateTime } from '../format/time';

interface Props {
  decoded: Decoded;
  delivery: DeliverySummary;
  /** A line about retries/duplicates, with a way to open the Attempts tab. */
  groupHint: { text: string; open: () => void } | null;
}

/** What the payload means: a headline, the decoder's notes, and a card for the provider's event. */
export function OverviewPanel({ decoded, delivery, groupHint }: Props) {
  const view = decoded.view;
  return (
    <div className="pane-scroll" data-testid="overview-pane">
      <div className="overview">
        <header className="ov-head">
          <div className="ov-kicker">
            <ProviderBadge delivery={delivery} />
            {decoded.eventType && <code className="ov-event">{decoded.eventType}</code>}
          </div>
          <h2 className="ov-summary" data-testid="overview-summary">
            {decoded.summary ?? (decoded.eventType ? humanize(decoded.eventType) : 'Decoded payload')}
          </h2>
          <Facts
            className="ov-ids"
            items={[
              decoded.eventId !== null && ['Event id', <Mono key="e" text={decoded.eventId} copy="Copy event id" />],
              decoded.deliveryId !== null && ['Delivery id', <Mono key="d" text={decoded.deliveryId} copy="Copy delivery id" />],
              decoded.attempt !== null && ['Attempt', String(decoded.attempt)],
            ]}
          />
        </header>
        {decoded.notes.map((note, i) => (
          <Callout key={i} tone="info" testId="decoded-note">
            {note}
          </Callout>
        ))}
        {groupHint && (
          <button type="button" className="group-hint" onClick={groupHint.open}>
            <RepeatIcon />
            <span>{groupHint.text}</span>
            <span className="group-hint-go">
              Attempts <ArrowRightIcon />
            </span>
          </button>
        )}
        {view?.kind === 'floviReservation' && <FloviCard r={view} />}
        {view?.kind === 'fleikoEvent' && <FleikoCard e={view} />}
        {view?.kind === 'flowellaEvent' && <FlowellaCard e={view} />}
        {!view && decoded.notes.length === 0 && <p className="muted">Nothing more to decode in this payload.</p>}
      </div>
    </div>
  );
}

function Mono({ text, copy }: { text: string; copy?: string }) {
  return (
    <span className="mono-value">
      <code title={text}>{text}</code>
      {copy && <CopyButton text={text} title={copy} />}
    </span>
  );
}

function Chip({ children, tone = 'neutral', title }: { children: ReactNode; tone?: string; title?: string }) {
  return (
    <span className={`chip chip-${tone}`} title={title}>
      {children}
    </span>
  );
}

// ---------- Flovi ----------

function FloviCard({ r }: { r: FloviReservation }) {
  const steps = floviSteps(r.state);
  const cancelled = r.state === 'cancelled' || r.cancellation !== null;
  return (
    <>
      <Section
        title="Reservation"
        aside={
          <span className="ov-aside">
            {r.reservationId !== null && <Chip>{`#${r.reservationId}`}</Chip>}
            {r.externalId !== null && <Chip title="external_id">{`ext ${r.externalId}`}</Chip>}
          </span>
        }
      >
        {cancelled ? (
          <div className="cancel-box" data-testid="flovi-cancelled">
            <div className="cancel-title">Cancelled</div>
            {r.cancellation?.reason != null && (
              <div className="cancel-reason">
                {humanize(r.cancellation.reason)} <code>{r.cancellation.reason}</code>
                {!r.cancellation.reasonKnown && <Chip tone="warn">undocumented reason</Chip>}
              </div>
            )}
            {r.cancellation?.comment != null && <blockquote className="cancel-comment">{r.cancellation.comment}</blockquote>}
            {r.cancellation === null && <div className="muted">No cancellation reason in the body.</div>}
          </div>
        ) : steps ? (
          <ol className="steps" aria-label="Reservation state" data-testid="flovi-steps">
            {steps.map(({ step, status }) => (
              <li key={step} className={`step step-${status}`} aria-current={status === 'current' ? 'step' : undefined}>
                <span className="step-dot">{status === 'done' ? <CheckIcon width={10} height={10} /> : null}</span>
                <span className="step-label">{humanize(step)}</span>
              </li>
            ))}
          </ol>
        ) : (
          <div className="muted">
            State <code>{r.state ?? 'missing'}</code> is not one of Flovi&apos;s documented states.
          </div>
        )}
      </Section>

      {(r.origin || r.destination) && (
        <Section title="Route">
          <div className="route">
            <Place label="From" place={r.origin} />
            <span className="route-arrow" aria-hidden>
              <ArrowRightIcon width={16} height={16} />
            </span>
            <Place label="To" place={r.destination} />
          </div>
        </Section>
      )}

      {r.driver && (
        <Section title="Driver">
          <Facts
            items={[
              ['Name', r.driver.name],
              r.driver.phone !== null && ['Phone', <Mono key="p" text={r.driver.phone} copy="Copy phone number" />],
              r.driver.freelancer !== null && ['Freelancer', r.driver.freelancer ? 'yes' : 'no'],
            ]}
          />
        </Section>
      )}

      {r.vehicles.length > 0 && (
        <Section title={r.vehicles.length === 1 ? 'Vehicle' : `Vehicles (${r.vehicles.length})`}>
          <Vehicles vehicles={r.vehicles} />
        </Section>
      )}

      {r.costs && (
        <Section title="Costs">
          <Costs costs={r.costs} />
        </Section>
      )}
    </>
  );
}

function Place({ label, place }: { label: string; place: FloviPlace | null }) {
  if (!place) {
    return (
      <div className="place">
        <div className="place-label">{label}</div>
        <div className="muted">not given</div>
      </div>
    );
  }
  const cityLine = [place.zip, place.city].filter((x) => x !== null).join(' ');
  return (
    <div className="place">
      <div className="place-label">{label}</div>
      <div className="place-main">{place.address ?? place.city ?? 'no address'}</div>
      {(cityLine || place.country) && (
        <div className="place-sub">
          {cityLine}
          {cityLine && place.country ? ', ' : ''}
          {place.country}
        </div>
      )}
      {place.latitude !== null && place.longitude !== null && (
        <div className="place-coords">
          {place.latitude.toFixed(4)}, {place.longitude.toFixed(4)}
        </div>
      )}
    </div>
  );
}

function Vehicles({ vehicles }: { vehicles: FloviVehicle[] }) {
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th>Plate</th>
          <th>Make</th>
          <th>Model</th>
          <th>Year</th>
          <th>VIN</th>
        </tr>
      </thead>
      <tbody>
        {vehicles.map((v, i) => (
          <tr key={i}>
            <td className="mono">{v.licensePlate ?? '—'}</td>
            <td>{v.make ?? '—'}</td>
            <td>{v.model ?? '—'}</td>
            <td className="num">{v.year ?? '—'}</td>
            <td className="mono">{v.vin ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Costs({ costs }: { costs: FloviCosts }) {
  const currency = costs.currency;
  const lineCents = sumCents(costs.breakdown.map((l) => l.price));
  const totalCents = costs.total === null ? null : Math.round(costs.total * 100);
  const mismatch = totalCents !== null && costs.breakdown.length > 0 && totalCents !== lineCents;
  return (
    <>
      <table className="data-table costs" data-testid="flovi-costs">
        <thead>
          <tr>
            <th>Type</th>
            <th>Description</th>
            <th className="num">Price</th>
          </tr>
        </thead>
        <tbody>
          {costs.breakdown.map((line, i) => (
            <tr key={i}>
              <td>{line.type !== null ? <Chip>{humanize(line.type)}</Chip> : '—'}</td>
              <td>{line.summary ?? ''}</td>
              <td className="num mono">{line.price === null ? '—' : formatMoney(line.price, currency)}</td>
            </tr>
          ))}
          {costs.breakdown.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                No breakdown given.
              </td>
            </tr>
          )}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={2}>
              Total{currency !== null && <span className="muted"> · {currency}</span>}
            </td>
            <td className="num mono">{costs.total === null ? '—' : formatMoney(costs.total, currency)}</td>
          </tr>
        </tfoot>
      </table>
      {mismatch && (
        <Callout tone="warn">
          The lines add up to {formatMoney(lineCents / 100, currency)}, but the total says{' '}
          {formatMoney((totalCents ?? 0) / 100, currency)}.
        </Callout>
      )}
    </>
  );
}

// ---------- Fleiko ----------

function FleikoCard({ e }: { e: FleikoEvent }) {
  const statusChange = e.fromStatus !== null || e.toStatus !== null;
  const cancelled = e.reason !== null || e.reasonCategory !== null;
  return (
    <>
      {statusChange && (
        <Section title="Status change">
          <div className="status-change" data-testid="fleiko-status-change">
            <Chip tone="neutral">{e.fromStatus ?? '?'}</Chip>
            <ArrowRightIcon width={16} height={16} />
            <Chip tone="accent">{e.toStatus ?? '?'}</Chip>
          </div>
        </Section>
      )}
      {cancelled && (
        <Section title="Cancellation">
          <div className="cancel-box">
            <div className="cancel-reason">{e.reason ?? 'No reason given'}</div>
            {e.reasonCategory !== null && (
              <div>
                <Chip tone="warn" title="reason_category">
                  {e.reasonCategory}
                </Chip>
              </div>
            )}
          </div>
        </Section>
      )}
      <Section title="Event">
        <Facts
          items={[
            [
              'Type',
              <span key="t" className="mono-value">
                <code>{e.eventType ?? 'missing'}</code>
                {!e.typeKnown && <Chip tone="warn">undocumented</Chip>}
              </span>,
            ],
            e.id !== null && ['Id', <Mono key="i" text={e.id} copy="Copy event id" />],
            e.created !== null && ['Created', <UnixTime key="c" secs={e.created} />],
            ['Company', e.companyId],
            ['API version', e.apiVersion],
          ]}
        />
      </Section>
      {(e.jobId !== null || e.jobReference !== null || e.status !== null || e.driver !== null || e.bookingId !== null || e.customer !== null || e.message !== null) && (
        <Section title={e.bookingId !== null ? 'Booking' : e.jobId !== null || e.jobReference !== null ? 'Job' : 'Details'}>
          <Facts
            items={[
              e.jobId !== null && ['Job id', <Mono key="j" text={e.jobId} copy="Copy job id" />],
              ['Reference', e.jobReference],
              ['Status', e.status],
              ['Driver', e.driver],
              e.bookingId !== null && ['Booking id', <Mono key="b" text={e.bookingId} copy="Copy booking id" />],
              ['Customer', e.customer],
              ['Message', e.message],
            ]}
          />
        </Section>
      )}
      <FieldsSection fields={e.fields} title="Data fields" />
    </>
  );
}

function UnixTime({ secs }: { secs: number }) {
  return (
    <span title={`unix ${secs}`}>
      {formatDateTime(secs * 1000)} <span className="muted mono">({secs})</span>
    </span>
  );
}

// ---------- Flowella ----------

function FlowellaCard({ e }: { e: FlowellaEvent }) {
  const contact = [e.contactName, e.contact].filter((x) => x !== null).join(' · ');
  return (
    <>
      {e.text !== null && (
        <Section title={e.direction === 'outbound' ? 'Message sent' : 'Message'}>
          <div className={`bubble ${e.direction === 'outbound' ? 'bubble-out' : 'bubble-in'}`} data-testid="flowella-text">
            {e.text}
          </div>
        </Section>
      )}
      {(e.status !== null || e.error !== null) && (
        <Section title="Status">
          <div className="status-change">
            {e.previousStatus !== null && (
              <>
                <Chip>{e.previousStatus}</Chip>
                <ArrowRightIcon width={16} height={16} />
              </>
            )}
            {e.status !== null && <Chip tone={e.status === 'failed' ? 'err' : 'accent'}>{e.status}</Chip>}
          </div>
          {e.error !== null && <Callout tone="err">{e.error}</Callout>}
        </Section>
      )}
      <Section title="Event">
        <Facts
          items={[
            [
              'Type',
              <span key="t" className="mono-value">
                <code>{e.eventType ?? 'missing'}</code>
                {!e.typeKnown && <Chip tone="warn">undocumented</Chip>}
              </span>,
            ],
            e.id !== null && ['Id', <Mono key="i" text={e.id} copy="Copy event id" />],
            ['Created', e.createdAt],
            ['Contact', contact],
            ['Direction', e.direction],
            ['Channel', e.channel],
            ['Template', e.templateName],
            e.messageId !== null && ['Message id', <Mono key="m" text={e.messageId} copy="Copy message id" />],
            e.conversationId !== null && ['Conversation', <Mono key="c" text={e.conversationId} copy="Copy conversation id" />],
          ]}
        />
      </Section>
      <FieldsSection fields={e.fields} title="Fields" />
    </>
  );
}

function FieldsSection({ fields, title }: { fields: DecodedField[]; title: string }) {
  if (fields.length === 0) return null;
  return (
    <Section title={title} aside={<span className="muted ov-aside">{fields.length === 1 ? '1 field' : `${fields.length} fields`}, as sent</span>}>
      <table className="headers-table fields-table" data-testid="decoded-fields">
        <tbody>
          {fields.map((f, i) => (
            <tr key={i}>
              <td className="h-name">{f.path}</td>
              <td className="h-value">{f.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
