const pad = (n: number, width = 2): string => n.toString().padStart(width, '0');

/** `HH:MM:SS.mmm` in local time. */
export function formatTime(unixMs: number): string {
  const d = new Date(unixMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time. */
export function formatDateTime(unixMs: number): string {
  const d = new Date(unixMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(unixMs)}`;
}

/** Response latency from microseconds: `850 µs`, `12.3 ms`, `1.20 s`. */
export function formatLatency(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) {
    const ms = us / 1000;
    return `${ms < 100 ? ms.toFixed(1) : Math.round(ms).toString()} ms`;
  }
  return `${(us / 1_000_000).toFixed(2)} s`;
}
