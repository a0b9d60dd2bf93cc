import { useEffect, useMemo, useState } from 'react';

import type { FloviOffice, ScheduleRequest } from '../../api';
import { copyText } from '../../components/clipboard';
import { CopyButton } from '../../components/CopyButton';
import { Callout } from '../../components/Facts';
import { ArrowRightIcon, CheckIcon, ExternalIcon, LinkIcon } from '../../components/icons';
import {
  type Bounds,
  type Timeline,
  computeTimeline,
  formatLocal,
  formatShortLocal,
  formatSpan,
  formatUtc,
  parseBounds,
  parseInstant,
  utcOffsetLabel,
} from '../../format/flovi';
import { formatTime } from '../../format/time';
import { placeLabel, reservationLabel } from '../../state/floviForm';
import type { CreatedSchedule } from '../FloviPanel';
import { Card } from './FloviErrorBox';

function placeText(request: ScheduleRequest, end: 'origin' | 'destination', offices: FloviOffice[] | null): string {
  const officeId = request[`${end}OfficeId`];
  if (officeId !== null) {
    const name = offices?.find((o) => o.id === officeId)?.name;
    return name ? `${name} (${officeId})` : `Office ${officeId}`;
  }
  return request[`${end}Address`] ?? placeLabel(request[`${end}Type`]);
}

export function ScheduleResultCard({ created, offices }: { created: CreatedSchedule; offices: FloviOffice[] | null }) {
  const { result, request } = created;
  const parsed = useMemo(() => parseBounds(result), [result]);
  const requested = parseInstant(request.depart);
  const timeline = useMemo(() => (parsed.ok ? computeTimeline(parsed.bounds, requested) : null), [parsed, requested]);

  return (
    <Card
      title="Schedule created"
      icon={<CheckIcon />}
      testId="flovi-result"
      className="result-card"
      aside={<span className="muted">at {formatTime(created.at).slice(0, 8)}</span>}
    >
      <div className="result-summary">
        <span className="chip chip-accent">{reservationLabel(request.reservationType)}</span>
        <span className="result-route">
          <span>{placeText(request, 'origin', offices)}</span>
          <ArrowRightIcon />
          <span>{placeText(request, 'destination', offices)}</span>
        </span>
        {request.testPlates && <span className="chip chip-warn">test plates +2 h</span>}
      </div>

      <div className="result-id">
        <span className="result-label">Schedule id</span>
        <code data-testid="flovi-schedule-id">{result.scheduleId}</code>
        <CopyButton text={result.scheduleId} title="Copy schedule id" />
      </div>

      {parsed.ok && timeline ? (
        <>
          <TimelineView timeline={timeline} />
          {timeline.warnings.map((w) => (
            <Callout key={w} tone="warn">
              {w}
            </Callout>
          ))}
          <BoundsTable bounds={parsed.bounds} />
        </>
      ) : (
        <Callout tone="err">
          Flovi’s bounds could not be read as timestamps ({parsed.ok ? '' : parsed.bad.join(', ')}):{' '}
          <code>{[result.departAtEarliest, result.departAtLatest, result.arriveAtEarliest, result.arriveAtLatest].join(' · ')}</code>
        </Callout>
      )}

      <CompletionLink link={result.completionLink} />
    </Card>
  );
}

