// The only module views and state import to reach the backend.
import { backend, call } from './backend';
import { ApiError } from './types';
import type {
  Backend,
  DeliveryDetail,
  DeliveryGroup,
  DeliveryQuery,
  DeliveryResponses,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  EndpointInput,
  EndpointSettings,
  FieldError,
  FloviCall,
  FloviOffice,
  FloviSettings,
  KeySource,
  ReverifyResult,
  ScheduleRequest,
  ScheduleResult,
  SecretSlot,
  ServerInfo,
  StoreChange,
  TunnelKind,
  TunnelSettings,
  TunnelSettingsInput,
  TunnelStatus,
  Unsubscribe,
  DiffSide,
  OutboundBodies,
  OutboundRecord,
  ReplayDraft,
  ReplayOptions,
  ReplayRequest,
  ReplayResult,
  RequestDiff,
  SampleInfo,
  SampleRequest,
  CheckComparison,
  HandlerCheckInput,
  HandlerCheckReport,
  RunSummary,
} from './types';

export { ApiError };
// Every type the backend speaks, for views and state: one list, in types.ts.
export type * from './types';

export const getServerInfo = (): Promise<ServerInfo> => call((b) => b.getServerInfo());
export const listEndpoints = (): Promise<Endpoint[]> => call((b) => b.listEndpoints());
export const listEndpointCounts = (): Promise<EndpointCount[]> => call((b) => b.listEndpointCounts());
export const listDeliveries = (query: DeliveryQuery): Promise<DeliverySummary[]> =>
  call((b) => b.listDeliveries(query));
export const listEventTypes = (): Promise<string[]> => call((b) => b.listEventTypes());
export const getDelivery = (id: number): Promise<DeliveryDetail> => call((b) => b.getDelivery(id));
export const getDeliveryBody = (id: number): Promise<Uint8Array> => call((b) => b.getDeliveryBody(id));
export const getDeliveryResponses = (id: number): Promise<DeliveryResponses> =>
  call((b) => b.getDeliveryResponses(id));
export const getDeliveryGroup = (id: number): Promise<DeliveryGroup> => call((b) => b.getDeliveryGroup(id));

export const listEndpointSettings = (): Promise<EndpointSettings[]> => call((b) => b.listEndpointSettings());
export const saveEndpoint = (endpoint: EndpointInput): Promise<EndpointSettings> =>
  call((b) => b.saveEndpoint(endpoint));
export const deleteEndpoint = (id: number): Promise<void> => call((b) => b.deleteEndpoint(id));
/** Secrets in order of preference: current first, then previous. Never log the argument. */
export const setEndpointSecrets = (id: number, secrets: SecretSlot[]): Promise<ReverifyResult> =>
  call((b) => b.setEndpointSecrets(id, secrets));
/** A stored secret in plain text, for the settings dialog only. Never log the result. */
export const revealEndpointSecret = (id: number, index: number): Promise<string> =>
  call((b) => b.revealEndpointSecret(id, index));
export const getSecretStorage = (): Promise<KeySource> => call((b) => b.getSecretStorage());

// Flovi customer API. The key goes in once and never comes back: settings say only whether one is set.
export const getFloviSettings = (): Promise<FloviSettings> => call((b) => b.getFloviSettings());
export const setFloviBaseUrl = (baseUrl: string): Promise<FloviSettings> => call((b) => b.setFloviBaseUrl(baseUrl));
/** Stores the key (encrypted); an empty string removes it. Never log the argument. */
export const setFloviApiKey = (key: string): Promise<FloviSettings> => call((b) => b.setFloviApiKey(key));
export const listFloviOffices = (): Promise<FloviOffice[]> => call((b) => b.listFloviOffices());
export const validateFloviSchedule = (request: ScheduleRequest): Promise<FieldError[]> =>
  call((b) => b.validateFloviSchedule(request));
export const createFloviSchedule = (request: ScheduleRequest): Promise<ScheduleResult> =>
  call((b) => b.createFloviSchedule(request));
export const listFloviCalls = (): Promise<FloviCall[]> => call((b) => b.listFloviCalls());
export const rerunFloviCall = (id: number): Promise<FloviCall> => call((b) => b.rerunFloviCall(id));

