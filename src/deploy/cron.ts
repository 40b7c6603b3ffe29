/**
 * Five-field cron expressions (UTC) for `triggers.crons`: checked at deploy, so a scheduler never meets a bad one
 * (`cronProblem`), and parsed into a schedule whose next fire time is computed without stepping minute by minute
 * (`parseCron`, `nextCronTime`). One parser serves both.
 */

interface Field { name: string; min: number; max: number; names?: readonly string[] }

/** Vixie cron's fields: day of week 0–7 with 0 and 7 both Sunday (Cloudflare counts 1–7 from Sunday; names mean the same day on both). */
const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Most cron triggers a revision may have. */
export const MAX_CRONS = 10;

/**
 * A parsed cron expression. Each field is the set of values it matches (sets rather than bitmasks, since minutes
 * need 60 bits): minutes 0–59, hours 0–23, daysOfMonth 1–31, months 1–12, daysOfWeek 0–6 (Sunday 0; 7 is folded to 0).
 * `domRestricted` / `dowRestricted` are Vixie cron's "field does not start with `*`" flags: when both are true a day
 * matches if EITHER its day of month or its day of week is in its set; otherwise it must be in BOTH sets (so a stepped
 * star, every second day of the month, counts as unrestricted for this rule yet still matches only odd days, as in Vixie cron).
 */
