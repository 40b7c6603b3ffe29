/** Revision config fields from Workers projects: triggers.crons, compatibilityDate, compatibilityFlags (not numeric settings, so not rows of config/revision-settings.ts). */
import { describe, expect, it } from 'vitest';
import { cronProblem, mergeConfigPatch, parseRevisionConfig } from '../src/deploy/index.ts';
import { EdgeError } from '../src/core/errors.ts';

const refusal = (raw: unknown): string => {
  try {
    parseRevisionConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(EdgeError);
    expect((e as EdgeError).code).toBe('EDGE_ERR_INVALID_CONFIG');
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('cron expressions', () => {
  it('accepts the five-field forms', () => {
    for (const c of ['* * * * *', '*/5 * * * *', '0 0 * * *', '30 9 * * MON-FRI', '0 12 1,15 * *', '0 0 1 JAN-DEC/3 SUN', '59 23 31 12 7', '0-30/10 0-23/2 1-31 1-12 0-6']) expect(cronProblem(c), c).toBeUndefined();
  });
  it('refuses anything else with a reason', () => {
    expect(cronProblem('* * * *')).toMatch(/has 4 fields/);
    expect(cronProblem('* * * * * *')).toMatch(/has 6 fields/);
    expect(cronProblem('60 * * * *')).toBe('minute 60 is outside 0–59');
    expect(cronProblem('* 24 * * *')).toBe('hour 24 is outside 0–23');
    expect(cronProblem('* * 0 * *')).toBe('day of month 0 is outside 1–31');
    expect(cronProblem('* * * 13 *')).toBe('month 13 is outside 1–12');
    expect(cronProblem('* * * * 8')).toBe('day of week 8 is outside 0–7');
    expect(cronProblem('* * * * FUN')).toMatch(/day of week "FUN" is not a number or SUN–SAT/);
    expect(cronProblem('5-1 * * * *')).toMatch(/goes backwards/);
    expect(cronProblem('*/0 * * * *')).toMatch(/step 0/);
    expect(cronProblem('* * L * *')).toMatch(/day of month "L"/);
    expect(cronProblem('@daily')).toMatch(/has 1 field;/);
  });
});

describe('revision config', () => {
  it('stores triggers.crons (normalised, deduplicated), the compatibility date and flags', () => {
    const c = parseRevisionConfig({ triggers: { crons: ['*/5  * * * *', '0 0 * * *', '*/5 * * * *'] }, compatibilityDate: '2025-03-10', compatibilityFlags: ['no_nodejs_compat'] });
    expect(c).toEqual({ env: {}, concurrency: 0, limits: {}, triggers: { crons: ['*/5 * * * *', '0 0 * * *'] }, compatibilityDate: '2025-03-10', compatibilityFlags: ['no_nodejs_compat'] });
    // Absent fields stay absent, so existing configs compare equal.
    expect(parseRevisionConfig({})).toEqual({ env: {}, concurrency: 0, limits: {} });
  });
  it('refuses bad triggers, dates and flags with their names', () => {
    expect(refusal({ triggers: { crons: ['61 * * * *'] } })).toBe('triggers.crons "61 * * * *" is not a cron expression: minute 61 is outside 0–59');
    expect(refusal({ triggers: { crons: '* * * * *' } })).toMatch(/triggers.crons must be an array/);
    expect(refusal({ triggers: { queues: [] } })).toMatch(/unknown trigger "queues"/);
    expect(refusal({ triggers: { crons: Array(11).fill('* * * * *') } })).toMatch(/over the limit of 10/);
    expect(refusal({ compatibilityDate: '2025-02-30' })).toMatch(/compatibilityDate "2025-02-30" must be a date/);
    expect(refusal({ compatibilityFlags: ['nodejs_compat'] })).toMatch(/"nodejs_compat" is not supported: this host provides no Node.js APIs/);
    expect(refusal({ compatibilityFlags: ['streams_enable_constructors'] })).toBe('compatibility flag "streams_enable_constructors" is not supported (supported: no_nodejs_compat)');
    expect(refusal({ bogus: 1 })).toMatch(/known: env, concurrency, limits, scaling, compatibilityDate, compatibilityFlags, triggers/);
  });
  it('a config patch replaces or removes them', () => {
    const base = parseRevisionConfig({ triggers: { crons: ['0 0 * * *'] }, compatibilityDate: '2025-03-10' });
    expect(mergeConfigPatch(base, { triggers: { crons: ['0 1 * * *'] } }).triggers).toEqual({ crons: ['0 1 * * *'] });
    expect(mergeConfigPatch(base, { triggers: null, compatibilityDate: null })).toEqual({ env: {}, concurrency: 0, limits: {} });
  });
});
