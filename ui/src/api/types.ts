import type { AttemptInfo } from '../bindings/AttemptInfo';
import type { Decoded } from '../bindings/Decoded';
import type { DecodedField } from '../bindings/DecodedField';
import type { DecodedView } from '../bindings/DecodedView';
import type { DeliveryDetail } from '../bindings/DeliveryDetail';
import type { DeliveryGroup } from '../bindings/DeliveryGroup';
import type { DeliveryQuery } from '../bindings/DeliveryQuery';
import type { DeliveryResponses } from '../bindings/DeliveryResponses';
import type { DeliverySummary } from '../bindings/DeliverySummary';
import type { Endpoint } from '../bindings/Endpoint';
import type { EndpointCount } from '../bindings/EndpointCount';
import type { EndpointInput } from '../bindings/EndpointInput';
import type { EndpointSettings } from '../bindings/EndpointSettings';
import type { FailureReason } from '../bindings/FailureReason';
import type { FieldError } from '../bindings/FieldError';
import type { FleikoEvent } from '../bindings/FleikoEvent';
import type { FloviCall } from '../bindings/FloviCall';
import type { FloviCancellation } from '../bindings/FloviCancellation';
import type { FloviCostLine } from '../bindings/FloviCostLine';
import type { FloviCosts } from '../bindings/FloviCosts';
import type { FloviDriver } from '../bindings/FloviDriver';
import type { FloviOffice } from '../bindings/FloviOffice';
import type { FloviPlace } from '../bindings/FloviPlace';
import type { FloviReservation } from '../bindings/FloviReservation';
import type { FloviSettings } from '../bindings/FloviSettings';
import type { FloviVehicle } from '../bindings/FloviVehicle';
import type { FlowellaEvent } from '../bindings/FlowellaEvent';
import type { KeySource } from '../bindings/KeySource';
import type { ProviderId } from '../bindings/ProviderId';
import type { RecordedResponse } from '../bindings/RecordedResponse';
import type { ResponseSource } from '../bindings/ResponseSource';
import type { ReverifyResult } from '../bindings/ReverifyResult';
import type { StoreChange } from '../bindings/StoreChange';
import type { ScheduleRequest } from '../bindings/ScheduleRequest';
import type { ScheduleResult } from '../bindings/ScheduleResult';
import type { SecretSlot } from '../bindings/SecretSlot';
import type { ServerInfo } from '../bindings/ServerInfo';
import type { SignatureStatus } from '../bindings/SignatureStatus';
import type { TargetResponse } from '../bindings/TargetResponse';
import type { TunnelKind } from '../bindings/TunnelKind';
import type { TunnelSettings } from '../bindings/TunnelSettings';
import type { TunnelSettingsInput } from '../bindings/TunnelSettingsInput';
import type { TunnelStatus } from '../bindings/TunnelStatus';
import type { Verification } from '../bindings/Verification';
import type { BodyDiff } from '../bindings/BodyDiff';
import type { BodyPreview } from '../bindings/BodyPreview';
import type { Change } from '../bindings/Change';
import type { DiffSide } from '../bindings/DiffSide';
import type { HeaderDiff } from '../bindings/HeaderDiff';
import type { JsonChange } from '../bindings/JsonChange';
import type { LineDiff } from '../bindings/LineDiff';
import type { LineKind } from '../bindings/LineKind';
import type { OutboundBodies } from '../bindings/OutboundBodies';
import type { OutboundKind } from '../bindings/OutboundKind';
import type { OutboundRecord } from '../bindings/OutboundRecord';
import type { ReplayDraft } from '../bindings/ReplayDraft';
import type { ReplayOptions } from '../bindings/ReplayOptions';
import type { ReplayRequest } from '../bindings/ReplayRequest';
import type { ReplayResult } from '../bindings/ReplayResult';
import type { RequestDiff } from '../bindings/RequestDiff';
import type { SampleInfo } from '../bindings/SampleInfo';
import type { SampleRequest } from '../bindings/SampleRequest';
import type { CheckComparison } from '../bindings/CheckComparison';
import type { CheckCounts } from '../bindings/CheckCounts';
import type { CheckExchange } from '../bindings/CheckExchange';
import type { CheckId } from '../bindings/CheckId';
import type { CheckOutcome } from '../bindings/CheckOutcome';
import type { CheckResult } from '../bindings/CheckResult';
import type { HandlerCheckInput } from '../bindings/HandlerCheckInput';
import type { HandlerCheckReport } from '../bindings/HandlerCheckReport';
import type { ProviderReading } from '../bindings/ProviderReading';
import type { RetryAttempt } from '../bindings/RetryAttempt';
import type { RetryOutcome } from '../bindings/RetryOutcome';
import type { RetrySimulation } from '../bindings/RetrySimulation';
import type { RunSummary } from '../bindings/RunSummary';
import type { DeliveryLab } from '../bindings/DeliveryLab';
import type { EndpointLab } from '../bindings/EndpointLab';
import type { ExportFormat } from '../bindings/ExportFormat';
import type { ForwardConfig } from '../bindings/ForwardConfig';
import type { ImportReport } from '../bindings/ImportReport';
import type { ResponseRule } from '../bindings/ResponseRule';

