import { describe, expect, it } from 'vitest';

import type { CheckComparison, RunSummary } from '../api';
import { changeOf, checkLabel, comparePair, countsLine, outcomeTone, parseTimeout, previousRun, sortComparison } from './handlerCheck';

const counts = { pass: 0, fail: 0, warning: 0, info: 0, inconclusive: 0, skipped: 0 };

describe('handler check formatting', () => {
  it('says the counts that are not zero, in a fixed order', () => {
    expect(countsLine({ ...counts, fail: 1, pass: 12, skipped: 3 })).toBe('12 pass · 1 fail · 3 skipped');
    expect(countsLine(counts)).toBe('no checks ran');
  });

  it('draws inconclusive like a warning and skipped quietly', () => {
    expect(outcomeTone('pass')).toBe('ok');
    expect(outcomeTone('fail')).toBe('error');
    expect(outcomeTone('inconclusive')).toBe('warn');
    expect(outcomeTone('skipped')).toBe('none');
    expect(outcomeTone(null)).toBe('none');
  });

  it('turns a check id into words', () => {
    expect(checkLabel('rotation-second-v1')).toBe('rotation second v1');
  });

  it('reads the timeout: empty is the provider default, nonsense is refused', () => {
    expect(parseTimeout('  ')).toEqual({ secs: null, error: null });
    expect(parseTimeout('2.5')).toEqual({ secs: 2.5, error: null });
    expect(parseTimeout('0').error).not.toBeNull();
    expect(parseTimeout('-1').error).not.toBeNull();
    expect(parseTimeout('ten').error).not.toBeNull();
    expect(parseTimeout('3601').error).not.toBeNull();
  });
});

describe('comparing two runs', () => {
  const row = (id: CheckComparison['id'], before: CheckComparison['before'], after: CheckComparison['after']): CheckComparison => ({
    id,
    before,
    after,
    changed: before !== after,
  });

  it('names what a move means', () => {
    expect(changeOf(row('valid', 'fail', 'pass'))).toBe('fixed');
    expect(changeOf(row('valid', 'warning', 'pass'))).toBe('fixed');
    expect(changeOf(row('valid', 'pass', 'fail'))).toBe('broke');
    expect(changeOf(row('valid', 'pass', 'warning'))).toBe('changed');
    expect(changeOf(row('valid', 'skipped', 'pass'))).toBe('changed');
    expect(changeOf(row('valid', 'pass', 'pass'))).toBe('same');
    expect(changeOf(row('valid', null, 'pass'))).toBe('added');
    expect(changeOf(row('valid', 'fail', null))).toBe('dropped');
  });

  it('puts the checks that moved first, breaks before fixes, and keeps the battery order otherwise', () => {
    const rows = [row('valid', 'pass', 'pass'), row('tampered-body', 'fail', 'pass'), row('wrong-secret', 'pass', 'pass'), row('duplicate', 'pass', 'fail')];
    expect(sortComparison(rows).map((r) => r.id)).toEqual(['duplicate', 'tampered-body', 'valid', 'wrong-secret']);
  });

  it('orders a pair as older then newer and refuses a run against itself', () => {
    expect(comparePair(9, 4)).toEqual({ before: 4, after: 9 });
    expect(comparePair(4, 9)).toEqual({ before: 4, after: 9 });
    expect(comparePair(4, 4)).toBeNull();
  });

  it('offers the run just before the current one to compare with', () => {
    const runs: RunSummary[] = [7, 5, 2].map((id) => ({ id, at: id, provider: 'fleiko', target: 'http://127.0.0.1/h', passed: true }));
    expect(previousRun(runs, 7)).toBe(5);
    expect(previousRun(runs, 5)).toBe(2);
    expect(previousRun(runs, 2)).toBeNull();
  });
});
