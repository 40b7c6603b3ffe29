/** Reads what `isoedge deploy [PATH]` deploys: a wrangler.toml/json/jsonc project, an isoedge.json folder, or one file, as a revision config plus how to build its module. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { BINDING_KEYS, BUILD_KEYS, MAPPED_KEYS, REFUSED_KEYS, declaresBinding } from './bindings.ts';
import { ProjectError } from './errors.ts';

/** wrangler's own order when a folder has more than one. */
export const WRANGLER_FILES = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'] as const;

/** Source files that are bundled (with their imports); a .js/.mjs file outside a wrangler project is uploaded as it is. */
const BUNDLED_EXTS = new Set(['.ts', '.mts', '.tsx', '.jsx']);

/** The wrangler keys that shape the bundle, as esbuild options take them. */
export interface BuildOptions {
  define?: Record<string, string>;
  alias?: Record<string, string>;
  minify?: boolean;
  tsconfig?: string;
  jsxFactory?: string;
  jsxFragment?: string;
  keepNames?: boolean;
}

export interface Project {
  kind: 'wrangler' | 'isoedge' | 'file';
  /** The config file read (wrangler.toml, …, isoedge.json), if any. */
  configFile?: string;
  /** The function name the project gives, if any (`--name` overrides it). */
  name?: string;
  /** The entry module (path as the caller can open it). */
  main: string;
  /** Whether `main` is bundled with its imports, or uploaded as it is. */
  bundle: boolean;
  /** The project's folder (the config file's, else main's): bundle paths are relative to it. */
  root: string;
  build: BuildOptions;
  /** The revision config (admin API shape: env, limits, compatibilityDate, compatibilityFlags, triggers, …). */
  config: Record<string, unknown>;
  /** Keys read but without meaning here; shown to the user, never fatal. */
  warnings: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A project from a folder or a file path; throws ProjectError when it cannot be deployed as it is. */
export function readProject(path: string): Project {
  if (!existsSync(path)) throw new ProjectError(`${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const wrangler = WRANGLER_FILES.map((f) => join(path, f)).find((f) => existsSync(f));
    if (wrangler) return readWrangler(wrangler);
    return readIsoedgeFolder(path);
  }
  if ((WRANGLER_FILES as readonly string[]).includes(basename(path))) return readWrangler(path);
  return { kind: 'file', main: path, root: dirname(resolve(path)), bundle: BUNDLED_EXTS.has(extname(path)), build: {}, config: {}, warnings: [] };
}

function readIsoedgeFolder(dir: string): Project {
  const m = join(dir, 'isoedge.json');
  const manifest = existsSync(m) ? (JSON.parse(readFileSync(m, 'utf8')) as { name?: string; main?: string; config?: Record<string, unknown> }) : {};
  const main = join(dir, manifest.main ?? 'index.js');
  if (!existsSync(main)) throw new ProjectError(`${dir} has no ${manifest.main ?? 'index.js'} (set "main" in isoedge.json, or add a wrangler.toml)`);
  return {
    kind: 'isoedge', ...(existsSync(m) ? { configFile: m } : {}), ...(manifest.name ? { name: manifest.name } : {}),
    main, root: resolve(dir), bundle: BUNDLED_EXTS.has(extname(main)), build: {}, config: { ...(manifest.config ?? {}) }, warnings: [],
  };
}

/** wrangler.toml is TOML; wrangler.json and wrangler.jsonc are JSON with comments and trailing commas (wrangler reads both so). */
export function parseWranglerFile(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  if (file.endsWith('.toml')) {
    try {
      raw = parseToml(text);
    } catch (e) {
      if (e instanceof TomlError) throw new ProjectError(`${file}:${e.line}:${e.column}: ${e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')}`);
      throw e;
    }
  } else {
    const errors: ParseError[] = [];
    raw = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length) {
      const at = errors[0]!.offset;
      const before = text.slice(0, at).split('\n');
      throw new ProjectError(`${file}:${before.length}:${before.at(-1)!.length + 1}: ${printParseErrorCode(errors[0]!.error)}`);
    }
  }
  if (!isObject(raw)) throw new ProjectError(`${file} must hold an object`);
  // JSON text round trip: TOML dates and times become the strings wrangler would send.
  return JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
}

