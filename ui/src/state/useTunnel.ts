import { useEffect, useSyncExternalStore } from 'react';

import { type TunnelStatus, getTunnelStatus, subscribeTunnelStatus } from '../api';

// One subscription shared by every view that shows the tunnel (top bar, sidebar).
let current: TunnelStatus | null = null;
const listeners = new Set<() => void>();
let detach: (() => void) | null = null;

function set(status: TunnelStatus) {
  current = status;
  listeners.forEach((l) => l());
}

function attach() {
  if (detach) return;
  detach = subscribeTunnelStatus(set);
  void getTunnelStatus().then(
    (status) => {
      // An event that arrived meanwhile is newer than this answer.
      if (current === null) set(status);
    },
    (err: unknown) => console.error('tunnel status unavailable', err),
  );
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The tunnel's live status; null until it is known. */
export function useTunnelStatus(): TunnelStatus | null {
  useEffect(attach, []);
  return useSyncExternalStore(subscribe, () => current);
}

/** For commands that answer with the new status before its event arrives. */
export function applyTunnelStatus(status: TunnelStatus) {
  set(status);
}
