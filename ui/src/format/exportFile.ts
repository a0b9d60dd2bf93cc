import type { ExportFormat } from '../bindings/ExportFormat';

const EXTENSIONS: Record<ExportFormat, string> = { har: 'har', curl: 'sh', json: 'json' };

const MEDIA_TYPES: Record<ExportFormat, string> = {
  har: 'application/json',
  curl: 'text/x-shellscript',
  json: 'application/json',
};

/** The extension a file of this format carries. */
export const exportExtension = (format: ExportFormat): string => EXTENSIONS[format];

/** The name a browser download of an export gets. */
export const exportFileName = (format: ExportFormat): string => `hookscope-export.${EXTENSIONS[format]}`;

/** The download's media type; the text is always UTF-8. */
export const exportMediaType = (format: ExportFormat): string => `${MEDIA_TYPES[format]};charset=utf-8`;
