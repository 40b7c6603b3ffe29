/** Five-field cron expressions (UTC) for `triggers.crons`: checked at deploy, so a scheduler never meets a bad one. */

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

function value(text: string, f: Field): number {
  const i = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (i !== -1) return f.name === 'month' ? i + 1 : i;
  if (!/^\d{1,2}$/.test(text)) throw new Error(`${f.name} ${JSON.stringify(text)} is not a number${f.names ? ` or ${f.names[0]}–${f.names.at(-1)}` : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new Error(`${f.name} ${n} is outside ${f.min}–${f.max}`);
  return n;
}

function checkField(text: string, f: Field): void {
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`${f.name} ${JSON.stringify(part)} is not *, N, N-M or one of those with /STEP`);
    const [, range, step] = m;
    if (step !== undefined && (Number(step) < 1 || Number(step) > f.max)) throw new Error(`${f.name} step ${step} is outside 1–${f.max}`);
    if (range === '*') continue;
    const [a, b, ...more] = range!.split('-');
    if (more.length || a === '' || b === '') throw new Error(`${f.name} ${JSON.stringify(range)} is not a number or a range N-M`);
    const lo = value(a!, f);
    if (b !== undefined && value(b, f) < lo) throw new Error(`${f.name} range ${range} goes backwards`);
  }
}

/** The reason `expr` is not a five-field cron expression, or undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has five (minute hour day-of-month month day-of-week)`;
  try {
    fields.forEach((t, i) => checkField(t, FIELDS[i]!));
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
