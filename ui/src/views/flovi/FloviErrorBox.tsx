import type { ReactNode } from 'react';

import { AlertIcon, CloseIcon } from '../../components/icons';
import type { Explanation } from '../../format/flovi';

/**
 * A failed Flovi call: the headline for its code, then Flovi's message (or the transport error)
 * verbatim as text, then what to do about it.
 */
export function FloviErrorBox({
  error,
  source,
  onDismiss,
  children,
}: {
  error: Explanation;
  /** Which action failed: `offices`, `schedule`, `rerun`. */
  source: string;
  onDismiss?: () => void;
  children?: ReactNode;
}) {
  return (
    <div className="flovi-error" role="alert" data-testid="flovi-error" data-source={source} data-status={error.status ?? undefined}>
      <AlertIcon className="flovi-error-icon" />
      <div className="flovi-error-body">
        <div className="flovi-error-title">{error.title}</div>
        {error.detail &&
          (error.status !== null ? (
            <div className="flovi-error-detail">
              <span className="muted">Flovi said:</span> <q className="flovi-error-quote">{error.detail}</q>
            </div>
          ) : (
            <div className="flovi-error-transport">{error.detail}</div>
          ))}
        {error.hint && <div className="flovi-error-hint">{error.hint}</div>}
        {children}
      </div>
      {onDismiss && (
        <button type="button" className="icon-btn" aria-label="Dismiss" title="Dismiss" onClick={onDismiss}>
          <CloseIcon />
        </button>
      )}
    </div>
  );
}

/** A titled card in the Flovi panel. */
export function Card({
  title,
  icon,
  aside,
  children,
  testId,
  className,
}: {
  title: string;
  icon?: ReactNode;
  aside?: ReactNode;
  children: ReactNode;
  testId?: string;
  className?: string;
}) {
  return (
    <section className={`flovi-card ${className ?? ''}`} data-testid={testId} aria-label={title}>
      <header className="flovi-card-head">
        {icon && <span className="flovi-card-icon">{icon}</span>}
        <h2>{title}</h2>
        {aside && <div className="flovi-card-aside">{aside}</div>}
      </header>
      {children}
    </section>
  );
}