export type {
  AttemptInfo,
  Decoded,
  DecodedField,
  DecodedView,
  DeliveryDetail,
  DeliveryGroup,
  DeliveryQuery,
  DeliveryResponses,
  DeliverySummary,
  Endpoint,
  EndpointCount,
  EndpointInput,
  EndpointSettings,
  FailureReason,
  FieldError,
  FleikoEvent,
  FloviCall,
  FloviCancellation,
  FloviCostLine,
  FloviCosts,
  FloviDriver,
  FloviOffice,
  FloviPlace,
  FloviReservation,
  FloviSettings,
  FloviVehicle,
  FlowellaEvent,
  KeySource,
  ProviderId,
  RecordedResponse,
  ResponseSource,
  ReverifyResult,
  StoreChange,
  ScheduleRequest,
  ScheduleResult,
  SecretSlot,
  ServerInfo,
  SignatureStatus,
  TargetResponse,
  TunnelKind,
  TunnelSettings,
  TunnelSettingsInput,
  TunnelStatus,
  Verification,
};
export type {
  BodyDiff,
  BodyPreview,
  Change,
  DiffSide,
  HeaderDiff,
  JsonChange,
  LineDiff,
  LineKind,
  OutboundBodies,
  OutboundKind,
  OutboundRecord,
  ReplayDraft,
  ReplayOptions,
  ReplayRequest,
  ReplayResult,
  RequestDiff,
  SampleInfo,
  SampleRequest,
};
export type {
  CheckComparison,
  CheckCounts,
  CheckExchange,
  CheckId,
  CheckOutcome,
  CheckResult,
  HandlerCheckInput,
  HandlerCheckReport,
  ProviderReading,
  RetryAttempt,
  RetryOutcome,
  RetrySimulation,
  RunSummary,
};

export type { DeliveryLab, EndpointLab, ExportFormat, ForwardConfig, ImportReport, ResponseRule };

export type Unsubscribe = () => void;

/**
 * Everything the UI may ask of the backend: Tauri commands in the desktop window, the same
 * commands over HTTP from `hookscope-cli serve --ui` in a browser.
 */
export interface Backend {
  readonly kind: 'tauri' | 'http';
  getServerInfo(): Promise<ServerInfo>;
  listEndpoints(): Promise<Endpoint[]>;
  listEndpointCounts(): Promise<EndpointCount[]>;
  listDeliveries(query: DeliveryQuery): Promise<DeliverySummary[]>;
  listEventTypes(): Promise<string[]>;
  getDelivery(id: number): Promise<DeliveryDetail>;
  getDeliveryBody(id: number): Promise<Uint8Array>;
  /** The answer the sender got and, in forward mode, what the target answered. */
  getDeliveryResponses(id: number): Promise<DeliveryResponses>;
  getDeliveryGroup(id: number): Promise<DeliveryGroup>;
  listEndpointSettings(): Promise<EndpointSettings[]>;
  saveEndpoint(endpoint: EndpointInput): Promise<EndpointSettings>;
  deleteEndpoint(id: number): Promise<void>;
  /** Current first, then previous. Re-verifies the endpoint's deliveries; `store:changed` follows. */
  setEndpointSecrets(id: number, secrets: SecretSlot[]): Promise<ReverifyResult>;
  revealEndpointSecret(id: number, index: number): Promise<string>;
  getSecretStorage(): Promise<KeySource>;
  /** New deliveries, oldest first. Resolves once the subscription is live. */
  onDeliveries(handler: (batch: DeliverySummary[]) => void): Promise<Unsubscribe>;
  /** Stored deliveries changed in place (re-verified, or the live feed fell behind). */
  onResync(handler: () => void): Promise<Unsubscribe>;
  /** Endpoints or stored deliveries changed, by this app or another process (a CLI command). */
  onStoreChanged(handler: (change: StoreChange) => void): Promise<Unsubscribe>;

