import { describe, expect, it } from 'vitest';

import { Coalescer, type Scheduler } from './coalesce';

function manualScheduler() {
  const pending = new Map<number, () => void>();
  let next = 1;
  const scheduler: Scheduler = {
    request(cb) {
      pending.set(next, cb);
      return next++;
    },
    cancel(h) {
      pending.delete(h);
    },
  };
  const frame = () => {
    const cbs = [...pending.values()];
    pending.clear();
    cbs.forEach((cb) => cb());
  };
  return { scheduler, frame, pending };
}

describe('Coalescer', () => {
  it('delivers everything pushed during a frame as one batch, in order', () => {
    const { scheduler, frame, pending } = manualScheduler();
    const flushed: number[][] = [];
    const c = new Coalescer<number>((items) => flushed.push(items), scheduler);
    c.push([1, 2]);
    c.push([3]);
    c.push([4, 5]);
    expect(pending.size).toBe(1);
    expect(flushed).toEqual([]);
    frame();
    expect(flushed).toEqual([[1, 2, 3, 4, 5]]);
    c.push([6]);
    frame();
    expect(flushed).toEqual([[1, 2, 3, 4, 5], [6]]);
  });

  it('does not schedule for empty pushes and drops work on dispose', () => {
    const { scheduler, frame, pending } = manualScheduler();
    const flushed: number[][] = [];
    const c = new Coalescer<number>((items) => flushed.push(items), scheduler);
    c.push([]);
    expect(pending.size).toBe(0);
    c.push([1]);
    c.dispose();
    frame();
    expect(flushed).toEqual([]);
  });
});
