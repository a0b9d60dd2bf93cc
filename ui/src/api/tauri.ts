import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

import { commandBackend } from './commands';
import type { Backend, DeliverySummary, StoreChange, TunnelStatus } from './types';
import { ApiError } from './types';

/** Binary command responses arrive as ArrayBuffer; a Vec<u8> serialised as JSON arrives as number[]. */
export function toBytes(raw: unknown): Uint8Array {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (Array.isArray(raw)) return Uint8Array.from(raw as number[]);
  throw new Error('Unexpected body payload from get_delivery_body');
}

export const tauriBackend: Backend = {
  kind: 'tauri',
  ...commandBackend({
    invoke: (command, args) => invoke(command, args),
    invokeBytes: async (command, args) => toBytes(await invoke<unknown>(command, args)),
  }),
  onDeliveries: async (handler) => {
    const unlisten = await listen<DeliverySummary[]>('deliveries:batch', (event) => handler(event.payload));
    return unlisten;
  },
  onResync: async (handler) => {
    const unlisten = await listen<null>('deliveries:resync', () => handler());
    return unlisten;
  },
  onStoreChanged: async (handler) => {
    const unlisten = await listen<StoreChange>('store:changed', (event) => handler(event.payload));
    return unlisten;
  },
  onTunnelStatus: async (handler) => {
    const unlisten = await listen<TunnelStatus>('tunnel:status', (event) => handler(event.payload));
    return unlisten;
  },
  // The window names a path instead: the shell reads the file itself.
  importHar: () => Promise.reject(new ApiError('unavailable', 'The desktop app imports a HAR file by its path.')),
  // The window talks to its own process: there is no token to lose.
  onAccessProblem: () => Promise.resolve(() => undefined),
};
