import { useEffect, useSyncExternalStore } from 'react';

import { type TunnelStatus, getTunnelStatus, subscribeTunnelStatus } from '../api';

// One subscription shared by every view that shows the tunnel (top bar, sidebar).
let current: TunnelStatus | null = null;
const listeners = new Set<() => void>();
let attached = false;

/** Events and command answers travel apart and may cross; a slow re-read settles any race. */
const REFRESH_MS = 3000;

function set(status: TunnelStatus) {
  if (current !== null && JSON.stringify(current) === JSON.stringify(status)) return;
  current = status;
  listeners.forEach((l) => l());
}

/** Reads the status afresh (after a command, and now and then). */
export function refreshTunnelStatus() {
  void getTunnelStatus().then(set, (err: unknown) => console.error('tunnel status unavailable', err));
}

function attach() {
  if (attached) return;
  attached = true;
  subscribeTunnelStatus(set);
  refreshTunnelStatus();
  window.setInterval(refreshTunnelStatus, REFRESH_MS);
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
