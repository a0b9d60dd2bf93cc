import { useState } from 'react';

import {
  ApiError,
  type EndpointSettings,
  type ProviderId,
  type ReplayResult,
  type SampleInfo,
  listEndpointSettings,
  listSamples,
  sendSample,
} from '../../api';
import { Modal } from '../../components/Modal';
import { PROVIDERS, PROVIDER_NAMES } from '../../format/provider';
import { useAsync } from '../../state/useAsync';
import { Outcome } from './Outcome';
import './replay.css';

const DEFAULT_URL = 'http://localhost:3000/webhooks';

/** Sends a provider's ready-made delivery of one documented event, signed with an endpoint's secret. */
export function SampleDialog({ onClose }: { onClose: () => void }) {
  const samples = useAsync(() => listSamples(), []);
  const endpoints = useAsync(() => listEndpointSettings(), []);
  const [provider, setProvider] = useState<ProviderId>('fleiko');
  const [event, setEvent] = useState('');
  const [url, setUrl] = useState(DEFAULT_URL);
  const [endpointId, setEndpointId] = useState<number | null>(null);
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<ReplayResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const events: SampleInfo[] = samples.status === 'ok' ? samples.value.filter((s) => s.provider === provider) : [];
  const chosen = events.find((s) => s.event === event) ?? events[0];
  const signers: EndpointSettings[] =
    endpoints.status === 'ok' ? endpoints.value.filter((e) => e.provider === provider && e.secretLabels.length > 0) : [];
  const signer = signers.find((e) => e.id === endpointId) ?? signers[0];

  const send = async () => {
    if (!chosen || sending) return;
    setSending(true);
    setFailure(null);
    try {
      setResult(await sendSample({ provider, event: chosen.event, url: url.trim(), endpointId: signer?.id ?? null }));
    } catch (err) {
      setFailure(ApiError.from(err).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <Modal
      title="Send sample"
      subtitle="a signed delivery of a documented event"
      className="sample-dialog"
      testId="sample-dialog"
      closeTestId="sample-close"
      onClose={onClose}
      footer={
        <>
          <span className="spacer" />
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn btn-primary" data-testid="sample-send" disabled={!chosen || sending} onClick={() => void send()}>
            {sending ? 'Sending…' : 'Send'}
          </button>
        </>
      }
    >
          <label>
            Provider
            <select
              data-testid="sample-provider"
              value={provider}
              onChange={(e) => {
                setProvider(e.target.value as ProviderId);
                setEvent('');
                setEndpointId(null);
              }}
            >
              {PROVIDERS.map((p) => (
                <option key={p} value={p}>
                  {PROVIDER_NAMES[p]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Event
            <select data-testid="sample-event" value={chosen?.event ?? ''} onChange={(e) => setEvent(e.target.value)}>
              {events.map((s) => (
                <option key={s.event} value={s.event}>
                  {s.event}
                </option>
              ))}
            </select>
            {chosen && <span className="muted">{chosen.description}</span>}
          </label>
          <label>
            Target URL
            <input data-testid="sample-url" value={url} onChange={(e) => setUrl(e.target.value)} spellCheck={false} />
          </label>
          <label>
            Signed with the secret of
            <select
              data-testid="sample-endpoint"
              value={signer?.id ?? ''}
              disabled={signers.length === 0}
              onChange={(e) => setEndpointId(Number(e.target.value))}
            >
              {signers.length === 0 && <option value="">no {PROVIDER_NAMES[provider]} endpoint has a secret: sent unsigned</option>}
              {signers.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name} ({e.pathPrefix}), current secret
                </option>
              ))}
            </select>
          </label>
          {failure !== null && (
            <p className="replay-error" role="alert" data-testid="sample-failure">
              {failure}
            </p>
          )}
          {result && <Outcome record={result.record} notes={result.notes} />}
    </Modal>
  );
}
