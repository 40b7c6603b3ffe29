/** Parses and checks a revision's configuration (env, concurrency, limits, scaling) from JSON or query parameters, by the rows of config/revision-settings.ts. */
import { EdgeError } from '../core/errors.ts';
import { LIMIT_NAMES, SCALING_NAMES, settable, settingPath, type LimitName, type SettableName } from '../config/index.ts';
import type { AsyncSettings, RevisionConfig } from '../store/index.ts';
import { cronProblem, MAX_CRONS } from './cron.ts';

/** Query parameters that say how a revision joins the traffic, not what it is. */
const ROLLOUT_PARAMS = new Set(['tag', 'noTraffic']);
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_ENV_BYTES = 64 * 1024;

/**
 * The Workers compatibility flags this host honours: it is workerd without Node.js compatibility
 * (design §9), so only the flag that says so. Any other flag is refused rather than ignored: a
 * project that asks for behaviour the host does not have should not deploy as if it had it.
 */
export const COMPATIBILITY_FLAGS: readonly string[] = ['no_nodejs_compat'];
const NODE_FLAGS = new Set(['nodejs_compat', 'nodejs_compat_v2', 'nodejs_als', 'nodejs_compat_populate_process_env']);
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The config fields, in the order the error messages list them. */
export const CONFIG_FIELDS = ['env', 'concurrency', 'limits', 'scaling', 'compatibilityDate', 'compatibilityFlags', 'triggers', 'async'] as const;

export { LIMIT_NAMES, type LimitName };
const LIMITS = new Set<string>(LIMIT_NAMES);
const SCALING = new Set<string>(SCALING_NAMES);

function bad(message: string): EdgeError {
  return new EdgeError('EDGE_ERR_INVALID_CONFIG', message);
}

/** A setting's value (a number, or a string of digits from a query or a form) within its row's bounds. */
function int(value: unknown, name: SettableName): number {
  const { min, max } = settable(name);
  const what = settingPath(name);
  // Only a setting whose bounds go below zero (targetBurstCapacity's -1) takes a signed string; never "-0".
  const digits = min < 0 ? /^(?:-[1-9]\d*|\d+)$/ : /^\d+$/;
  const n = typeof value === 'string' && digits.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(`${what} ${JSON.stringify(value)} must be an integer from ${min} to ${max}`);
  return n;
}

/** A config JSON object: `{ env?: {K: "v"}, concurrency?: n, limits?: {…}, scaling?: {…} }`, checked against REVISION_SETTINGS. */
export function parseRevisionConfig(raw: unknown): RevisionConfig {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('config must be a JSON object');
  const { env = {}, concurrency = 0, limits = {}, scaling, compatibilityDate, compatibilityFlags, triggers, async: asyncBlock, ...rest } = raw as Record<string, unknown>;
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length) throw bad(`unknown config field ${JSON.stringify(unknownKeys[0])} (known: ${CONFIG_FIELDS.join(', ')})`);
  if (env === null || typeof env !== 'object' || Array.isArray(env)) throw bad('config.env must be an object of strings');
  const outEnv: Record<string, string> = {};
  let size = 0;
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME_RE.test(k)) throw bad(`env name ${JSON.stringify(k)} must match ${ENV_NAME_RE.source}`);
    if (typeof v !== 'string') throw bad(`env ${k} must be a string, got ${typeof v}`);
    size += k.length + Buffer.byteLength(v);
    outEnv[k] = v;
  }
  if (size > MAX_ENV_BYTES) throw new EdgeError('EDGE_ERR_ENV_TOO_LARGE', `env is ${size} bytes, over the limit of ${MAX_ENV_BYTES}`);
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) throw bad('config.limits must be an object');
  const outLimits: Record<string, number> = {};
  for (const [k, v] of Object.entries(limits)) {
    if (!LIMITS.has(k)) throw bad(`unknown limit ${JSON.stringify(k)} (known: ${LIMIT_NAMES.join(', ')})`);
    outLimits[k] = int(v, k as LimitName);
  }
  const out: RevisionConfig = { env: outEnv, concurrency: int(concurrency, 'concurrency'), limits: outLimits as RevisionConfig['limits'] };
  if (scaling !== undefined) {
    if (scaling === null || typeof scaling !== 'object' || Array.isArray(scaling)) throw bad('config.scaling must be an object');
    const sc: Record<string, number> = {};
    for (const [k, v] of Object.entries(scaling)) {
      if (!SCALING.has(k)) throw bad(`unknown scaling setting ${JSON.stringify(k)} (known: ${SCALING_NAMES.join(', ')})`);
      sc[k] = int(v, k as SettableName);
    }
    if (sc.maxScale && sc.minScale !== undefined && sc.minScale > sc.maxScale) throw bad(`scaling.minScale ${sc.minScale} is above scaling.maxScale ${sc.maxScale}`);
    if (Object.keys(sc).length) out.scaling = sc;
  }
  if (compatibilityDate !== undefined) out.compatibilityDate = parseDate(compatibilityDate);
  if (compatibilityFlags !== undefined) out.compatibilityFlags = parseFlags(compatibilityFlags);
  if (triggers !== undefined) out.triggers = parseTriggers(triggers);
  if (asyncBlock !== undefined) {
    const a = parseAsync(asyncBlock);
    if (Object.keys(a).length) out.async = a;
  }
  return out;
}

