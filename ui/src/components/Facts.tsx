import type { ReactNode } from 'react';

import { InfoIcon } from './icons';

export type Fact = [label: string, value: ReactNode];

/** A label/value grid; facts whose value is null, undefined or '' are left out. */
export function Facts({ items, className }: { items: ReadonlyArray<Fact | null | false>; className?: string }) {
  const shown = items.filter((f): f is Fact => !!f && f[1] !== null && f[1] !== undefined && f[1] !== '');
  if (shown.length === 0) return null;
  return (
    <dl className={`facts ${className ?? ''}`}>
      {shown.map(([label, value]) => (
        <div className="fact" key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Callout({ tone, children, testId }: { tone: 'info' | 'warn' | 'err' | 'ok'; children: ReactNode; testId?: string }) {
  return (
    <div className={`callout callout-${tone}`} role="note" data-testid={testId}>
      <InfoIcon className="callout-icon" />
      <div className="callout-body">{children}</div>
    </div>
  );
}

export function Section({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <section className="ov-section">
      <header className="ov-section-head">
        <h3>{title}</h3>
        {aside}
      </header>
      {children}
    </section>
  );
}
