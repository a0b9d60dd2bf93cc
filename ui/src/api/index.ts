// The only module views and state import to reach the backend.
import { tauriBackend } from './tauri';
import { ApiError } from './types';
import type {
  Backend,
  DeliveryDetail,
  DeliveryQuery,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  ServerInfo,
  Unsubscribe,
} from './types';

export { ApiError };
export type { DeliveryDetail, DeliveryQuery, DeliverySummary, Endpoint, EndpointCount, ServerInfo, Unsubscribe };

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

export function isTauri(): boolean {
  return typeof window !== 'undefined' && window.__TAURI_INTERNALS__ !== undefined;
}

let backendPromise: Promise<Backend> | null = null;

function backend(): Promise<Backend> {
  if (!backendPromise) {
    // The demo module is only ever loaded in a plain browser, never inside Tauri.
    backendPromise = isTauri()
      ? Promise.resolve(tauriBackend)
      : import('./demo').then((m) => m.createDemoBackend(window.location.search));
  }
  return backendPromise;
}

async function call<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
  try {
    return await fn(await backend());
  } catch (err) {
    throw ApiError.from(err);
  }
}

export const getServerInfo = (): Promise<ServerInfo> => call((b) => b.getServerInfo());
export const listEndpoints = (): Promise<Endpoint[]> => call((b) => b.listEndpoints());
export const listEndpointCounts = (): Promise<EndpointCount[]> => call((b) => b.listEndpointCounts());
export const listDeliveries = (query: DeliveryQuery): Promise<DeliverySummary[]> =>
  call((b) => b.listDeliveries(query));
export const getDelivery = (id: number): Promise<DeliveryDetail> => call((b) => b.getDelivery(id));
export const getDeliveryBody = (id: number): Promise<Uint8Array> => call((b) => b.getDeliveryBody(id));

/** Subscribe to live deliveries (oldest first per batch). Returns a synchronous unsubscribe. */
export function subscribeDeliveries(handler: (batch: DeliverySummary[]) => void): Unsubscribe {
  let unsubscribe: Unsubscribe | null = null;
  let cancelled = false;
  void call((b) => b.onDeliveries(handler)).then(
    (un) => {
      if (cancelled) un();
      else unsubscribe = un;
    },
    (err: unknown) => console.error('deliveries:batch subscription failed', err),
  );
  return () => {
    cancelled = true;
    unsubscribe?.();
  };
}

export async function backendKind(): Promise<Backend['kind']> {
  return (await backend()).kind;
}
