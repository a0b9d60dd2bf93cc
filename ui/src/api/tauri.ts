import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

import type { Backend, DeliveryDetail, DeliverySummary, Endpoint, EndpointCount, ServerInfo } from './types';

/** Binary command responses arrive as ArrayBuffer; a Vec<u8> serialised as JSON arrives as number[]. */
export function toBytes(raw: unknown): Uint8Array {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (Array.isArray(raw)) return Uint8Array.from(raw as number[]);
  throw new Error('Unexpected body payload from get_delivery_body');
}

export const tauriBackend: Backend = {
  kind: 'tauri',
  getServerInfo: () => invoke<ServerInfo>('get_server_info'),
  listEndpoints: () => invoke<Endpoint[]>('list_endpoints'),
  listEndpointCounts: () => invoke<EndpointCount[]>('list_endpoint_counts'),
  listDeliveries: (query) => invoke<DeliverySummary[]>('list_deliveries', { query }),
  getDelivery: (id) => invoke<DeliveryDetail>('get_delivery', { id }),
  getDeliveryBody: async (id) => toBytes(await invoke<unknown>('get_delivery_body', { id })),
  onDeliveries: async (handler) => {
    const unlisten = await listen<DeliverySummary[]>('deliveries:batch', (event) => handler(event.payload));
    return unlisten;
  },
};
