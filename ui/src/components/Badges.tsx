import type { DeliverySummary } from '../api';
import { methodTone, statusTone } from '../format/http';

export function MethodBadge({ method }: { method: string }) {
  return <span className={`method method-${methodTone(method)}`}>{method}</span>;
}

export function StatusBadge({ status }: { status: number | null }) {
  return (
    <span className={`status status-${statusTone(status)}`} title={status === null ? 'No response recorded' : undefined}>
      {status ?? '—'}
    </span>
  );
}

/** Endpoint name, or the detected provider, or "other" for unmatched paths. */
export function EndpointBadge({ delivery }: { delivery: Pick<DeliverySummary, 'endpoint' | 'provider'> }) {
  const label = delivery.endpoint ?? delivery.provider ?? 'other';
  const tone = providerTone(delivery.provider ?? delivery.endpoint);
  return <span className={`ep-badge ep-${tone}`}>{label}</span>;
}

const PROVIDER_TONES = new Set(['flovi', 'flowella', 'fleiko']);

export function providerTone(provider: string | null): string {
  const p = (provider ?? '').toLowerCase();
  return PROVIDER_TONES.has(p) ? p : 'none';
}

export function RefusedBadge() {
  return (
    <span className="refused-badge" title="Body exceeded the size limit and was not stored">
      body refused
    </span>
  );
}
