import { type DeliveryDetail, getDelivery, getDeliveryBody } from '../api';

/** A small LRU of promises, bounded by entry count and (for bodies) total bytes. */
export class LruCache<V> {
  private entries = new Map<number, { value: Promise<V>; weight: number }>();
  private totalWeight = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight: number,
  ) {}

  get(id: number, load: () => Promise<V>, weigh: (v: V) => number): Promise<V> {
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit.value;
    }
    const value = load();
    const entry = { value, weight: 0 };
    this.entries.set(id, entry);
    value.then(
      (v) => {
        if (this.entries.get(id) !== entry) return;
        entry.weight = weigh(v);
        this.totalWeight += entry.weight;
        this.evict();
      },
      () => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    );
    this.evict();
    return value;
  }

  /** Forget everything (entries still loading resolve for their callers, then are dropped). */
  clear(): void {
    this.entries.clear();
    this.totalWeight = 0;
  }

  private evict(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalWeight <= this.maxWeight) break;
      this.entries.delete(id);
      this.totalWeight -= entry.weight;
    }
  }
}

const details = new LruCache<DeliveryDetail>(200, Infinity);
const bodies = new LruCache<Uint8Array>(16, 64 * 1024 * 1024);

export const loadDetail = (id: number): Promise<DeliveryDetail> => details.get(id, () => getDelivery(id), () => 1);
export const loadBody = (id: number): Promise<Uint8Array> => bodies.get(id, () => getDeliveryBody(id), (b) => b.byteLength);

/** Details carry the signature result, which a re-verification changes; bodies never change. */
export const invalidateDetails = (): void => details.clear();
