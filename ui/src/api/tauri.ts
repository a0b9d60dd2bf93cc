import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

import type {
  Backend,
  DeliveryDetail,
  DeliveryGroup,
  DeliveryResponses,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  EndpointSettings,
  FieldError,
  FloviCall,
  FloviOffice,
  FloviSettings,
  KeySource,
  ReverifyResult,
  ScheduleResult,
  ServerInfo,
  StoreChange,
  TunnelSettings,
  TunnelStatus,
} from './types';
import type { OutboundBodies, OutboundRecord, ReplayDraft, ReplayResult, RequestDiff, SampleInfo } from './types';
import type { CheckComparison, HandlerCheckReport, RunSummary } from './types';

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
  listEventTypes: () => invoke<string[]>('list_event_types'),
  getDelivery: (id) => invoke<DeliveryDetail>('get_delivery', { id }),
  getDeliveryBody: async (id) => toBytes(await invoke<unknown>('get_delivery_body', { id })),
  getDeliveryResponses: (id) => invoke<DeliveryResponses>('get_delivery_responses', { id }),
  getDeliveryGroup: (id) => invoke<DeliveryGroup>('get_delivery_group', { id }),
  listEndpointSettings: () => invoke<EndpointSettings[]>('list_endpoint_settings'),
  saveEndpoint: (endpoint) => invoke<EndpointSettings>('save_endpoint', { endpoint }),
  deleteEndpoint: async (id) => {
    await invoke<null>('delete_endpoint', { id });
  },
  setEndpointSecrets: (id, secrets) => invoke<ReverifyResult>('set_endpoint_secrets', { id, secrets }),
  revealEndpointSecret: (id, index) => invoke<string>('reveal_endpoint_secret', { id, index }),
  getSecretStorage: () => invoke<KeySource>('get_secret_storage'),
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
  getFloviSettings: () => invoke<FloviSettings>('get_flovi_settings'),
  setFloviBaseUrl: (baseUrl) => invoke<FloviSettings>('set_flovi_base_url', { baseUrl }),
  setFloviApiKey: (key) => invoke<FloviSettings>('set_flovi_api_key', { key }),
  listFloviOffices: () => invoke<FloviOffice[]>('list_flovi_offices'),
  validateFloviSchedule: (request) => invoke<FieldError[]>('validate_flovi_schedule', { request }),
  createFloviSchedule: (request) => invoke<ScheduleResult>('create_flovi_schedule', { request }),
  listFloviCalls: () => invoke<FloviCall[]>('list_flovi_calls'),
  rerunFloviCall: (id) => invoke<FloviCall>('rerun_flovi_call', { id }),
  getReplayDraft: (id) => invoke<ReplayDraft>('get_replay_draft', { id }),
  replayDelivery: (request) => invoke<ReplayResult>('replay_delivery', { request }),
  replayDeliveries: (ids, url, options) => invoke<ReplayResult[]>('replay_deliveries', { ids, url, options }),
  listReplays: (id) => invoke<OutboundRecord[]>('list_replays', { id }),
  getOutboundRecord: (id) => invoke<OutboundRecord>('get_outbound_record', { id }),
  getOutboundBodies: (id) => invoke<OutboundBodies>('get_outbound_bodies', { id }),
  diffDeliveries: (a, b) => invoke<RequestDiff>('diff_deliveries', { a, b }),
  listSamples: () => invoke<SampleInfo[]>('list_samples'),
  sendSample: (request) => invoke<ReplayResult>('send_sample', { request }),
  runHandlerCheck: (input) => invoke<HandlerCheckReport>('run_handler_check', { input }),
  listHandlerCheckRuns: () => invoke<RunSummary[]>('list_handler_check_runs'),
  getHandlerCheckRun: (id) => invoke<HandlerCheckReport>('get_handler_check_run', { id }),
  compareHandlerCheckRuns: (before, after) => invoke<CheckComparison[]>('compare_handler_check_runs', { before, after }),
  getTunnelStatus: () => invoke<TunnelStatus>('get_tunnel_status'),
  getTunnelSettings: () => invoke<TunnelSettings>('get_tunnel_settings'),
  saveTunnelSettings: (input) => invoke<TunnelSettings>('save_tunnel_settings', { input }),
  startTunnel: (kind) => invoke<TunnelStatus>('start_tunnel', { kind }),
  stopTunnel: () => invoke<TunnelStatus>('stop_tunnel'),
  onTunnelStatus: async (handler) => {
    const unlisten = await listen<TunnelStatus>('tunnel:status', (event) => handler(event.payload));
    return unlisten;
  },
};
