import { type RefObject, useCallback, useEffect, useState } from 'react';

export interface Viewport {
  top: number;
  height: number;
}

/** Tracks a scroll container's scrollTop and height for windowed rendering. */
export function useViewport(ref: RefObject<HTMLElement | null>): [Viewport, () => void] {
  const [viewport, setViewport] = useState<Viewport>({ top: 0, height: 0 });

  const measure = useCallback(() => {
    const el = ref.current;
    if (el) setViewport({ top: el.scrollTop, height: el.clientHeight });
  }, [ref]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => measure());
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, measure]);

  return [viewport, measure];
}

/** Rows [start, end) to render for a fixed row height, with some overscan either side. */
export function windowRange(
  top: number,
  height: number,
  rowHeight: number,
  count: number,
  overscan = 10,
): { start: number; end: number } {
  const start = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((top + Math.max(height, rowHeight)) / rowHeight) + overscan);
  return { start, end: Math.max(start, end) };
}
