import type { DeliverySummary, SignatureStatus, Verification } from '../api';
import { CopyButton } from '../components/CopyButton';
import { Callout, Facts } from '../components/Facts';
import { KeyIcon } from '../components/icons';
import { formatSpan } from '../format/attempts';
import { providerName } from '../format/provider';
import { SIGNATURE_GLYPH, SIGNATURE_HEADLINE, describeReason, isRotationMatch } from '../format/signature';
import { formatDateTime } from '../format/time';

interface Props {
  status: SignatureStatus;
  detail: Verification | null;
  delivery: DeliverySummary;
  /** Opens the endpoint's settings (or a new endpoint for an unrouted delivery). */
  onEditSecrets: () => void;
}

/** The verdict, why, and what to do about it. */
export function SignaturePanel({ status, detail, delivery, onEditSecrets }: Props) {
  const provider = providerName(delivery.provider);
  const reason = detail?.reason ? describeReason(detail.reason) : null;
  const signedAt = detail?.signedAt ?? null;
  const skewMs = signedAt === null ? null : delivery.receivedAt - signedAt * 1000;
  const rotation = status === 'valid' && detail !== null && isRotationMatch(detail.matchedSecret);
  // The rotation callout says what the backend's rotation note says; list the other notes only.
  const notes = (detail?.notes ?? []).filter((n) => !(rotation && n.startsWith(`Matched the ${detail?.matchedSecret} secret`)));

  return (
    <div className="pane-scroll" data-testid="signature-pane">
      <div className="sig-view">
        <div className={`sig-hero sig-hero-${status}`}>
          <span className="sig-hero-icon" aria-hidden>
            {SIGNATURE_GLYPH[status]}
          </span>
          <div className="sig-hero-text">
            <div className="sig-headline">
              <span>{SIGNATURE_HEADLINE[status]}</span>
              <span className={`sig-word sig-word-${status}`} data-testid="signature-status">
                {status}
              </span>
            </div>
            <p className="sig-explanation" data-testid="signature-explanation">
              {detail?.explanation ?? 'No explanation was recorded for this delivery.'}
            </p>
          </div>
        </div>

        {reason && (
          <div className="sig-reason" data-testid="signature-reason">
            <span className="sig-reason-title">{reason.title}</span>
            <span className="sig-reason-detail">{reason.detail}</span>
          </div>
        )}

        {rotation && (
          <Callout tone="warn" testId="rotation-hint">
            <span className="callout-row">
              <span>
                Matched the <strong>{detail?.matchedSecret}</strong> secret: {provider ?? 'the provider'} still signs with
                the old one. Finish the rotation there, then remove the old secret from this endpoint.
              </span>
              <button type="button" className="btn btn-sm" onClick={onEditSecrets}>
                <KeyIcon />
                Manage secrets
              </button>
            </span>
          </Callout>
        )}

        {(status === 'unchecked' || detail?.reason?.kind === 'wrongSecret') && (
          <div className="sig-action">
            <p>
              {status === 'unchecked'
                ? `Add this endpoint's ${provider ? `${provider} ` : ''}signing secret to verify this delivery and every stored one.`
                : 'Check the secret against the one in the provider’s settings; rotating adds the new one without losing the old.'}
            </p>
            <button type="button" className="btn btn-primary" data-testid="add-secret-from-signature" onClick={onEditSecrets}>
              <KeyIcon />
              {status === 'unchecked' ? 'Add a secret' : 'Edit secrets'}
            </button>
          </div>
        )}

        {detail && (
          <Facts
            className="sig-facts"
            items={[
              ['Provider', provider],
              ['Header', detail.header !== null ? <code key="h">{detail.header}</code> : null],
              [
                'Secret matched',
                detail.matchedSecret !== null ? (
                  <span key="s" className={`chip ${isRotationMatch(detail.matchedSecret) ? 'chip-warn' : 'chip-ok'}`}>
                    {detail.matchedSecret}
                  </span>
                ) : null,
              ],
              signedAt !== null && [
                'Signed at',
                <span key="t">
                  {formatDateTime(signedAt * 1000)}{' '}
                  <span className="muted">
                    (t={signedAt}
                    {skewMs !== null && Math.abs(skewMs) >= 1000
                      ? `, ${formatSpan(skewMs)} ${skewMs > 0 ? 'before arrival' : 'after arrival'}`
                      : ''}
                    )
                  </span>
                </span>,
              ],
            ]}
          />
        )}

        {detail?.matchedSignature != null && (
          <div className="sig-value">
            <div className="sig-value-label">
              {status === 'valid' ? 'Matched signature' : 'Signature the reason was found for'}
            </div>
            <div className="sig-value-box">
              <code data-testid="matched-signature">{detail.matchedSignature}</code>
              <CopyButton text={detail.matchedSignature} label="Copy" title="Copy signature" />
            </div>
          </div>
        )}

        {notes.length > 0 && (
          <div className="sig-notes">
            <div className="sig-value-label">Notes</div>
            <ul>
              {notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </div>
  );
}
