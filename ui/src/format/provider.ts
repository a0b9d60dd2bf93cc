import type { ProviderId } from '../api';

export const PROVIDERS: readonly ProviderId[] = ['flovi', 'flowella', 'fleiko'];

export const PROVIDER_NAMES: Record<ProviderId, string> = {
  flovi: 'Flovi',
  flowella: 'Flowella',
  fleiko: 'Fleiko',
};

export function asProviderId(p: string | null | undefined): ProviderId | null {
  const id = (p ?? '').toLowerCase();
  return (PROVIDERS as readonly string[]).includes(id) ? (id as ProviderId) : null;
}

/** "Flovi" for a known provider; the raw value otherwise. */
export function providerName(p: string | null): string | null {
  const id = asProviderId(p);
  return id ? PROVIDER_NAMES[id] : p;
}

const SYMBOLS: Record<string, string> = { EUR: '€', USD: '$', GBP: '£' };

/** Money as Flovi's costs give it: `€12.00`, `SEK 129.90`; no currency reads as euros (Flovi's default). */
export function formatMoney(amount: number, currency: string | null): string {
  const code = (currency ?? 'EUR').toUpperCase();
  const value = amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const symbol = SYMBOLS[code];
  if (symbol) return amount < 0 ? `−${symbol}${value.slice(1)}` : `${symbol}${value}`;
  return `${value} ${code}`;
}

/** Sum of cost lines in cents, to compare with the stated total without float noise. */
export function sumCents(prices: ReadonlyArray<number | null>): number {
  return prices.reduce<number>((acc, p) => acc + (p === null ? 0 : Math.round(p * 100)), 0);
}

/** `reservation_status_change.sealed` → `sealed`: the part after the webhook name. */
export function eventLeaf(eventType: string | null): string | null {
  if (eventType === null) return null;
  const i = eventType.lastIndexOf('.');
  return i === -1 ? eventType : eventType.slice(i + 1);
}

/** Flovi's documented reservation states, in the order they happen. */
export const FLOVI_STEPS = ['created', 'taken', 'driving', 'sealed', 'final_costs'] as const;

export type StepState = 'done' | 'current' | 'todo';

/** Where each step stands for a reservation in `state`; null when the state is not one of the steps. */
export function floviSteps(state: string | null): Array<{ step: string; status: StepState }> | null {
  const idx = FLOVI_STEPS.indexOf((state ?? '') as (typeof FLOVI_STEPS)[number]);
  if (idx === -1) return null;
  return FLOVI_STEPS.map((step, i) => ({ step, status: i < idx ? 'done' : i === idx ? 'current' : 'todo' }));
}

/** `final_costs` → `final costs`, `DRIVER_CANCELED_OR_NOT_ARRIVED` → `Driver canceled or not arrived`. */
export function humanize(token: string): string {
  const words = token.replace(/[_-]+/g, ' ').trim();
  if (words === words.toUpperCase()) {
    const lower = words.toLowerCase();
    return lower.charAt(0).toUpperCase() + lower.slice(1);
  }
  return words;
}
