/**
 * Response lab and export/import: what an endpoint answers, where it forwards, what became of
 * a delivery's forwards, and deliveries as HAR/curl/JSON. Kept apart from the main Backend so
 * the demo (plain browser) gets a small in-memory stand-in here.
 */
import { invoke } from '@tauri-apps/api/core';

import type { DeliveryLab } from '../bindings/DeliveryLab';
import type { EndpointLab } from '../bindings/EndpointLab';
import type { ExportFormat } from '../bindings/ExportFormat';
import type { ForwardConfig } from '../bindings/ForwardConfig';
import type { ForwardMode } from '../bindings/ForwardMode';
import type { ForwardResult } from '../bindings/ForwardResult';
import type { ImportReport } from '../bindings/ImportReport';
import type { ResponseRule } from '../bindings/ResponseRule';
import { isTauri } from './index';
import { ApiError } from './types';

export type { DeliveryLab, EndpointLab, ExportFormat, ForwardConfig, ForwardMode, ForwardResult, ImportReport, ResponseRule };

async function call<T>(command: string, args: Record<string, unknown>, demo: () => T): Promise<T> {
  try {
    return isTauri() ? await invoke<T>(command, args) : demo();
  } catch (err) {
    throw ApiError.from(err);
  }
}

/** The demo's settings, per endpoint id; nothing persists beyond the page. */
const demoLabs = new Map<number, EndpointLab>();
const demoLab = (id: number): EndpointLab => demoLabs.get(id) ?? { endpointId: id, rule: null, forward: null };

export const getEndpointLab = (id: number): Promise<EndpointLab> => call('get_endpoint_lab', { id }, () => demoLab(id));

export const setEndpointResponse = (id: number, rule: ResponseRule | null): Promise<EndpointLab> =>
  call('set_endpoint_response', { id, rule }, () => {
    const lab = { ...demoLab(id), rule };
    demoLabs.set(id, lab);
    return lab;
  });

export const setEndpointForward = (id: number, forward: ForwardConfig | null): Promise<EndpointLab> =>
  call('set_endpoint_forward', { id, forward }, () => {
    const lab = { ...demoLab(id), forward };
    demoLabs.set(id, lab);
    return lab;
  });

export const getDeliveryLab = (id: number): Promise<DeliveryLab> =>
  call('get_delivery_lab', { id }, () => ({ imported: false, responseStatus: null, responseLatencyUs: null, forwards: [] }));

/** The deliveries (all when `ids` is empty) as text. */
export const exportDeliveries = (ids: number[], format: ExportFormat): Promise<string> =>
  call('export_deliveries', { ids, format }, () => {
    throw new ApiError('unavailable', 'Export needs the desktop app.');
  });

/** Writes the export to `path`; resolves with the bytes written. */
export const exportDeliveriesToFile = (ids: number[], format: ExportFormat, path: string): Promise<number> =>
  call('export_deliveries_to_file', { ids, format, path }, () => {
    throw new ApiError('unavailable', 'Export needs the desktop app.');
  });

export const importHarFile = (path: string): Promise<ImportReport> =>
  call('import_har_file', { path }, () => {
    throw new ApiError('unavailable', 'Import needs the desktop app.');
  });
