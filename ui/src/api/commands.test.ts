import { describe, expect, it, vi } from 'vitest';

import { type CommandBackend, commandBackend } from './commands';

const invoked = vi.hoisted(() => [] as Array<[string, unknown]>);
vi.mock('@tauri-apps/api/core', () => ({
  invoke: (command: string, args?: unknown) => {
    invoked.push([command, args]);
    return Promise.resolve(command === 'get_delivery_body' ? new Uint8Array([1, 2, 3]).buffer : null);
  },
}));

// The shell's command list, read from the repository so a renamed command fails here.
const shell = import.meta.glob<string>('../../../src-tauri/src/lib.rs', { query: '?raw', import: 'default', eager: true });

type Table = { [K in keyof CommandBackend]: [args: Parameters<CommandBackend[K]>, command: string, sent: object | undefined] };

const q = { endpoint: 'all' } as never;
const x = {} as never;

/** Every method, the command it runs and the arguments it sends: the contract both transports keep. */
const TABLE: Table = {
  getServerInfo: [[], 'get_server_info', undefined],
  listEndpoints: [[], 'list_endpoints', undefined],
  listEndpointCounts: [[], 'list_endpoint_counts', undefined],
  listDeliveries: [[q], 'list_deliveries', { query: q }],
  listEventTypes: [[], 'list_event_types', undefined],
  getDelivery: [[1], 'get_delivery', { id: 1 }],
  getDeliveryBody: [[2], 'get_delivery_body', { id: 2 }],
  getDeliveryResponses: [[3], 'get_delivery_responses', { id: 3 }],
  getDeliveryGroup: [[4], 'get_delivery_group', { id: 4 }],
  listEndpointSettings: [[], 'list_endpoint_settings', undefined],
  saveEndpoint: [[x], 'save_endpoint', { endpoint: x }],
  deleteEndpoint: [[5], 'delete_endpoint', { id: 5 }],
  setEndpointSecrets: [[6, []], 'set_endpoint_secrets', { id: 6, secrets: [] }],
  revealEndpointSecret: [[7, 1], 'reveal_endpoint_secret', { id: 7, index: 1 }],
  getSecretStorage: [[], 'get_secret_storage', undefined],
  getFloviSettings: [[], 'get_flovi_settings', undefined],
  setFloviBaseUrl: [['u'], 'set_flovi_base_url', { baseUrl: 'u' }],
  setFloviApiKey: [['k'], 'set_flovi_api_key', { key: 'k' }],
  listFloviOffices: [[], 'list_flovi_offices', undefined],
  validateFloviSchedule: [[x], 'validate_flovi_schedule', { request: x }],
  createFloviSchedule: [[x], 'create_flovi_schedule', { request: x }],
  listFloviCalls: [[], 'list_flovi_calls', undefined],
  rerunFloviCall: [[8], 'rerun_flovi_call', { id: 8 }],
  getReplayDraft: [[9], 'get_replay_draft', { id: 9 }],
  replayDelivery: [[x], 'replay_delivery', { request: x }],
  replayDeliveries: [[[1, 2], 'u', x], 'replay_deliveries', { ids: [1, 2], url: 'u', options: x }],
  listReplays: [[10], 'list_replays', { id: 10 }],
  getOutboundRecord: [[11], 'get_outbound_record', { id: 11 }],
  getOutboundBodies: [[12], 'get_outbound_bodies', { id: 12 }],
  diffDeliveries: [[x, x], 'diff_deliveries', { a: x, b: x }],
  listSamples: [[], 'list_samples', undefined],
  sendSample: [[x], 'send_sample', { request: x }],
  runHandlerCheck: [[x], 'run_handler_check', { input: x }],
  listHandlerCheckRuns: [[], 'list_handler_check_runs', undefined],
  getHandlerCheckRun: [[13], 'get_handler_check_run', { id: 13 }],
  compareHandlerCheckRuns: [[14, 15], 'compare_handler_check_runs', { before: 14, after: 15 }],
  getTunnelStatus: [[], 'get_tunnel_status', undefined],
  getTunnelSettings: [[], 'get_tunnel_settings', undefined],
  saveTunnelSettings: [[x], 'save_tunnel_settings', { input: x }],
  startTunnel: [['bore'], 'start_tunnel', { kind: 'bore' }],
  stopTunnel: [[], 'stop_tunnel', undefined],
  getEndpointLab: [[16], 'get_endpoint_lab', { id: 16 }],
  setEndpointResponse: [[17, null], 'set_endpoint_response', { id: 17, rule: null }],
  setEndpointForward: [[18, null], 'set_endpoint_forward', { id: 18, forward: null }],
  getDeliveryLab: [[19], 'get_delivery_lab', { id: 19 }],
  exportDeliveries: [[[], 'har'], 'export_deliveries', { ids: [], format: 'har' }],
  exportDeliveriesToFile: [[[1], 'curl', '/tmp/x.sh'], 'export_deliveries_to_file', { ids: [1], format: 'curl', path: '/tmp/x.sh' }],
  importHarFile: [['/tmp/a.har'], 'import_har_file', { path: '/tmp/a.har' }],
};

const entries = Object.entries(TABLE) as Array<[keyof CommandBackend, Table[keyof CommandBackend]]>;

async function callAll(backend: CommandBackend): Promise<void> {
  for (const [method, [args]] of entries) {
    await (backend[method] as (...a: unknown[]) => Promise<unknown>)(...args);
  }
}

describe('commands', () => {
  it('each method runs its command with its argument keys', async () => {
    const seen: Array<[string, unknown]> = [];
    const backend = commandBackend({
      invoke: (command, args) => {
        seen.push([command, args]);
        return Promise.resolve(null as never);
      },
      invokeBytes: (command, args) => {
        seen.push([command, args]);
        return Promise.resolve(new Uint8Array());
      },
    });
    expect(Object.keys(backend).sort()).toEqual(Object.keys(TABLE).sort());
    await callAll(backend);
    expect(seen).toEqual(entries.map(([, [, command, sent]]) => [command, sent]));
  });

  it('names only commands the desktop shell registers', () => {
    const source = Object.values(shell)[0];
    expect(source).toBeDefined();
    const handler = /generate_handler!\[([\s\S]*?)\]/.exec(source ?? '')?.[1] ?? '';
    const registered = new Set([...handler.matchAll(/(\w+)\s*(?:,|$)/g)].map((m) => m[1]));
    expect(registered.size).toBeGreaterThan(40);
    const missing = entries.map(([, [, command]]) => command).filter((c) => !registered.has(c));
    expect(missing).toEqual([]);
  });

  it('the Tauri backend invokes them the same way and reads the body as bytes', async () => {
    const { tauriBackend } = await import('./tauri');
    invoked.length = 0;
    await callAll(tauriBackend);
    expect(invoked).toEqual(entries.map(([, [, command, sent]]) => [command, sent]));
    expect([...(await tauriBackend.getDeliveryBody(1))]).toEqual([1, 2, 3]);
  });
});
