const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: bare when safe, otherwise single quotes with `'` written as `'\''`. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `http://host:port` + `/prefix`, with exactly one slash between. */
export function joinUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (path === '') return base;
  return `${base}/${path.replace(/^\/+/, '')}`;
}

export interface CurlSpec {
  method: string;
  url: string;
  headers?: Array<[string, string]>;
  body?: string;
}

export function curlCommand({ method, url, headers = [], body }: CurlSpec): string {
  const parts = ['curl', '-X', shellQuote(method), shellQuote(url)];
  for (const [name, value] of headers) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (body !== undefined) parts.push('-d', shellQuote(body));
  return parts.join(' ');
}

/** The command the empty state offers to a first-time user. */
export function firstDeliveryCurl(baseUrl: string, pathPrefix: string): string {
  return curlCommand({
    method: 'POST',
    url: joinUrl(baseUrl, pathPrefix),
    headers: [['Content-Type', 'application/json']],
    body: '{"type":"test.ping"}',
  });
}
