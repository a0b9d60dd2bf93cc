export type StatusTone = 'ok' | 'redirect' | 'client' | 'server' | 'info' | 'none';

export function statusTone(status: number | null): StatusTone {
  if (status === null) return 'none';
  if (status >= 500) return 'server';
  if (status >= 400) return 'client';
  if (status >= 300) return 'redirect';
  if (status >= 200) return 'ok';
  return 'info';
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** CSS modifier for a method badge; unknown methods share one neutral colour. */
export function methodTone(method: string): string {
  const m = method.toUpperCase();
  return KNOWN_METHODS.has(m) ? m.toLowerCase() : 'other';
}

export const FILTER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export function pathWithQuery(path: string, query: string | null): string {
  return query ? `${path}?${query}` : path;
}

/** Headers as `Name: value` lines, in arrival order. */
export function headersAsText(headers: ReadonlyArray<readonly [string, string]>): string {
  return headers.map(([n, v]) => `${n}: ${v}`).join('\n');
}
