import type {
  Backend,
  CheckComparison,
  DeliveryDetail,
  DeliveryGroup,
  DeliveryLab,
  DeliveryResponses,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  EndpointLab,
  EndpointSettings,
  FieldError,
  FloviCall,
  FloviOffice,
  FloviSettings,
  HandlerCheckReport,
  ImportReport,
  KeySource,
  OutboundBodies,
  OutboundRecord,
  ReplayDraft,
  ReplayResult,
  RequestDiff,
  ReverifyResult,
  RunSummary,
  SampleInfo,
  ScheduleResult,
  ServerInfo,
  TunnelSettings,
  TunnelStatus,
} from './types';

/** How one backend reaches the shell's commands: Tauri IPC, or HTTP to `hookscope-cli serve --ui`. */
export interface Transport {
  /** Runs the command named like the Tauri command with the same argument keys; resolves with its JSON. */
  invoke: <T>(command: string, args?: Record<string, unknown>) => Promise<T>;
  /** A command that answers with raw bytes. */
  invokeBytes: (command: string, args: Record<string, unknown>) => Promise<Uint8Array>;
}

/** The parts of a Backend each transport provides its own way. */
type TransportSpecific =
  | 'kind'
  | 'onDeliveries'
  | 'onResync'
  | 'onStoreChanged'
  | 'onTunnelStatus'
  | 'importHar'
  | 'onAccessProblem';

export type CommandBackend = Omit<Backend, TransportSpecific>;

/** Every command with its name and argument keys, written once for both transports. */
export function commandBackend({ invoke, invokeBytes }: Transport): CommandBackend {
  return {
    getServerInfo: () => invoke<ServerInfo>('get_server_info'),
    listEndpoints: () => invoke<Endpoint[]>('list_endpoints'),
    listEndpointCounts: () => invoke<EndpointCount[]>('list_endpoint_counts'),
    listDeliveries: (query) => invoke<DeliverySummary[]>('list_deliveries', { query }),
    listEventTypes: () => invoke<string[]>('list_event_types'),
    getDelivery: (id) => invoke<DeliveryDetail>('get_delivery', { id }),
    getDeliveryBody: (id) => invokeBytes('get_delivery_body', { id }),
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
    compareHandlerCheckRuns: (before, after) =>
      invoke<CheckComparison[]>('compare_handler_check_runs', { before, after }),
    getTunnelStatus: () => invoke<TunnelStatus>('get_tunnel_status'),
    getTunnelSettings: () => invoke<TunnelSettings>('get_tunnel_settings'),
    saveTunnelSettings: (input) => invoke<TunnelSettings>('save_tunnel_settings', { input }),
    startTunnel: (kind) => invoke<TunnelStatus>('start_tunnel', { kind }),
    stopTunnel: () => invoke<TunnelStatus>('stop_tunnel'),
    getEndpointLab: (id) => invoke<EndpointLab>('get_endpoint_lab', { id }),
    setEndpointResponse: (id, rule) => invoke<EndpointLab>('set_endpoint_response', { id, rule }),
    setEndpointForward: (id, forward) => invoke<EndpointLab>('set_endpoint_forward', { id, forward }),
    getDeliveryLab: (id) => invoke<DeliveryLab>('get_delivery_lab', { id }),
    exportDeliveries: (ids, format) => invoke<string>('export_deliveries', { ids, format }),
    exportDeliveriesToFile: (ids, format, path) => invoke<number>('export_deliveries_to_file', { ids, format, path }),
    importHarFile: (path) => invoke<ImportReport>('import_har_file', { path }),
  };
}
