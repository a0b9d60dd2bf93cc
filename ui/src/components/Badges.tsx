import type { DeliverySummary, SignatureStatus } from '../api';
import { methodTone, statusTone } from '../format/http';
import { providerName } from '../format/provider';
import { SIGNATURE_GLYPH } from '../format/signature';

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

/**
 * The row's signature verdict. The tooltip is the backend's explanation, set as a plain `title`
 * attribute (text, never markup).
 */
export function SignatureBadge({
  status,
  explanation,
  testId = 'signature-badge',
}: {
  status: SignatureStatus | null;
  explanation: string | null;
  /** Rows carry `signature-badge`; elsewhere pass null so tests counting rows stay exact. */
  testId?: string | null;
}) {
  const title = explanation ?? (status === null ? 'No provider detected: nothing to verify' : `Signature ${status}`);
  return (
    <span
      className={`sig-badge sig-${status ?? 'none'}`}
      data-testid={testId ?? undefined}
      data-status={status ?? 'none'}
      title={title}
      aria-label={status === null ? 'no signature check' : `signature ${status}`}
    >
      {status === null ? '' : SIGNATURE_GLYPH[status]}
    </span>
  );
}

/** The provider that sent a delivery (by endpoint or detection), else the endpoint, else "other". */
export function ProviderBadge({ delivery }: { delivery: Pick<DeliverySummary, 'endpoint' | 'provider'> }) {
  const name = providerName(delivery.provider);
  const label = name ?? delivery.endpoint ?? 'other';
  const title = [
    name ? `Provider: ${name}` : 'No provider detected',
    delivery.endpoint ? `endpoint: ${delivery.endpoint}` : 'no endpoint matched',
  ].join(' · ');
  return (
    <span className={`ep-badge ep-${providerTone(delivery.provider)}`} title={title}>
      {label}
    </span>
  );
}

export function Marker({ tone, title, children }: { tone: 'dup' | 'attempt' | 'tunnel'; title: string; children: string }) {
  return (
    <span className={`marker marker-${tone}`} title={title}>
      {children}
    </span>
  );
}
