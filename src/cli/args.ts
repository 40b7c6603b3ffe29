/** A small argv parser: positionals, `--flag value`, `--flag=value`, repeatable flags, booleans. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** `string` takes a value; `boolean` does not; `list` takes a value and may repeat. */
  type: 'string' | 'boolean' | 'list';
  short?: string;
}

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    let name: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      value = eq === -1 ? undefined : a.slice(eq + 1);
    } else if (a.startsWith('-') && a.length === 2) {
      name = byShort.get(a.slice(1));
      if (!name) throw new UsageError(`unknown option ${a}`);
    } else {
      positionals.push(a);
      continue;
    }
    let s = spec[name];
    if (!s && name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean') {
      flags[name.slice(3)] = false;
      continue;
    }
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') {
      if (value !== undefined) throw new UsageError(`option --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    }
    if (s.type === 'list') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
    s = undefined;
  }
  return { positionals, flags };
}

/**
 * The first positional of `argv` and its index (a command group's subcommand), skipping options and
 * the values of those `spec` says take one; an option it does not know counts as taking none.
 */
export function firstPositional(argv: readonly string[], spec: Record<string, FlagSpec>): { index: number; value: string } | undefined {
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1 < argv.length ? { index: i + 1, value: argv[i + 1]! } : undefined;
    if (!a.startsWith('-') || a.length === 1) return { index: i, value: a };
    const name = a.startsWith('--') ? (a.includes('=') ? undefined : a.slice(2)) : byShort.get(a.slice(1));
    const s = name === undefined ? undefined : spec[name];
    if (s && s.type !== 'boolean') i++;
  }
  return undefined;
}
