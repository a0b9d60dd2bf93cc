import { describe, expect, it } from 'vitest';

import { LruCache } from './cache';

describe('LruCache', () => {
  it('serves hits and reloads after clear (a resync makes cached details stale)', async () => {
    const cache = new LruCache<string>(10, Infinity);
    let loads = 0;
    const load = () => Promise.resolve(`v${++loads}`);
    await expect(cache.get(1, load, () => 1)).resolves.toBe('v1');
    await expect(cache.get(1, load, () => 1)).resolves.toBe('v1');
    cache.clear();
    await expect(cache.get(1, load, () => 1)).resolves.toBe('v2');
  });

  it('does not let a load that resolves after clear overwrite the fresh entry', async () => {
    const cache = new LruCache<string>(10, Infinity);
    let release: (v: string) => void = () => undefined;
    const slow = cache.get(1, () => new Promise<string>((r) => (release = r)), () => 1);
    cache.clear();
    const fresh = cache.get(1, () => Promise.resolve('fresh'), () => 1);
    release('stale');
    await slow;
    await expect(cache.get(1, () => Promise.resolve('again'), () => 1)).resolves.toBe('fresh');
    await expect(fresh).resolves.toBe('fresh');
  });
});