function TimelineView({ timeline }: { timeline: Timeline }) {
  const showUtc = timeline.ticks.some((t) => new Date(t.at).getTimezoneOffset() !== 0);
  const rows = [
    { bar: timeline.depart, label: 'Depart' },
    { bar: timeline.arrive, label: 'Arrive' },
  ];
  const utcClock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return (
    <div className="sched-tl" data-testid="flovi-timeline">
      {rows.map(({ bar, label }) => (
        <div className="sched-tl-row" key={bar.key}>
          <span className="sched-tl-label">{label}</span>
          <div className="sched-tl-track">
            {timeline.ticks.map((t) => (
              <span key={t.at} className={`sched-tl-grid ${t.day ? 'day' : ''}`} style={{ left: `${t.left}%` }} />
            ))}
            <div
              className={`sched-tl-bar ${bar.key}`}
              style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
              title={`${label} window: ${formatLocal(bar.from)} – ${formatLocal(bar.to)}`}
            >
              {bar.width > 14 && (
                <span className="sched-tl-span">
                  {bar.width > 42 && `${formatShortLocal(bar.from)} → ${formatShortLocal(bar.to)} · `}
                  {formatSpan(bar.to - bar.from)}
                </span>
              )}
            </div>
            {bar.key === 'depart' && timeline.requested && (
              <span className="sched-tl-req" style={{ left: `${timeline.requested.left}%` }} title="Requested depart time" />
            )}
          </div>
        </div>
      ))}
      <div className="sched-tl-row axis">
        <span className="sched-tl-label">
          <span className="axis-zone">{utcOffsetLabel(timeline.start)}</span>
          {showUtc && <span className="axis-zone utc">UTC</span>}
        </span>
        <div className="sched-tl-axis">
          {timeline.ticks.map((t) => (
            <span
              key={t.at}
              className={`sched-tl-tick ${t.day ? 'day' : ''} ${t.left < 6 ? 'at-start' : t.left > 94 ? 'at-end' : ''}`}
              style={{ left: `${t.left}%` }}
            >
              <span className="tick-local">{t.label}</span>
              {showUtc && <span className="tick-utc">{utcClock(t.at)}</span>}
            </span>
          ))}
        </div>
      </div>
      {timeline.requested && (
        <div className="sched-tl-legend">
          <span className="legend-req" aria-hidden /> requested depart time
        </div>
      )}
    </div>
  );
}

function BoundsTable({ bounds }: { bounds: Bounds }) {
  const rows: Array<[string, number, 'depart' | 'arrive']> = [
    ['Depart earliest', bounds.departEarliest, 'depart'],
    ['Depart latest', bounds.departLatest, 'depart'],
    ['Arrive earliest', bounds.arriveEarliest, 'arrive'],
    ['Arrive latest', bounds.arriveLatest, 'arrive'],
  ];
  return (
    <div className="bounds">
      <table className="data-table bounds-table">
        <thead>
          <tr>
            <th>Bound</th>
            <th>Local</th>
            <th>UTC</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, ms, key]) => (
            <tr key={label} data-testid="flovi-bound" data-bound={label}>
              <td>
                <span className={`bound-swatch ${key}`} aria-hidden />
                {label}
              </td>
              <td>
                {formatLocal(ms)} <span className="muted">{utcOffsetLabel(ms)}</span>
              </td>
              <td className="mono">{formatUtc(ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="bounds-summary">
        Depart window {formatSpan(bounds.departLatest - bounds.departEarliest)} · arrive window{' '}
        {formatSpan(bounds.arriveLatest - bounds.arriveEarliest)} · earliest arrival{' '}
        {formatSpan(bounds.arriveEarliest - bounds.departEarliest)} after earliest departure
      </p>
    </div>
  );
}

/**
 * The link the user completes the reservation with. Shown as text, never as a clickable anchor:
 * the app has no opener, so "Open" copies it for the browser.
 */
function CompletionLink({ link }: { link: string }) {
  const [note, setNote] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (note === null) return;
    const t = window.setTimeout(() => setNote(null), 4000);
    return () => window.clearTimeout(t);
  }, [note]);

  const open = () => {
    copyText(link).then(
      () => setNote('copied'),
      () => setNote('failed'),
    );
  };

  return (
    <div className="completion">
      <div className="result-label">Completion link</div>
      <div className="completion-box">
        <LinkIcon />
        <code data-testid="flovi-completion-link">{link}</code>
        <CopyButton text={link} label="Copy" title="Copy the completion link" testId="flovi-copy-link" />
        <button type="button" className="btn btn-sm" data-testid="flovi-open-link" onClick={open} title="Copy the link to open it in your browser">
          <ExternalIcon />
          Open
        </button>
      </div>
      {note ? (
        <span className={`flovi-note ${note === 'copied' ? 'ok' : 'err'}`} role="status" data-testid="flovi-open-note">
          {note === 'copied' ? 'Copied — open it in your browser' : 'Could not copy: select the link and copy it by hand'}
        </span>
      ) : (
        <span className="field-hint">
          Send it to your user: they complete the reservation on Flovi’s form, then Flovi calls your webhook
          (reservation_status_change).
        </span>
      )}
    </div>
  );
}
