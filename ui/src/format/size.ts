const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

// One decimal below 100 keeps the column narrow while still telling 1.0 from 1.5 KiB.
const render = (value: number): string => (value < 100 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value).toString());

/** Human size in binary units: `512 B`, `1.5 KiB`, `25 MiB`. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Compare the rounded text, so 1048575 bytes reads "1 MiB" rather than "1024 KiB".
  while (unit < UNITS.length - 1 && Number(render(value)) >= 1024) {
    value /= 1024;
    unit++;
  }
  return `${render(value)} ${UNITS[unit]}`;
}

/** `1,234,567 bytes` — exact byte counts in explanations. */
export function formatBytesExact(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
}
