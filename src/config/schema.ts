/**
 * Every configuration option, once: its key in `isoedge.config.json`, its `ISOEDGE_*`
 * variable, its `--flag`, its type, default and bounds. The README's configuration
 * table is this list; test/config.test.ts checks that they agree.
 */
export type OptionType = 'string' | 'int' | 'bool' | 'host' | 'list';

export interface OptionSpec {
  key: string;
  env: string;
  flag: string;
  type: OptionType;
  default: string | number | boolean | string[];
  min?: number;
  max?: number;
  choices?: readonly string[];
  doc: string;
}

const opt = (key: string, type: OptionType, def: OptionSpec['default'], doc: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  key,
  env: 'ISOEDGE_' + key.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase(),
  flag: '--' + key.replace(/([a-z])([A-Z])/g, '$1-$2').replace(/\./g, '-').toLowerCase(),
  type,
  default: def,
  doc,
  ...extra,
});

export const OPTIONS: readonly OptionSpec[] = [
  opt('edge.host', 'host', '127.0.0.1', 'Address the edge (function traffic) listener binds; use 0.0.0.0 to serve other machines.'),
  opt('edge.port', 'int', 8080, 'Edge listener port; 0 picks a free port (the bound port is logged).', { min: 0, max: 65535 }),
  opt('admin.host', 'host', '127.0.0.1', 'Address the admin API binds. A non-loopback address needs an admin token.'),
  opt('admin.port', 'int', 8081, 'Admin API port; 0 picks a free port.', { min: 0, max: 65535 }),
  opt('admin.token', 'string', '', 'Bearer token the admin API requires (empty: no auth, loopback only).'),
  opt('dataDir', 'string', '.isoedge', 'Directory for the SQLite state and the content-addressed artifacts.'),
  opt('domain', 'string', 'localhost', 'Functions are served at {name}.{domain}.'),
  opt('logLevel', 'string', 'info', 'pino log level.', { choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
  opt('examples', 'bool', true, 'Deploy the functions under examples/ at start (skipped for names that already exist).'),
  opt('executors', 'int', 1, 'Executor worker threads that own instances and run guest code.', { min: 1, max: 64 }),
  opt('compileThreads', 'int', 1, 'piscina threads for deploy-time work (bundling, validation, code caches).', { min: 1, max: 64 }),
  opt('limits.cpuMs', 'int', 50, 'CPU time a request may use in its isolate (ms).', { min: 1, max: 60_000 }),
  opt('limits.wallMs', 'int', 30_000, 'Wall time from dispatch to response (ms).', { min: 10, max: 600_000 }),
  opt('limits.memoryMb', 'int', 64, 'Heap limit per isolate (MiB).', { min: 8, max: 4096 }),
  opt('limits.bodyBytes', 'int', 16 * 1024 * 1024, 'Largest request body the edge accepts (bytes).', { min: 0, max: 1024 * 1024 * 1024 }),
  opt('limits.moduleBytes', 'int', 10 * 1024 * 1024, 'Largest module the admin API accepts (bytes).', { min: 1024, max: 256 * 1024 * 1024 }),
  opt('pool.warmMin', 'int', 2, 'Pre-warmed generic isolates each executor keeps ready at least.', { min: 0, max: 1024 }),
  opt('pool.warmMax', 'int', 16, 'Upper bound of the adaptive warm pool per executor.', { min: 0, max: 4096 }),
  opt('pool.hotMax', 'int', 2000, 'Idle specialised instances kept per executor (LRU by count).', { min: 0, max: 100_000 }),
  opt('pool.hotBudgetMb', 'int', 4096, 'Memory budget of the hot set per executor (MiB of isolate heap).', { min: 1, max: 1_048_576 }),
  opt('pool.idleTtlMs', 'int', 120_000, 'An idle specialised instance is disposed after this long unused (ms).', { min: 100, max: 86_400_000 }),
];

export interface Config {
  edge: { host: string; port: number };
  admin: { host: string; port: number; token: string };
  dataDir: string;
  domain: string;
  logLevel: string;
  examples: boolean;
  executors: number;
  compileThreads: number;
  limits: { cpuMs: number; wallMs: number; memoryMb: number; bodyBytes: number; moduleBytes: number };
  pool: { warmMin: number; warmMax: number; hotMax: number; hotBudgetMb: number; idleTtlMs: number };
}
