/** Next fire time of five-field cron expressions (UTC): parseCron + nextCronTime in src/deploy/cron.ts. */
import { describe, expect, it } from 'vitest';
import { cronProblem, nextCronTime, parseCron, type CronSchedule } from '../src/deploy/index.ts';

const ms = (iso: string): number => new Date(iso).getTime();
const iso = (t: number): string => new Date(t).toISOString();
/** The next fire time of `expr` after `from`, as an ISO string. */
const next = (expr: string, from: string): string => iso(nextCronTime(parseCron(expr), ms(from)));
/** The first `n` fire times of `expr` after `from`. */
const chain = (expr: string, from: string, n: number): string[] => {
  const s = parseCron(expr);
  const out: string[] = [];
  for (let t = ms(from); out.length < n; ) out.push(iso((t = nextCronTime(s, t))));
  return out;
};

describe('nextCronTime', () => {
  it('every minute, every five minutes, hourly, daily', () => {
    expect(next('* * * * *', '2026-03-10T12:34:56.789Z')).toBe('2026-03-10T12:35:00.000Z');
    expect(next('* * * * *', '1969-12-31T23:59:59.000Z')).toBe('1970-01-01T00:00:00.000Z');
    expect(chain('*/5 * * * *', '2026-03-10T12:34:56Z', 3)).toEqual(['2026-03-10T12:35:00.000Z', '2026-03-10T12:40:00.000Z', '2026-03-10T12:45:00.000Z']);
    expect(next('*/5 * * * *', '2026-03-10T12:56:00Z')).toBe('2026-03-10T13:00:00.000Z');
    expect(next('0 * * * *', '2026-03-10T23:00:00Z')).toBe('2026-03-11T00:00:00.000Z');
    expect(next('0 * * * *', '2026-03-10T22:59:59.999Z')).toBe('2026-03-10T23:00:00.000Z');
    expect(next('0 0 * * *', '2026-03-31T00:00:01Z')).toBe('2026-04-01T00:00:00.000Z');
    expect(next('15 3 * * *', '2026-03-31T03:15:00Z')).toBe('2026-04-01T03:15:00.000Z');
  });

  it('weekdays only skip the weekend', () => {
    // 2026-03-13 is a Friday; 2026-03-16 the Monday after.
    expect(next('30 9 * * MON-FRI', '2026-03-13T09:30:00Z')).toBe('2026-03-16T09:30:00.000Z');
    expect(next('30 9 * * MON-FRI', '2026-03-13T10:00:00Z')).toBe('2026-03-16T09:30:00.000Z');
    expect(next('30 9 * * mon-fri', '2026-03-14T08:00:00Z')).toBe('2026-03-16T09:30:00.000Z');
    expect(next('30 9 * * MON-FRI', '2026-03-16T09:29:59Z')).toBe('2026-03-16T09:30:00.000Z');
    expect(next('30 9 * * 1-5', '2026-03-12T09:31:00Z')).toBe('2026-03-13T09:30:00.000Z');
  });

  it('a list of days of the month', () => {
    expect(chain('0 12 1,15 * *', '2026-03-01T12:00:00Z', 4)).toEqual(['2026-03-15T12:00:00.000Z', '2026-04-01T12:00:00.000Z', '2026-04-15T12:00:00.000Z', '2026-05-01T12:00:00.000Z']);
    expect(next('0 12 1,15 * *', '2026-03-15T12:00:00.001Z')).toBe('2026-04-01T12:00:00.000Z');
  });

  it('day of month OR day of week when both are restricted', () => {
    // April 2026: Fridays 3, 10, 17, 24; the 13th is a Monday. May 1 is a Friday, May 13 a Wednesday.
    expect(chain('0 0 13 * FRI', '2026-04-01T00:00:00Z', 9)).toEqual([
      '2026-04-03', '2026-04-10', '2026-04-13', '2026-04-17', '2026-04-24', '2026-05-01', '2026-05-08', '2026-05-13', '2026-05-15',
    ].map((d) => `${d}T00:00:00.000Z`));
    // Both restricted, so February 31 never matching does not matter: every Monday of February fires.
    expect(chain('0 0 31 2 MON', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-02-02T00:00:00.000Z', '2026-02-09T00:00:00.000Z', '2026-02-16T00:00:00.000Z']);
  });

  it('AND when only one is restricted; day of week 7 is Sunday like 0', () => {
    // 2026-03-13 is a Friday: the next Sundays are the 15th and 22nd.
    expect(chain('0 0 * * 0', '2026-03-13T00:00:00Z', 2)).toEqual(['2026-03-15T00:00:00.000Z', '2026-03-22T00:00:00.000Z']);
    expect(chain('0 0 * * 7', '2026-03-13T00:00:00Z', 2)).toEqual(['2026-03-15T00:00:00.000Z', '2026-03-22T00:00:00.000Z']);
    expect(chain('0 0 * * SUN', '2026-03-13T00:00:00Z', 2)).toEqual(['2026-03-15T00:00:00.000Z', '2026-03-22T00:00:00.000Z']);
    expect(chain('0 0 13 * *', '2026-04-01T00:00:00Z', 2)).toEqual(['2026-04-13T00:00:00.000Z', '2026-05-13T00:00:00.000Z']);
    // A field starting with * is unrestricted for the OR rule (Vixie cron), yet still matches only its values:
    // `*/1` in day of week matches every day, so only the 13ths fire; `*/2` in day of month means odd days AND Fridays.
    expect(chain('0 0 13 * */1', '2026-04-01T00:00:00Z', 2)).toEqual(['2026-04-13T00:00:00.000Z', '2026-05-13T00:00:00.000Z']);
    expect(chain('0 0 */2 * FRI', '2026-04-01T00:00:00Z', 3)).toEqual(['2026-04-03T00:00:00.000Z', '2026-04-17T00:00:00.000Z', '2026-05-01T00:00:00.000Z']);
  });

  it('month names and steps', () => {
    expect(chain('0 0 1 JAN-DEC/3 *', '2026-01-01T00:00:00Z', 4)).toEqual(['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    // N/S runs from N to the maximum: months 2, 7, 12.
    expect(chain('0 0 1 2/5 *', '2026-01-01T00:00:00Z', 4)).toEqual(['2026-02-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z']);
    expect(chain('10-20/5 2 * * *', '2026-01-01T02:10:00Z', 3)).toEqual(['2026-01-01T02:15:00.000Z', '2026-01-01T02:20:00.000Z', '2026-01-02T02:10:00.000Z']);
  });

  it('leap days, skipping 2100 (no leap year), quickly', () => {
    expect(next('0 0 29 2 *', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2028-02-29T00:00:00Z')).toBe('2032-02-29T00:00:00.000Z');
    expect(next('0 0 29 2 *', '2096-02-29T00:00:00Z')).toBe('2104-02-29T00:00:00.000Z');
    const s = parseCron('0 0 29 2 *');
    const started = performance.now();
    let t = ms('2001-01-01T00:00:00Z');
    for (let i = 0; i < 97; i++) t = nextCronTime(s, t); // the 97 leap days of 2001–2400
    expect(iso(t)).toBe('2400-02-29T00:00:00.000Z');
    expect(performance.now() - started).toBeLessThan(1000); // a few ms when months are skipped; minute stepping would take far longer
  });

  it('rolls over into the next year, and works before year 100', () => {
    expect(next('0 0 1 1 *', '2026-12-31T23:59:30Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('59 23 31 12 *', '2026-12-31T23:59:00Z')).toBe('2027-12-31T23:59:00.000Z');
    expect(next('0 0 1 1 *', '0050-06-01T00:00:00Z')).toBe('0051-01-01T00:00:00.000Z');
  });

  it('is strictly after afterMs', () => {
    expect(next('0 12 * * *', '2026-03-10T12:00:00.000Z')).toBe('2026-03-11T12:00:00.000Z');
    expect(next('0 12 * * *', '2026-03-10T12:00:30.000Z')).toBe('2026-03-11T12:00:00.000Z');
    expect(next('0 12 * * *', '2026-03-10T11:59:59.999Z')).toBe('2026-03-10T12:00:00.000Z');
    expect(next('*/5 * * * *', '2026-03-10T12:35:00.000Z')).toBe('2026-03-10T12:40:00.000Z');
    expect(next('*/5 * * * *', '2026-03-10T12:35:30.000Z')).toBe('2026-03-10T12:40:00.000Z');
  });

  it('returns NaN for a schedule that never fires within 400 years, and for a non-finite start', () => {
    const feb31: CronSchedule = { minutes: new Set([0]), hours: new Set([0]), daysOfMonth: new Set([31]), months: new Set([2]), daysOfWeek: new Set([0, 1, 2, 3, 4, 5, 6]), domRestricted: true, dowRestricted: false };
    expect(nextCronTime(feb31, ms('2026-01-01T00:00:00Z'))).toBeNaN();
    expect(nextCronTime(parseCron('* * * * *'), NaN)).toBeNaN();
    expect(nextCronTime(parseCron('* * * * *'), Infinity)).toBeNaN();
  });
});

describe('parseCron', () => {
  it('returns the value sets, folding day of week 7 to 0, with the Vixie star flags', () => {
    const s = parseCron('0-30/10 9 1,15 JAN-DEC/3 1-7/2');
    expect([...s.minutes]).toEqual([0, 10, 20, 30]);
    expect([...s.hours]).toEqual([9]);
    expect([...s.daysOfMonth]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 4, 7, 10]);
    expect([...s.daysOfWeek].sort()).toEqual([0, 1, 3, 5]);
    expect([s.domRestricted, s.dowRestricted]).toEqual([true, true]);
    const t = parseCron('* * */2 * *');
    expect(t.minutes.size).toBe(60);
    expect(t.daysOfWeek.size).toBe(7);
    expect([t.domRestricted, t.dowRestricted]).toEqual([false, false]);
  });

  it("throws cronProblem's message", () => {
    for (const bad of ['60 * * * *', '* * * *', '* * * * FUN', '0 0 31 2 *']) expect(() => parseCron(bad), bad).toThrow(cronProblem(bad)!);
  });

  it('cronProblem refuses expressions that can never fire', () => {
    expect(cronProblem('0 0 30 2 *')).toBe('never fires: day of month "30" does not occur in FEB (February has at most 29 days; April, June, September and November 30)');
    for (const never of ['0 0 31 2 *', '0 0 30-31 FEB *', '0 0 31 4,6,9,11 *', '0 0 31 APR-JUN/2 *', '0 0 31 APR */2']) {
      expect(cronProblem(never), never).toMatch(/^never fires: day of month .* does not occur in /);
    }
    // Fires: a 29th of February, a 31st in May, Mondays or 31sts in February (both restricted, so OR), the 30th of March, the 1st of February.
    for (const ok of ['0 0 29 2 *', '0 0 31 4,5 *', '0 0 31 * *', '0 0 31 2 MON', '0 0 30,31 2 1-5', '0 0 30 2,3 *', '0 0 * 2 *', '0 0 */30 2 *']) expect(cronProblem(ok), ok).toBeUndefined();
  });
});

/** mulberry32: a small seeded generator, so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GenField { text: string; values: Set<number>; star: boolean }

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** A random field over min..max and, computed independently of the parser, the values it matches. */
function genField(r: () => number, min: number, max: number, names?: readonly string[], nameBase = 0): GenField {
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const show = (n: number): string => (names && n - nameBase < names.length && r() < 0.4 ? names[n - nameBase]!.toLowerCase() : String(n));
  const values = new Set<number>();
  const parts: string[] = [];
  const count = r() < 0.7 ? 1 : int(2, 3);
  for (let i = 0; i < count; i++) {
    const kind = r();
    let lo = min, hi = max, step = 1, text: string;
    if (kind < 0.25) {
      text = '*';
    } else if (kind < 0.4) {
      step = int(1, Math.min(max, 15));
      text = `*/${step}`;
    } else if (kind < 0.7) {
      lo = hi = int(min, max);
      text = show(lo);
    } else if (kind < 0.85) {
      lo = int(min, max);
      hi = int(lo, max);
      text = `${show(lo)}-${show(hi)}`;
      if (r() < 0.5) text += `/${(step = int(1, Math.min(max, 10)))}`;
    } else {
      lo = int(min, max);
      step = int(1, Math.min(max, 10));
      text = `${show(lo)}/${step}`;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
    parts.push(text);
  }
  return { text: parts.join(','), values, star: parts[0]!.startsWith('*') };
}

interface Gen { expr: string; matches: (t: number) => boolean }

function genExpr(r: () => number): Gen {
  // Dense minute/hour fields half the time, so many results land within the brute-force window.
  const minute = r() < 0.5 ? genField(r, 0, 59) : { text: '*', values: new Set(Array.from({ length: 60 }, (_, i) => i)), star: true };
  const hour = genField(r, 0, 23);
  const dom = r() < 0.5 ? genField(r, 1, 31) : { text: '*', values: new Set(Array.from({ length: 31 }, (_, i) => i + 1)), star: true };
  const month = r() < 0.6 ? { text: '*', values: new Set(Array.from({ length: 12 }, (_, i) => i + 1)), star: true } : genField(r, 1, 12, MONTHS, 1);
  const dow = r() < 0.5 ? genField(r, 0, 7, DAYS) : { text: '*', values: new Set([0, 1, 2, 3, 4, 5, 6, 7]), star: true };
  const either = !dom.star && !dow.star;
  const matches = (t: number): boolean => {
    const d = new Date(t);
    if (d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0) return false;
    if (!minute.values.has(d.getUTCMinutes()) || !hour.values.has(d.getUTCHours()) || !month.values.has(d.getUTCMonth() + 1)) return false;
    const wd = d.getUTCDay();
    const domOk = dom.values.has(d.getUTCDate());
    const dowOk = dow.values.has(wd) || (wd === 0 && dow.values.has(7));
    return either ? domOk || dowOk : domOk && dowOk;
  };
  return { expr: [minute, hour, dom, month, dow].map((f) => f.text).join(' '), matches };
}

describe('nextCronTime against a naive matcher', () => {
  it('200 random expressions from random starts: after, matching, and (within 3 days) the first match', () => {
    const r = rng(20260310);
    const MINUTE = 60_000;
    let bruteForced = 0;
    for (let n = 0; n < 200; ) {
      const g = genExpr(r);
      const problem = cronProblem(g.expr);
      if (problem !== undefined) {
        // The generator only makes well-formed fields, so the only refusal is a day that never occurs.
        expect(problem, g.expr).toMatch(/^never fires/);
        continue;
      }
      n++;
      const after = ms('2000-01-01T00:00:00Z') + Math.floor(r() * 60 * 365.25 * 86_400_000) - (r() < 0.3 ? 0 : Math.floor(r() * MINUTE));
      const start = r() < 0.3 ? Math.floor(after / MINUTE) * MINUTE : after; // sometimes exactly on a minute
      const got = nextCronTime(parseCron(g.expr), start);
      const where = `${g.expr} after ${iso(start)}`;
      expect(Number.isFinite(got), where).toBe(true);
      expect(got, where).toBeGreaterThan(start);
      expect(g.matches(got), `${where} gave ${iso(got)}`).toBe(true);
      if (got - start <= 3 * 86_400_000) {
        bruteForced++;
        for (let t = (Math.floor(start / MINUTE) + 1) * MINUTE; t < got; t += MINUTE) {
          if (g.matches(t)) expect.fail(`${where} gave ${iso(got)} but ${iso(t)} matches first`);
        }
      }
    }
    expect(bruteForced).toBeGreaterThan(50);
  });
});