  getFloviSettings(): Promise<FloviSettings>;
  /** Rejects with `invalid` for a malformed URL or plain http to a non-loopback host. */
  setFloviBaseUrl(baseUrl: string): Promise<FloviSettings>;
  /** An empty key removes the stored one. */
  setFloviApiKey(key: string): Promise<FloviSettings>;
  listFloviOffices(): Promise<FloviOffice[]>;
  validateFloviSchedule(request: ScheduleRequest): Promise<FieldError[]>;
  createFloviSchedule(request: ScheduleRequest): Promise<ScheduleResult>;
  /** Newest first. */
  listFloviCalls(): Promise<FloviCall[]>;
  /** Sends a recorded call again; resolves with the new call. */
  rerunFloviCall(id: number): Promise<FloviCall>;

  /** The replay editor's starting point for a delivery. */
  getReplayDraft(id: number): Promise<ReplayDraft>;
  /** Sends, records and resolves with the outcome; rejects `invalid` (e.g. JSON) before sending. */
  replayDelivery(request: ReplayRequest): Promise<ReplayResult>;
  /** Each delivery as captured, in the order given, to `url` (with each one's own query). */
  replayDeliveries(ids: number[], url: string, options: ReplayOptions): Promise<ReplayResult[]>;
  /** Replays of a delivery, newest first. */
  listReplays(id: number): Promise<OutboundRecord[]>;
  /** One recorded outbound request (any kind) without its bodies. */
  getOutboundRecord(id: number): Promise<OutboundRecord>;
  getOutboundBodies(id: number): Promise<OutboundBodies>;
  diffDeliveries(a: DiffSide, b: DiffSide): Promise<RequestDiff>;
  listSamples(): Promise<SampleInfo[]>;
  sendSample(request: SampleRequest): Promise<ReplayResult>;
  /** Runs the battery against the user's handler, signed with the endpoint's stored secrets. */
  runHandlerCheck(input: HandlerCheckInput): Promise<HandlerCheckReport>;
  /** Finished runs, newest first. */
  listHandlerCheckRuns(): Promise<RunSummary[]>;
  getHandlerCheckRun(id: number): Promise<HandlerCheckReport>;
  /** Each check of either run with its outcome in both; `before` is the older run. */
  compareHandlerCheckRuns(before: number, after: number): Promise<CheckComparison[]>;
  getTunnelStatus(): Promise<TunnelStatus>;
  /** Secrets appear only as "one is stored". */
  getTunnelSettings(): Promise<TunnelSettings>;
  /** Secrets: null keeps the stored one, '' removes it. Rejects with `invalid` for a bad URL or server. */
  saveTunnelSettings(input: TunnelSettingsInput): Promise<TunnelSettings>;
  /** Starts from the stored settings and remembers the choice; rejects with `invalid` when they cannot work. */
  startTunnel(kind: TunnelKind): Promise<TunnelStatus>;
  stopTunnel(): Promise<TunnelStatus>;
  /** `tunnel:status`: every status change. */
  onTunnelStatus(handler: (status: TunnelStatus) => void): Promise<Unsubscribe>;

  getEndpointLab(id: number): Promise<EndpointLab>;
  setEndpointResponse(id: number, rule: ResponseRule | null): Promise<EndpointLab>;
  setEndpointForward(id: number, forward: ForwardConfig | null): Promise<EndpointLab>;
  getDeliveryLab(id: number): Promise<DeliveryLab>;
  /** The deliveries (all when `ids` is empty) as text. */
  exportDeliveries(ids: number[], format: ExportFormat): Promise<string>;
  /** Desktop only: writes the export to `path` on this machine; resolves with the bytes written. */
  exportDeliveriesToFile(ids: number[], format: ExportFormat, path: string): Promise<number>;
  /** Desktop only: imports the HAR file at `path` on this machine. */
  importHarFile(path: string): Promise<ImportReport>;
  /** Browser only: imports HAR bytes the user picked; `name` is the file's name, for notes. */
  importHar(name: string, bytes: Uint8Array): Promise<ImportReport>;
  /**
   * The page cannot reach the backend for want of a valid token (browser only): called with one
   * line to show, at once when that is already known.
   */
  onAccessProblem(handler: (message: string) => void): Promise<Unsubscribe>;
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
