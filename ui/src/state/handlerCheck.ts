// Formatting and small decisions for the Handler check view, kept apart from the view so they are tested.
import type { CheckComparison, CheckCounts, CheckId, CheckOutcome, RunSummary } from '../api';

export const OUTCOME_LABEL: Record<CheckOutcome, string> = {
  pass: 'pass',
  fail: 'fail',
  warning: 'warning',
  info: 'info',
  inconclusive: 'inconclusive',
  skipped: 'skipped',
};

/** The colour family an outcome is drawn in (the replay panel's tones plus two quiet ones). */
export function outcomeTone(outcome: CheckOutcome | null): 'ok' | 'error' | 'warn' | 'info' | 'none' {
  switch (outcome) {
    case 'pass':
      return 'ok';
    case 'fail':
      return 'error';
    case 'warning':
    case 'inconclusive':
      return 'warn';
    case 'info':
      return 'info';
    default:
      return 'none';
  }
}

/** "12 pass · 1 fail · 2 warning", leaving out what is zero. */
export function countsLine(counts: CheckCounts): string {
  const parts: string[] = [];
  const order: Array<[keyof CheckCounts, string]> = [
    ['pass', 'pass'],
    ['fail', 'fail'],
    ['warning', 'warning'],
    ['inconclusive', 'inconclusive'],
    ['info', 'info'],
    ['skipped', 'skipped'],
  ];
  for (const [key, label] of order) if (counts[key] > 0) parts.push(`${counts[key]} ${label}`);
  return parts.length === 0 ? 'no checks ran' : parts.join(' · ');
}

/** A check id as words: "rotation-second-v1" → "rotation second v1". */
export function checkLabel(id: CheckId): string {
  return id.replace(/-/g, ' ');
}

/**
 * The timeout field: empty means the provider's own timeout (null); otherwise seconds above 0 and
 * at most an hour, as the backend accepts.
 */
export function parseTimeout(text: string): { secs: number | null; error: string | null } {
  const t = text.trim();
  if (t === '') return { secs: null, error: null };
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) {
    return { secs: null, error: 'The timeout is a number of seconds above 0 and at most 3600.' };
  }
  return { secs: n, error: null };
}

export type Change = 'fixed' | 'broke' | 'changed' | 'same' | 'added' | 'dropped';

/** What a check's move between two runs means for the user ("did my fix turn this red row green?"). */
export function changeOf(c: Pick<CheckComparison, 'before' | 'after'>): Change {
  if (c.before === null) return 'added';
  if (c.after === null) return 'dropped';
  if (c.before === c.after) return 'same';
  if (c.after === 'pass' && c.before !== 'skipped') return 'fixed';
  if (c.after === 'fail') return 'broke';
  return 'changed';
}

export const CHANGE_LABEL: Record<Change, string> = {
  fixed: 'now passes',
  broke: 'now fails',
  changed: 'changed',
  same: 'unchanged',
  added: 'only in the later run',
  dropped: 'only in the earlier run',
};

/** The checks that moved first (breaks before fixes), then the rest in the battery's order. */
export function sortComparison(rows: CheckComparison[]): CheckComparison[] {
  const rank: Record<Change, number> = { broke: 0, fixed: 1, changed: 2, added: 3, dropped: 4, same: 5 };
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => rank[changeOf(a.row)] - rank[changeOf(b.row)] || a.index - b.index)
    .map(({ row }) => row);
}

/** Two runs picked in any order, as (older, newer): a comparison reads from before to after. */
export function comparePair(a: number, b: number): { before: number; after: number } | null {
  if (a === b) return null;
  return a < b ? { before: a, after: b } : { before: b, after: a };
}

/** The runs for the compare pickers: the other run defaults to the one just before the current. */
export function previousRun(runs: RunSummary[], current: number): number | null {
  const older = runs.filter((r) => r.id < current).map((r) => r.id);
  return older.length === 0 ? null : Math.max(...older);
}
