import { type KeyboardEvent, type PointerEvent, useState } from 'react';

function readStored(key: string, fallback: number): number {
  try {
    const v = Number(window.localStorage.getItem(key));
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

/** A draggable vertical divider; the width persists across launches. */
export function useSplitter(storageKey: string, initial: number, min: number, maxFraction: number) {
  const [width, setWidth] = useState(() => readStored(storageKey, initial));

  const clamp = (w: number, container: HTMLElement | null): number => {
    const max = (container?.clientWidth ?? window.innerWidth) * maxFraction;
    return Math.round(Math.max(min, Math.min(max, w)));
  };
  const commit = (w: number) => {
    setWidth(w);
    try {
      window.localStorage.setItem(storageKey, String(w));
    } catch {
      // Storage may be unavailable; the width simply won't persist.
    }
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    const handle = e.currentTarget;
    const container = handle.parentElement;
    const left = container?.getBoundingClientRect().left ?? 0;
    handle.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) => commit(clamp(ev.clientX - left, container));
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? 60 : 20;
    if (e.key === 'ArrowLeft') commit(clamp(width - step, e.currentTarget.parentElement));
    else if (e.key === 'ArrowRight') commit(clamp(width + step, e.currentTarget.parentElement));
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  return [
    width,
    {
      role: 'separator',
      'aria-orientation': 'vertical' as const,
      'aria-label': 'Resize list',
      tabIndex: 0,
      onPointerDown,
      onKeyDown,
    },
  ] as const;
}