function readWrangler(file: string): Project {
  const w = parseWranglerFile(file);
  const where = basename(file);
  const bindings = Object.keys(w).filter((k) => BINDING_KEYS.includes(k) || (!MAPPED_KEYS.includes(k) && !BUILD_KEYS.includes(k) && declaresBinding(w[k])));
  if (bindings.length) {
    throw new ProjectError(`${where} declares ${bindings.length === 1 ? 'a binding' : 'bindings'} the host does not provide: ${bindings.map((k) => `${k}${describeBinding(w[k])}`).join(', ')}. isoedge offers env vars only; remove ${bindings.length === 1 ? 'it' : 'them'} to deploy`);
  }
  for (const [k, why] of Object.entries(REFUSED_KEYS)) {
    if (w[k] !== undefined && w[k] !== false && !(Array.isArray(w[k]) && (w[k] as unknown[]).length === 0)) throw new ProjectError(`${where}: ${k} is not supported: ${why}`);
  }
  if (typeof w.main !== 'string' || !w.main) throw new ProjectError(`${where} has no "main" (the Worker's entry module, e.g. main = "src/index.ts")`);
  const main = resolve(dirname(file), w.main);
  if (!existsSync(main)) throw new ProjectError(`${where}: main ${JSON.stringify(w.main)} does not exist (${relative(process.cwd(), main) || main})`);
  if (w.name !== undefined && typeof w.name !== 'string') throw new ProjectError(`${where}: name must be a string`);

  const config: Record<string, unknown> = {};
  if (w.vars !== undefined) config.env = mapVars(w.vars, where);
  if (w.compatibility_date !== undefined) config.compatibilityDate = w.compatibility_date;
  if (w.compatibility_flags !== undefined) config.compatibilityFlags = w.compatibility_flags;
  if (w.triggers !== undefined) config.triggers = w.triggers;
  if (w.limits !== undefined) config.limits = mapLimits(w.limits, where);

  const ignored = Object.keys(w).filter((k) => !MAPPED_KEYS.includes(k) && !BUILD_KEYS.includes(k) && !Object.hasOwn(REFUSED_KEYS, k) && k !== '$schema');
  return {
    kind: 'wrangler', configFile: file, ...(w.name ? { name: w.name as string } : {}), main, root: dirname(resolve(file)),
    bundle: w.no_bundle !== true, build: buildOptions(w, where, dirname(file)), config,
    warnings: ignored.length ? [`${where}: ignored ${ignored.join(', ')} (no meaning on this host${ignored.includes('env') ? '; env: isoedge deploys the top-level config, not a wrangler environment' : ''})`] : [],
  };
}

const describeBinding = (v: unknown): string => {
  const names = (Array.isArray(v) ? v : [v]).filter(isObject).map((b) => b.binding ?? b.name).filter((n): n is string => typeof n === 'string');
  return names.length ? ` (${names.join(', ')})` : '';
};

/**
 * `[vars]` → env. A string stays as it is; any other value (number, boolean, table, array) is
 * JSON-encoded. wrangler uploads those as `json` bindings and the Worker sees the parsed value; an
 * isoedge env holds strings only, so the Worker sees the JSON text (JSON.parse(env.X) gives the value).
 */
function mapVars(vars: unknown, where: string): Record<string, string> {
  if (!isObject(vars)) throw new ProjectError(`${where}: vars must be a table of NAME = value`);
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/** `[limits]` → limits: only cpu_ms has a counterpart (cpuMs). */
function mapLimits(limits: unknown, where: string): Record<string, unknown> {
  if (!isObject(limits)) throw new ProjectError(`${where}: limits must be a table`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(limits)) {
    if (k !== 'cpu_ms') throw new ProjectError(`${where}: limits.${k} is not supported (isoedge maps limits.cpu_ms to its cpuMs; the other limits are flags of isoedge deploy)`);
    out.cpuMs = v;
  }
  return out;
}

function buildOptions(w: Record<string, unknown>, where: string, dir: string): BuildOptions {
  const strings = (k: string): Record<string, string> | undefined => {
    const v = w[k];
    if (v === undefined) return undefined;
    if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) throw new ProjectError(`${where}: ${k} must be a table of strings`);
    return v as Record<string, string>;
  };
  const b: BuildOptions = {};
  const define = strings('define');
  const alias = strings('alias');
  if (define) b.define = define;
  if (alias) b.alias = alias;
  if (typeof w.minify === 'boolean') b.minify = w.minify;
  if (typeof w.keep_names === 'boolean') b.keepNames = w.keep_names;
  if (typeof w.tsconfig === 'string') b.tsconfig = resolve(dir, w.tsconfig);
  if (typeof w.jsx_factory === 'string') b.jsxFactory = w.jsx_factory;
  if (typeof w.jsx_fragment === 'string') b.jsxFragment = w.jsx_fragment;
  return b;
}