/** The bounds of the `async` block's numbers (the host's async.* options have the same). */
const ASYNC_INTS: Record<Exclude<keyof AsyncSettings, 'retryOn'>, [number, number]> = {
  maxAttempts: [1, 100], initialRetryMs: [1, 3_600_000], maxRetryMs: [1, 86_400_000], maxAgeS: [1, 31_536_000], maxInflight: [1, 100_000],
};

/** `{ maxAttempts?, initialRetryMs?, maxRetryMs?, maxAgeS?, retryOn?: [status…], maxInflight? }`: the function's own async policy. */
function parseAsync(v: unknown): AsyncSettings {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('config.async must be an object: { maxAttempts, initialRetryMs, maxRetryMs, maxAgeS, retryOn, maxInflight }');
  const out: AsyncSettings = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'retryOn') {
      if (!Array.isArray(x) || x.some((s) => !Number.isInteger(s) || s < 400 || s > 599)) throw bad('async.retryOn must be an array of HTTP statuses from 400 to 599');
      out.retryOn = [...new Set(x as number[])].sort((a, b) => a - b);
      continue;
    }
    const range = ASYNC_INTS[k as keyof typeof ASYNC_INTS];
    if (!range) throw bad(`unknown async setting ${JSON.stringify(k)} (known: ${[...Object.keys(ASYNC_INTS), 'retryOn'].join(', ')})`);
    if (!Number.isInteger(x) || (x as number) < range[0] || (x as number) > range[1]) throw bad(`async.${k} ${JSON.stringify(x)} must be an integer from ${range[0]} to ${range[1]}`);
    out[k as keyof typeof ASYNC_INTS] = x as number;
  }
  if (out.initialRetryMs !== undefined && out.maxRetryMs !== undefined && out.initialRetryMs > out.maxRetryMs) throw bad(`async.initialRetryMs ${out.initialRetryMs} is above async.maxRetryMs ${out.maxRetryMs}`);
  return out;
}

function parseDate(v: unknown): string {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!d || d.toISOString().slice(0, 10) !== v) throw bad(`compatibilityDate ${JSON.stringify(v)} must be a date YYYY-MM-DD`);
  return v as string;
}

