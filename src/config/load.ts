/** Builds the Config: defaults < isoedge.config.json < ISOEDGE_* environment < --flags, validated once. */
import { OPTIONS, type Config, type OptionSpec } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Source = { where: string; raw: unknown };

export interface ConfigSources {
  /** Parsed isoedge.config.json (nested object), if any. */
  file?: { path: string; data: unknown };
  env?: Record<string, string | undefined>;
  argv?: readonly string[];
}

function getPath(obj: unknown, key: string): unknown {
  let cur = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function coerce(spec: OptionSpec, src: Source): string | number | boolean | string[] {
  const { raw, where } = src;
  const bad = (why: string) => new ConfigError(`invalid ${spec.key} (${where}): ${JSON.stringify(raw)} ${why}`);
  switch (spec.type) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw bad('is not an integer');
      if (spec.min !== undefined && n < spec.min) throw bad(`is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`is above the maximum ${spec.max}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw bad('is not a boolean (true/false/1/0)');
    }
    case 'list': {
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw;
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
      throw bad('is not a list of strings');
    }
    case 'host': {
      if (typeof raw !== 'string' || !/^[A-Za-z0-9.:[\]-]{1,253}$/.test(raw)) throw bad('is not a host name or IP address');
      return raw;
    }
    case 'string': {
      if (typeof raw !== 'string') throw bad('is not a string');
      if (spec.choices && !spec.choices.includes(raw)) throw bad(`is not one of ${spec.choices.join(', ')}`);
      return raw;
    }
  }
}

/** Parses `--flag value`, `--flag=value`, `--flag` (bool true) and `--no-flag` (bool false). */
function parseFlags(argv: readonly string[]): Map<string, Source> {
  const out = new Map<string, Source>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg : arg.slice(0, eq);
    let value: unknown = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = OPTIONS.find((o) => o.flag === name);
    if (!spec && name.startsWith('--no-')) {
      spec = OPTIONS.find((o) => o.flag === '--' + name.slice(5) && o.type === 'bool');
      if (spec && value === undefined) { name = spec.flag; value = false; }
    }
    if (!spec) throw new ConfigError(`unknown option ${name} (see --help)`);
    if (value === undefined) {
      if (spec.type === 'bool' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) value = true;
      else if (argv[i + 1] === undefined) throw new ConfigError(`option ${name} needs a value`);
      else value = argv[++i];
    }
    out.set(spec.key, { where: `flag ${spec.flag}`, raw: value });
  }
  return out;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts.at(-1)!] = value;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const flags = parseFlags(sources.argv ?? []);
  if (sources.file && (sources.file.data === null || typeof sources.file.data !== 'object' || Array.isArray(sources.file.data))) {
    throw new ConfigError(`invalid config file ${sources.file.path}: the top level must be a JSON object`);
  }
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    let src: Source | undefined;
    const fromFile = sources.file ? getPath(sources.file.data, spec.key) : undefined;
    if (fromFile !== undefined) src = { where: `config file ${sources.file!.path}`, raw: fromFile };
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') src = { where: `environment ${spec.env}`, raw: fromEnv };
    src = flags.get(spec.key) ?? src;
    setPath(out, spec.key, src ? coerce(spec, src) : spec.default);
  }
  const cfg = out as unknown as Config;
  if (cfg.pool.warmMax < cfg.pool.warmMin) {
    throw new ConfigError(`invalid pool.warmMax: ${cfg.pool.warmMax} is below pool.warmMin ${cfg.pool.warmMin}`);
  }
  if (cfg.executors.max !== 0 && cfg.executors.max < cfg.executors.min) {
    throw new ConfigError(`invalid executors.max: ${cfg.executors.max} is below executors.min ${cfg.executors.min}`);
  }
  if (!/^[a-z0-9.-]{1,200}$/.test(cfg.domain)) throw new ConfigError(`invalid domain: ${JSON.stringify(cfg.domain)} is not a DNS name`);
  for (const p of cfg.fetch.allow) {
    if (!/^(\*|\*\.[a-z0-9.-]+|[a-z0-9.-]+|\[[0-9a-f:]+\])(?::\d+)?$/i.test(p)) throw new ConfigError(`invalid fetch.allow: ${JSON.stringify(p)} is not host, *.domain, host:port or *`);
  }
  if (!isLoopback(cfg.admin.host) && cfg.admin.token === '') {
    throw new ConfigError(`invalid admin.host: ${cfg.admin.host} is not a loopback address and admin.token (ISOEDGE_ADMIN_TOKEN) is empty; set a token to expose the admin API`);
  }
  return cfg;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
