export interface Scheduler {
  request(cb: () => void): number;
  cancel(handle: number): void;
}

/** requestAnimationFrame, falling back to a slow timer while the window is hidden (rAF pauses then). */
export const frameScheduler: Scheduler = {
  request(cb) {
    if (typeof document !== 'undefined' && document.hidden) return -window.setTimeout(cb, 250) - 1;
    return window.requestAnimationFrame(cb);
  },
  cancel(handle) {
    if (handle < 0) window.clearTimeout(-(handle + 1));
    else window.cancelAnimationFrame(handle);
  },
};

/** Collects items from any number of pushes and hands them over at most once per frame. */
export class Coalescer<T> {
  private buffer: T[] = [];
  private handle: number | null = null;

  constructor(
    private readonly flushTo: (items: T[]) => void,
    private readonly scheduler: Scheduler,
  ) {}

  push(items: readonly T[]): void {
    for (const item of items) this.buffer.push(item);
    if (this.handle === null && this.buffer.length > 0) {
      this.handle = this.scheduler.request(() => this.flush());
    }
  }

  private flush(): void {
    this.handle = null;
    const items = this.buffer;
    this.buffer = [];
    if (items.length > 0) this.flushTo(items);
  }

  dispose(): void {
    if (this.handle !== null) this.scheduler.cancel(this.handle);
    this.handle = null;
    this.buffer = [];
  }
}
