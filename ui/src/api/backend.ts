// Chooses the transport once: Tauri inside the desktop window, HTTP to `hookscope-cli serve --ui` elsewhere.
import { browserEnv, createHttpBackend } from './http';
import { tauriBackend } from './tauri';
import { ApiError, type Backend } from './types';

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

export function isTauri(): boolean {
  return typeof window !== 'undefined' && window.__TAURI_INTERNALS__ !== undefined;
}

let chosen: Backend | null = null;

export function backend(): Backend {
  // Created on first use, which is at start: the page's token is taken from its address then.
  chosen ??= isTauri() ? tauriBackend : createHttpBackend(browserEnv());
  return chosen;
}

/** Runs one backend call; whatever it rejects with reaches the views as an ApiError. */
export async function call<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
  try {
    return await fn(backend());
  } catch (err) {
    throw ApiError.from(err);
  }
}
