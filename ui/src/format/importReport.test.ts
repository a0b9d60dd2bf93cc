import { describe, expect, it } from 'vitest';
import { describeImport } from './importReport';

const report = (imported: number, pruned = 0, notes: string[] = [], skipped = 0) => ({
  ids: [],
  imported,
  skipped,
  pruned,
  retention: 10000,
  notes: notes.map((message, index) => ({ index, id: null, message })),
});

describe('describeImport', () => {
  it('counts one delivery in the singular and others in the plural', () => {
    expect(describeImport(report(1))).toBe('Imported 1 delivery (marked imported).');
    expect(describeImport(report(2))).toBe('Imported 2 deliveries (marked imported).');
    expect(describeImport(report(0))).toBe('Imported 0 deliveries (marked imported).');
  });

  it('says what retention pruned', () => {
    expect(describeImport(report(3, 1))).toContain('Pruned 1 older one to keep the newest 10,000.');
    expect(describeImport(report(3, 2))).toContain('Pruned 2 older ones');
  });

  it('counts entries skipped as no request Hookscope could have received', () => {
    expect(describeImport(report(2, 0, ['data: URL skipped'], 1))).toBe(
      'Imported 2 deliveries (marked imported); skipped 1 entry that was no request Hookscope could have received. entry 0: data: URL skipped.',
    );
    expect(describeImport(report(0, 0, [], 3))).toContain('skipped 3 entries that were no request');
    expect(describeImport(report(2))).not.toContain('skipped');
  });

  it('shows the first notes and counts the rest', () => {
    const text = describeImport(report(5, 0, ['a', 'b', 'c', 'd', 'e']));
    expect(text).toContain('entry 0: a; entry 1: b; entry 2: c; and 2 more notes.');
    expect(describeImport(report(5, 0, ['a', 'b', 'c', 'd']))).toContain('and 1 more note.');
  });
});
