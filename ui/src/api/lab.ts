/**
 * Response lab and export/import: what an endpoint answers, where it forwards, what became of
 * a delivery's forwards, and deliveries as HAR/curl/JSON.
 */
import type { ForwardMode } from '../bindings/ForwardMode';
import type { ForwardResult } from '../bindings/ForwardResult';
import { call } from './backend';
import type { DeliveryLab, EndpointLab, ExportFormat, ForwardConfig, ImportReport, ResponseRule } from './types';

export type { DeliveryLab, EndpointLab, ExportFormat, ForwardConfig, ForwardMode, ForwardResult, ImportReport, ResponseRule };

export const getEndpointLab = (id: number): Promise<EndpointLab> => call((b) => b.getEndpointLab(id));

export const setEndpointResponse = (id: number, rule: ResponseRule | null): Promise<EndpointLab> =>
  call((b) => b.setEndpointResponse(id, rule));

export const setEndpointForward = (id: number, forward: ForwardConfig | null): Promise<EndpointLab> =>
  call((b) => b.setEndpointForward(id, forward));

export const getDeliveryLab = (id: number): Promise<DeliveryLab> => call((b) => b.getDeliveryLab(id));

/** The deliveries (all when `ids` is empty) as text. */
export const exportDeliveries = (ids: number[], format: ExportFormat): Promise<string> =>
  call((b) => b.exportDeliveries(ids, format));

/** Desktop: writes the export to `path`; resolves with the bytes written. */
export const exportDeliveriesToFile = (ids: number[], format: ExportFormat, path: string): Promise<number> =>
  call((b) => b.exportDeliveriesToFile(ids, format, path));

/** Desktop: imports the HAR file at `path`. */
export const importHarFile = (path: string): Promise<ImportReport> => call((b) => b.importHarFile(path));

/** Browser: imports the bytes of a HAR file the user picked. */
export const importHar = (name: string, bytes: Uint8Array): Promise<ImportReport> =>
  call((b) => b.importHar(name, bytes));