function parseFlags(v: unknown): string[] {
  if (!Array.isArray(v)) throw bad('compatibilityFlags must be an array of strings');
  const out: string[] = [];
  for (const f of v) {
    if (typeof f !== 'string') throw bad(`compatibility flag ${JSON.stringify(f)} must be a string`);
    if (NODE_FLAGS.has(f)) throw bad(`compatibility flag ${JSON.stringify(f)} is not supported: this host provides no Node.js APIs (require, process, Buffer, node:* modules); remove the flag and the Node imports`);
    if (!COMPATIBILITY_FLAGS.includes(f)) throw bad(`compatibility flag ${JSON.stringify(f)} is not supported (supported: ${COMPATIBILITY_FLAGS.join(', ')})`);
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

function parseTriggers(v: unknown): { crons: string[] } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('triggers must be an object: { crons: ["* * * * *"] }');
  const { crons = [], ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length) throw bad(`unknown trigger ${JSON.stringify(Object.keys(rest)[0])} (known: crons)`);
  if (!Array.isArray(crons)) throw bad('triggers.crons must be an array of cron expressions');
  if (crons.length > MAX_CRONS) throw bad(`triggers.crons has ${crons.length} expressions, over the limit of ${MAX_CRONS}`);
  const out: string[] = [];
  for (const c of crons) {
    if (typeof c !== 'string') throw bad(`triggers.crons entry ${JSON.stringify(c)} must be a string`);
    const problem = cronProblem(c);
    if (problem) throw bad(`triggers.crons ${JSON.stringify(c)} ${problem.startsWith('has ') ? problem : `is not a cron expression: ${problem}`}`);
    const norm = c.trim().split(/\s+/).join(' ');
    if (!out.includes(norm)) out.push(norm);
  }
  return { crons: out };
}

/** Refuses per-revision limits above the host's maximums (`limits.maxCpuMs`, …). */
export function checkHostMaximums(limits: RevisionConfig['limits'], max: Record<LimitName, number>): void {
  for (const k of LIMIT_NAMES) {
    const v = limits[k];
    const cap = settable(k).hostMax;
    if (v !== undefined && cap !== undefined && v > max[k]) throw bad(`limits.${k} ${v} is above the host maximum ${max[k]} (${cap})`);
  }
}

/**
 * A configuration change as a JSON merge patch (RFC 7396) over `base`: objects merge,
 * `null` removes a key (an env variable or a limit), anything else replaces.
 */
export function mergeConfigPatch(base: RevisionConfig, patch: unknown): RevisionConfig {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw bad('the config patch must be a JSON object');
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return b;
    const out: Record<string, unknown> = { ...(a !== null && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : {}) };
    for (const [k, v] of Object.entries(b)) {
      if (v === null) delete out[k];
      else out[k] = merge(out[k], v);
    }
    return out;
  };
  return parseRevisionConfig(merge(base, patch));
}

/**
 * Query parameters as config: `env.NAME=value` (repeatable names), `concurrency=n`, and
 * every limit and scaling setting by its bare name (`cpuMs=n`, `minScale=n`). Merged over
 * `base` (a multipart config part).
 */
export function configFromQuery(query: Record<string, unknown>, base: unknown = {}): RevisionConfig {
  const merged = { ...(typeof base === 'object' && base !== null ? base : {}) } as Record<string, unknown>;
  const env = { ...((merged.env as Record<string, unknown>) ?? {}) };
  const limits = { ...((merged.limits as Record<string, unknown>) ?? {}) };
  const scaling = { ...((merged.scaling as Record<string, unknown>) ?? {}) };
  for (const [k, v] of Object.entries(query)) {
    const value = Array.isArray(v) ? v.at(-1) : v;
    if (k.startsWith('env.')) env[k.slice(4)] = value;
    else if (k === 'concurrency') merged.concurrency = value;
    else if (LIMITS.has(k)) limits[k] = value;
    else if (SCALING.has(k)) scaling[k] = value;
    else if (ROLLOUT_PARAMS.has(k)) continue;
    else throw bad(`unknown query parameter ${JSON.stringify(k)} (known: env.NAME, concurrency, ${LIMIT_NAMES.join(', ')}, ${SCALING_NAMES.join(', ')}, tag, noTraffic)`);
  }
  return parseRevisionConfig({ ...merged, env, limits, ...(Object.keys(scaling).length ? { scaling } : {}) });
}