// Replay, samples and diff: requests sent to the user's own targets, recorded.
export const getReplayDraft = (id: number): Promise<ReplayDraft> => call((b) => b.getReplayDraft(id));
export const replayDelivery = (request: ReplayRequest): Promise<ReplayResult> => call((b) => b.replayDelivery(request));
export const replayDeliveries = (ids: number[], url: string, options: ReplayOptions): Promise<ReplayResult[]> =>
  call((b) => b.replayDeliveries(ids, url, options));
export const listReplays = (id: number): Promise<OutboundRecord[]> => call((b) => b.listReplays(id));
export const getOutboundRecord = (id: number): Promise<OutboundRecord> => call((b) => b.getOutboundRecord(id));
export const getOutboundBodies = (id: number): Promise<OutboundBodies> => call((b) => b.getOutboundBodies(id));
export const diffDeliveries = (a: DiffSide, b: DiffSide): Promise<RequestDiff> => call((be) => be.diffDeliveries(a, b));
export const listSamples = (): Promise<SampleInfo[]> => call((b) => b.listSamples());
export const sendSample = (request: SampleRequest): Promise<ReplayResult> => call((b) => b.sendSample(request));
// Handler check: the battery run against the user's own handler. Secrets stay in the backend.
export const runHandlerCheck = (input: HandlerCheckInput): Promise<HandlerCheckReport> =>
  call((b) => b.runHandlerCheck(input));
export const listHandlerCheckRuns = (): Promise<RunSummary[]> => call((b) => b.listHandlerCheckRuns());
export const getHandlerCheckRun = (id: number): Promise<HandlerCheckReport> => call((b) => b.getHandlerCheckRun(id));
export const compareHandlerCheckRuns = (before: number, after: number): Promise<CheckComparison[]> =>
  call((b) => b.compareHandlerCheckRuns(before, after));
// The public tunnel. Secrets go in once and never come back.
export const getTunnelStatus = (): Promise<TunnelStatus> => call((b) => b.getTunnelStatus());
export const getTunnelSettings = (): Promise<TunnelSettings> => call((b) => b.getTunnelSettings());
/** Never log the argument: it may carry the ngrok authtoken or the bore secret. */
export const saveTunnelSettings = (input: TunnelSettingsInput): Promise<TunnelSettings> =>
  call((b) => b.saveTunnelSettings(input));
export const startTunnel = (kind: TunnelKind): Promise<TunnelStatus> => call((b) => b.startTunnel(kind));
export const stopTunnel = (): Promise<TunnelStatus> => call((b) => b.stopTunnel());

function subscribe(
  what: string,
  attach: (b: Backend) => Promise<Unsubscribe>,
): Unsubscribe {
  let unsubscribe: Unsubscribe | null = null;
  let cancelled = false;
  void call(attach).then(
    (un) => {
      if (cancelled) un();
      else unsubscribe = un;
    },
    (err: unknown) => console.error(`${what} subscription failed`, err),
  );
  return () => {
    cancelled = true;
    unsubscribe?.();
  };
}

/** Subscribe to live deliveries (oldest first per batch). Returns a synchronous unsubscribe. */
export function subscribeDeliveries(handler: (batch: DeliverySummary[]) => void): Unsubscribe {
  return subscribe('deliveries:batch', (b) => b.onDeliveries(handler));
}

/** Subscribe to `deliveries:resync`: stored deliveries changed in place. */
export function subscribeResync(handler: () => void): Unsubscribe {
  return subscribe('deliveries:resync', (b) => b.onResync(handler));
}

/** Subscribe to `store:changed`: endpoints or stored deliveries changed, by anyone. */
export function subscribeStoreChanged(handler: (change: StoreChange) => void): Unsubscribe {
  return subscribe('store:changed', (b) => b.onStoreChanged(handler));
}

/** Subscribe to `tunnel:status`. Returns a synchronous unsubscribe. */
export function subscribeTunnelStatus(handler: (status: TunnelStatus) => void): Unsubscribe {
  return subscribe('tunnel:status', (b) => b.onTunnelStatus(handler));
}

/** Subscribe to the page losing its access (browser only): one line to show the user. */
export function subscribeAccessProblem(handler: (message: string) => void): Unsubscribe {
  return subscribe('access', (b) => b.onAccessProblem(handler));
}

/** `http` in a browser: the page downloads and uploads files where the desktop names paths. */
export function backendKind(): Backend['kind'] {
  return backend().kind;
}