export interface CronSchedule {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

function value(text: string, f: Field): number {
  const i = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (i !== -1) return f.name === 'month' ? i + 1 : i;
  if (!/^\d{1,2}$/.test(text)) throw new Error(`${f.name} ${JSON.stringify(text)} is not a number${f.names ? ` or ${f.names[0]}–${f.names.at(-1)}` : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new Error(`${f.name} ${n} is outside ${f.min}–${f.max}`);
  return n;
}

/** The values one field matches: `*`, `N`, `N-M`, each optionally `/STEP` (`N/STEP` runs from N to the field's maximum, as in Vixie cron). */
function parseField(text: string, f: Field): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`${f.name} ${JSON.stringify(part)} is not *, N, N-M or one of those with /STEP`);
    const [, range, step] = m;
    if (step !== undefined && (Number(step) < 1 || Number(step) > f.max)) throw new Error(`${f.name} step ${step} is outside 1–${f.max}`);
    let lo = f.min;
    let hi = f.max;
    if (range !== '*') {
      const [a, b, ...more] = range!.split('-');
      if (more.length || a === '' || b === '') throw new Error(`${f.name} ${JSON.stringify(range)} is not a number or a range N-M`);
      lo = value(a!, f);
      if (b !== undefined) {
        hi = value(b, f);
        if (hi < lo) throw new Error(`${f.name} range ${range} goes backwards`);
      } else if (step === undefined) hi = lo;
    }
    for (let v = lo; v <= hi; v += step === undefined ? 1 : Number(step)) out.add(v);
  }
  return out;
}

const MONTH_NAMES = FIELDS[3]!.names!;
/** The most days each month can have (February 29, in leap years). */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses `expr`, throwing an Error whose message is the reason it is not a usable five-field cron expression. */
function parse(expr: string): CronSchedule {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has five (minute hour day-of-month month day-of-week)`);
  const [minutes, hours, daysOfMonth, months, dow] = fields.map((t, i) => parseField(t, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const daysOfWeek = new Set([...dow].map((d) => d % 7));
  const domRestricted = !fields[2]!.startsWith('*');
  const dowRestricted = !fields[4]!.startsWith('*');
  // With the OR rule every month has every weekday, so the expression fires. With the AND rule it fires exactly when
  // some chosen day of month exists in some chosen month: every calendar date (even February 29) falls on every
  // weekday within the 400-year Gregorian cycle.
  if (!(domRestricted && dowRestricted) && ![...months].some((mo) => [...daysOfMonth].some((d) => d <= MAX_DAYS[mo - 1]!))) {
    const inMonths = [...months].sort((a, b) => a - b).map((mo) => MONTH_NAMES[mo - 1]).join(', ');
    throw new Error(`never fires: day of month ${JSON.stringify(fields[2])} does not occur in ${inMonths} (February has at most 29 days; April, June, September and November 30)`);
  }
  return { minutes, hours, daysOfMonth, months, daysOfWeek, domRestricted, dowRestricted };
}

/** The reason `expr` is not a five-field cron expression (or is one that can never fire), or undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  try {
    parse(expr);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** The schedule of a five-field cron expression; throws an Error with `cronProblem`'s message when `expr` has a problem. */
export function parseCron(expr: string): CronSchedule {
  return parse(expr);
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Calendar dates and weekdays repeat every 400 years (146097 days, exactly 20871 weeks). */
const CYCLE_YEARS = 400;

/** The proleptic Gregorian date [year, month 1–12, day] of a day count from 1970-01-01 (Hinnant's civil_from_days; pure arithmetic, reads no clock). */
function civilFromDays(z: number): [y: number, mo: number, d: number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (mo <= 2 ? 1 : 0), mo, d];
}

function daysInMonth(y: number, mo: number): number {
  if (mo !== 2) return MAX_DAYS[mo - 1]!;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}

/** The least member of `set` in from..max, or -1. */
function nextIn(set: ReadonlySet<number>, from: number, max: number): number {
  for (let v = from; v <= max; v++) if (set.has(v)) return v;
  return -1;
}

/**
 * The first whole minute (Unix ms; seconds and milliseconds zero) strictly after `afterMs` that `schedule` matches, in UTC.
 * Skips whole months, days and hours that cannot match, so even a yearly or leap-day schedule takes a few hundred steps.
 * Returns NaN when nothing matches within 400 years after `afterMs` (or `afterMs` is not finite): the Gregorian calendar
 * repeats every 400 years, so such a schedule never fires (`parseCron` refuses those, so only a hand-built schedule can).
 * Pure: reads no clock.
 */
export function nextCronTime(schedule: CronSchedule, afterMs: number): number {
  if (!Number.isFinite(afterMs)) return NaN;
  const { minutes, hours, daysOfMonth, months, daysOfWeek, domRestricted, dowRestricted } = schedule;
  const either = domRestricted && dowRestricted;
  const start = (Math.floor(afterMs / MINUTE_MS) + 1) * MINUTE_MS;
  let day = Math.floor(start / DAY_MS);
  let minuteOfDay = (start - day * DAY_MS) / MINUTE_MS;
  let [y, mo, d] = civilFromDays(day);
  const lastYear = y + CYCLE_YEARS;
  while (y <= lastYear) {
    if (!months.has(mo)) {
      // Skip to the first day of the next month.
      day += daysInMonth(y, mo) - d + 1;
      if (++mo > 12) { mo = 1; y++; }
      d = 1;
      minuteOfDay = 0;
      continue;
    }
    const domOk = daysOfMonth.has(d);
    const dowOk = daysOfWeek.has((((day + 4) % 7) + 7) % 7); // 1970-01-01 was a Thursday
    if (either ? domOk || dowOk : domOk && dowOk) {
      const hour = Math.floor(minuteOfDay / 60);
      // At most two hours are tried: the first allowed hour from now, whose allowed minutes may all have passed, then the next.
      for (let h = nextIn(hours, hour, 23); h !== -1; h = nextIn(hours, h + 1, 23)) {
        const m = nextIn(minutes, h === hour ? minuteOfDay % 60 : 0, 59);
        if (m !== -1) return (day * 1440 + h * 60 + m) * MINUTE_MS;
      }
    }
    // Next day.
    day++;
    minuteOfDay = 0;
    if (++d > daysInMonth(y, mo)) {
      d = 1;
      if (++mo > 12) { mo = 1; y++; }
    }
  }
  return NaN;
}
