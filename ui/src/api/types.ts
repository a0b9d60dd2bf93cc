import type { DeliveryDetail } from '../bindings/DeliveryDetail';
import type { DeliveryQuery } from '../bindings/DeliveryQuery';
import type { DeliverySummary } from '../bindings/DeliverySummary';
import type { Endpoint } from '../bindings/Endpoint';
import type { EndpointCount } from '../bindings/EndpointCount';
import type { ServerInfo } from '../bindings/ServerInfo';

export type { DeliveryDetail, DeliveryQuery, DeliverySummary, Endpoint, EndpointCount, ServerInfo };

export type Unsubscribe = () => void;

/** Everything the UI may ask of the backend. Implemented by Tauri, or by the demo outside Tauri. */
export interface Backend {
  readonly kind: 'tauri' | 'demo';
  getServerInfo(): Promise<ServerInfo>;
  listEndpoints(): Promise<Endpoint[]>;
  listEndpointCounts(): Promise<EndpointCount[]>;
  listDeliveries(query: DeliveryQuery): Promise<DeliverySummary[]>;
  getDelivery(id: number): Promise<DeliveryDetail>;
  getDeliveryBody(id: number): Promise<Uint8Array>;
  /** New deliveries, oldest first. Resolves once the subscription is live. */
  onDeliveries(handler: (batch: DeliverySummary[]) => void): Promise<Unsubscribe>;
}

/** Commands reject with `{ code, message }`; anything else is wrapped so views see one shape. */
export class ApiError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }

  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (typeof err === 'object' && err !== null) {
      const rec = err as Record<string, unknown>;
      if (typeof rec.message === 'string') {
        return new ApiError(typeof rec.code === 'string' ? rec.code : 'error', rec.message);
      }
    }
    if (typeof err === 'string') return new ApiError('error', err);
    return new ApiError('error', 'Unknown error');
  }
}
