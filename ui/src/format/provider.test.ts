import { describe, expect, it } from 'vitest';

import { asProviderId, eventLeaf, floviSteps, formatMoney, humanize, providerName, sumCents } from './provider';

describe('providers', () => {
  it('normalise ids and names', () => {
    expect(asProviderId('Fleiko')).toBe('fleiko');
    expect(asProviderId('stripe')).toBeNull();
    expect(asProviderId(null)).toBeNull();
    expect(providerName('flovi')).toBe('Flovi');
    expect(providerName('custom')).toBe('custom');
    expect(providerName(null)).toBeNull();
  });
});

describe('Flovi reservation', () => {
  it('places the state on the documented steps', () => {
    expect(floviSteps('sealed')?.map((s) => s.status)).toEqual(['done', 'done', 'done', 'current', 'todo']);
    expect(floviSteps('created')?.[0]).toEqual({ step: 'created', status: 'current' });
    expect(floviSteps('cancelled')).toBeNull();
    expect(floviSteps('relocating')).toBeNull();
    expect(floviSteps(null)).toBeNull();
  });

  it('formats money and compares totals in cents', () => {
    expect(formatMoney(184.2, 'EUR')).toBe('€184.20');
    expect(formatMoney(23, null)).toBe('€23.00');
    expect(formatMoney(1234.5, 'usd')).toBe('$1,234.50');
    expect(formatMoney(129.9, 'SEK')).toBe('129.90 SEK');
    expect(formatMoney(-5, 'EUR')).toBe('−€5.00');
    expect(sumCents([152.4, 18, 13.8])).toBe(18420);
    expect(sumCents([0.1, 0.2, null])).toBe(30);
  });

  it('humanises tokens', () => {
    expect(humanize('final_costs')).toBe('final costs');
    expect(humanize('NO_DRIVER_WAS_FOUND')).toBe('No driver was found');
    expect(eventLeaf('reservation_status_change.sealed')).toBe('sealed');
    expect(eventLeaf('ping')).toBe('ping');
  });
});
