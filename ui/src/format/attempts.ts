import type { AttemptInfo, DeliveryGroup } from '../api';

/** One step of a retry/duplicate timeline, oldest first. */
export interface TimelineEntry {
  deliveryId: number;
  /** The provider's attempt number, when it sends one. */
  attempt: number | null;
  /** "Attempt 3", or "Delivery 2" when the provider does not count attempts. */
  label: string;
  receivedAt: number;
  /** Milliseconds since the group's first delivery (0 for the first). */
  sinceFirst: number;
  /** Milliseconds since the previous delivery; null for the first. */
  sincePrevious: number | null;
  expectedAt: number | null;
  /** receivedAt - expectedAt: positive when the provider came late. */
  drift: number | null;
  responseStatus: number | null;
  meaning: string;
  /** The delivery open in the detail pane. */
  current: boolean;
}

/**
 * The group as a timeline: every delivery, with the provider's schedule beside it. Deliveries
 * without attempt info (a provider without a retry header) still get a row.
 */
export function buildTimeline(group: DeliveryGroup, currentId: number): TimelineEntry[] {
  const info = new Map<number, AttemptInfo>(group.attempts.map((a) => [a.deliveryId, a]));
  const items = group.deliveries.map((d) => {
    const a = info.get(d.id);
    return {
      deliveryId: d.id,
      attempt: a?.attempt ?? d.attempt,
      receivedAt: a?.receivedAt ?? d.receivedAt,
      expectedAt: a?.expectedAt ?? null,
      responseStatus: a ? a.responseStatus : d.responseStatus,
      meaning: a?.meaning ?? '',
    };
  });
  // Attempts the backend knows of but whose delivery is not in the list (should not happen).
  for (const a of group.attempts) {
    if (!items.some((i) => i.deliveryId === a.deliveryId)) items.push({ ...a });
  }
  items.sort((x, y) => x.receivedAt - y.receivedAt || x.deliveryId - y.deliveryId);
  const first = items[0]?.receivedAt ?? 0;
  return items.map((it, i) => {
    const prev = i > 0 ? items[i - 1] : undefined;
    return {
      ...it,
      label: it.attempt !== null ? `Attempt ${it.attempt}` : `Delivery ${i + 1}`,
      sinceFirst: it.receivedAt - first,
      sincePrevious: prev ? it.receivedAt - prev.receivedAt : null,
      drift: it.expectedAt === null ? null : it.receivedAt - it.expectedAt,
      current: it.deliveryId === currentId,
    };
  });
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A length of time for people: `850 ms`, `42 s`, `5 m 03 s`, `2 h 05 m`, `1 d 3 h`. */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  const s = Math.round(abs / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest === 0 ? `${m} m` : `${m} m ${pad2(rest)} s`;
  }
  if (s < 86_400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m === 0 ? `${h} h` : `${h} h ${pad2(m)} m`;
  }
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  return h === 0 ? `${d} d` : `${d} d ${h} h`;
}

/** `+5 m 03 s` after the first delivery; the first itself is `first`. */
export function formatSinceFirst(ms: number, isFirst: boolean): string {
  return isFirst ? 'first' : `+${formatSpan(ms)}`;
}

/** How far off the documented schedule a retry came; within a second is on time. */
export function formatDrift(ms: number): string {
  if (Math.abs(ms) < 1000) return 'on time';
  return `${formatSpan(ms)} ${ms > 0 ? 'late' : 'early'}`;
}

/** A one-line summary of the group: "3 attempts over 6 m 04 s". */
export function describeTimeline(entries: readonly TimelineEntry[]): string {
  if (entries.length === 0) return 'No related deliveries';
  const counted = entries.every((e) => e.attempt !== null);
  const noun = counted ? 'attempt' : 'delivery';
  const nouns = counted ? 'attempts' : 'deliveries';
  const head = `${entries.length} ${entries.length === 1 ? noun : nouns}`;
  const last = entries[entries.length - 1] as TimelineEntry;
  return last.sinceFirst > 0 ? `${head} over ${formatSpan(last.sinceFirst)}` : head;
}

/** Whether the detail should offer the group view before the group itself is loaded. */
export function mayHaveGroup(d: { duplicateOf: number | null; attempt: number | null; eventId: string | null }): boolean {
  return d.duplicateOf !== null || d.attempt !== null || d.eventId !== null;
}
