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

/** One row; generic so the table keeps each key and type as literals (the `Config` type is read off them). */
const opt = <const K extends string, const T extends OptionType>(key: K, type: T, def: OptionSpec['default'], doc: string, extra: Partial<Pick<OptionSpec, 'min' | 'max' | 'choices'>> = {}): OptionSpec & { key: K; type: T } => ({
  key,
  env: 'ISOEDGE_' + key.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase(),
  flag: '--' + key.replace(/([a-z])([A-Z])/g, '$1-$2').replace(/\./g, '-').toLowerCase(),
  type,
  default: def,
  doc,
  ...extra,
});

export const OPTIONS = [
  opt('edge.host', 'host', '127.0.0.1', 'Address the edge (function traffic) listener binds; use 0.0.0.0 to serve other machines.'),
  opt('edge.port', 'int', 8080, 'Edge listener port; 0 picks a free port (the bound port is logged).', { min: 0, max: 65535 }),
  opt('admin.host', 'host', '127.0.0.1', 'Address the admin API binds. A non-loopback address needs an admin token.'),
  opt('admin.port', 'int', 8081, 'Admin API port; 0 picks a free port.', { min: 0, max: 65535 }),
  opt('admin.token', 'string', '', 'Bearer token the admin API requires (empty: no auth, loopback only).'),
  opt('dataDir', 'string', '.isoedge', 'Directory for the SQLite state and the content-addressed artifacts.'),
  opt('store.kind', 'string', 'sqlite', 'Where state lives: sqlite (embedded, one node) or nats (JetStream, shared by every node; `--store nats://host:4222[,…]` sets both).', { choices: ['sqlite', 'nats'] }),
  opt('store.nats.servers', 'list', ['nats://127.0.0.1:4222'], 'NATS servers of the cluster store (comma-separated); credentials come from NATS_TOKEN or NATS_USER/NATS_PASSWORD.'),
  opt('store.nats.prefix', 'string', 'isoedge', 'Prefix of the buckets and streams in NATS: nodes with one prefix are one cluster.'),
  opt('store.nats.replicas', 'int', 1, 'Copies of each bucket and stream in a JetStream cluster (3 survives the loss of a server).', { min: 1, max: 5 }),
  opt('store.nats.ackWaitMs', 'int', 30_000, 'How long an async call may run without a heartbeat before NATS hands it to another node (ms).', { min: 1000, max: 3_600_000 }),
  opt('node.name', 'string', '', 'This node\'s name in `GET /v1/nodes` (empty: host name and process id).'),
  opt('node.heartbeatMs', 'int', 1000, 'How often a node reports itself to the cluster (ms); it is gone after 5 missed heartbeats.', { min: 100, max: 60_000 }),
  opt('processes', 'int', 1, 'Nodes this command runs on this machine, sharing the edge and admin ports (reusePort); each has its own executors.', { min: 1, max: 64 }),
  opt('domain', 'string', 'localhost', 'Functions are served at {name}.{domain}.'),
  opt('logLevel', 'string', 'info', 'pino log level.', { choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
  opt('logs.linesPerFunction', 'int', 1000, 'Recent log lines kept per function for `GET …/logs` and `isoedge logs`.', { min: 1, max: 100_000 }),
  opt('logs.maxLines', 'int', 100_000, 'Recent log lines kept over all functions; the oldest go first, whichever function wrote them.', { min: 1, max: 1_000_000 }),
  opt('examples', 'bool', true, 'Deploy the functions under examples/ at start (skipped for names that already exist).'),
  opt('executors.min', 'int', 1, 'Fewest executor worker threads (they own instances and run guest code).', { min: 1, max: 64 }),
  opt('executors.max', 'int', 0, 'Most executor threads the autoscaler may run; 0 = the number of CPUs.', { min: 0, max: 64 }),
  opt('executors.targetConcurrency', 'int', 100, 'Concurrent requests per executor thread the thread autoscaler aims for (× autoscaler.targetUtilization).', { min: 1, max: 100_000 }),
  opt('compileThreads', 'int', 1, 'piscina threads for deploy-time work (bundling, validation, code caches).', { min: 1, max: 64 }),
  opt('limits.cpuMs', 'int', 50, 'CPU time a request may use in its isolate (ms).', { min: 1, max: 60_000 }),
  opt('limits.wallMs', 'int', 30_000, 'Wall time from dispatch to response (ms).', { min: 10, max: 600_000 }),
  opt('limits.streamMs', 'int', 600_000, 'Wall time of a streaming response, from its headers to its last byte (ms).', { min: 10, max: 86_400_000 }),
  opt('limits.memoryMb', 'int', 64, 'Heap limit per isolate (MiB).', { min: 8, max: 4096 }),
  opt('limits.wasmMemoryPages', 'int', 256, 'Largest linear memory a Wasm instance may grow to, in 64 KiB pages.', { min: 1, max: 65536 }),
  opt('limits.responseBytes', 'int', 1024 * 1024 * 1024, 'Largest response body a function may return, streamed bytes counted (bytes).', { min: 0, max: 4 * 1024 * 1024 * 1024 }),
  opt('limits.headerCount', 'int', 100, 'Most headers in a request, and in a function\'s response.', { min: 1, max: 10_000 }),
  opt('limits.headerBytes', 'int', 8 * 1024, 'Most header bytes (names and values) in a request, and in a function\'s response.', { min: 256, max: 1024 * 1024 }),
  opt('limits.maxCpuMs', 'int', 30_000, 'Host maximum a revision may set for cpuMs.', { min: 1, max: 600_000 }),
  opt('limits.maxWallMs', 'int', 300_000, 'Host maximum a revision may set for wallMs.', { min: 10, max: 3_600_000 }),
  opt('limits.maxStreamMs', 'int', 86_400_000, 'Host maximum a revision may set for streamMs.', { min: 10, max: 604_800_000 }),
  opt('limits.maxMemoryMb', 'int', 512, 'Host maximum a revision may set for memoryMb.', { min: 8, max: 65536 }),
  opt('limits.maxWasmMemoryPages', 'int', 4096, 'Host maximum a revision may set for wasmMemoryPages.', { min: 1, max: 65536 }),
  opt('limits.maxBodyBytes', 'int', 1024 * 1024 * 1024, 'Host maximum a revision may set for bodyBytes.', { min: 0, max: 4 * 1024 * 1024 * 1024 }),
  opt('limits.maxResponseBytes', 'int', 4 * 1024 * 1024 * 1024, 'Host maximum a revision may set for responseBytes.', { min: 0, max: 1024 ** 4 }),
  opt('cache.maxBytes', 'int', 64 * 1024 * 1024, 'Cache API entries kept per executor thread, over all functions (bytes; LRU by size); 0 stores nothing.', { min: 0, max: 64 * 1024 * 1024 * 1024 }),
  opt('pool.wasmCacheMb', 'int', 256, 'Compiled Wasm modules kept per executor (LRU by module size, MiB).', { min: 1, max: 65536 }),
  opt('limits.bodyBytes', 'int', 100 * 1024 * 1024, 'Largest request body a function accepts, streamed bytes counted (bytes).', { min: 0, max: 4 * 1024 * 1024 * 1024 }),
  opt('limits.moduleBytes', 'int', 10 * 1024 * 1024, 'Largest module the admin API accepts (bytes).', { min: 1024, max: 256 * 1024 * 1024 }),
  opt('autoscaler.tickMs', 'int', 2000, 'Autoscaler decision interval per active revision (ms); the first request to a revision at zero decides at once.', { min: 100, max: 60_000 }),
  opt('autoscaler.stableWindowMs', 'int', 60_000, 'Stable window over which average concurrency is taken (ms).', { min: 6000, max: 3_600_000 }),
  opt('autoscaler.panicWindowPercentage', 'int', 10, 'Panic window as a percentage of the stable window.', { min: 1, max: 100 }),
  opt('autoscaler.panicThresholdPercentage', 'int', 200, 'Panic mode starts when panic-window demand reaches this percentage of ready capacity.', { min: 110, max: 1000 }),
  opt('autoscaler.maxScaleUpRate', 'int', 1000, 'Most instances per tick = ready × this.', { min: 1, max: 100_000 }),
  opt('autoscaler.maxScaleDownRate', 'int', 2, 'Fewest instances per tick = ready ÷ this.', { min: 1, max: 100_000 }),
  opt('autoscaler.containerConcurrencyTargetDefault', 'int', 100, 'Target concurrent requests per instance when a revision sets no containerConcurrency.', { min: 1, max: 100_000 }),
  opt('autoscaler.targetUtilizationPercentage', 'int', 70, 'Share of the target the autoscaler aims to use.', { min: 1, max: 100 }),
  opt('autoscaler.targetBurstCapacity', 'int', 211, 'Spare capacity kept for bursts; when short, the activator stays in the request path (-1 = always).', { min: -1, max: 1_000_000 }),
  opt('autoscaler.scaleToZeroGraceMs', 'int', 30_000, 'A revision with no traffic for this long is scaled to zero (ms).', { min: 0, max: 3_600_000 }),
  opt('autoscaler.activatorQueueDepth', 'int', 10_000, 'Requests the activator holds per revision while it has no ready capacity.', { min: 1, max: 1_000_000 }),
  opt('autoscaler.activationTimeoutMs', 'int', 30_000, 'How long a request waits for a revision to scale from zero (ms).', { min: 10, max: 600_000 }),
  opt('autoscaler.queueTimeoutMs', 'int', 10_000, 'How long a request waits in a revision queue for a slot (ms).', { min: 10, max: 600_000 }),
  opt('fetch.allow', 'list', [], 'Destinations guest fetch() may reach: host, *.domain, host:port or * (comma-separated); empty denies all.'),
  opt('fetch.timeoutMs', 'int', 10_000, 'Time limit of one outbound fetch (ms).', { min: 10, max: 600_000 }),
  opt('fetch.maxBytes', 'int', 1024 * 1024 * 1024, 'Largest outbound fetch response a guest may read, streamed bytes counted (bytes).', { min: 0, max: 4 * 1024 * 1024 * 1024 }),
  opt('pool.warmMin', 'int', 2, 'Pre-warmed generic isolates each executor keeps ready at least.', { min: 0, max: 1024 }),
  opt('pool.warmMax', 'int', 16, 'Upper bound of the adaptive warm pool per executor.', { min: 0, max: 4096 }),
  opt('pool.hotMax', 'int', 2000, 'Idle specialised instances kept per executor (LRU by count).', { min: 0, max: 100_000 }),
  opt('pool.hotBudgetMb', 'int', 4096, 'Memory budget of the hot set per executor (MiB of isolate heap).', { min: 1, max: 1_048_576 }),
  opt('pool.idleTtlMs', 'int', 120_000, 'An idle specialised instance is disposed after this long unused (ms).', { min: 100, max: 86_400_000 }),
  opt('async.maxBodyBytes', 'int', 1024 * 1024, 'Largest request body an async call may carry (bytes); it is stored with the call.', { min: 0, max: 256 * 1024 * 1024 }),
  opt('async.maxQueued', 'int', 100_000, 'Most queued async calls per function; more are refused with 429 and Retry-After.', { min: 1, max: 100_000_000 }),
  opt('async.maxInflight', 'int', 16, 'Async calls of one function running at once (a revision config may set its own).', { min: 1, max: 100_000 }),
  opt('async.concurrency', 'int', 256, 'Async calls running at once over all functions (each function gets its turn, round robin).', { min: 1, max: 1_000_000 }),
  opt('async.resultBytes', 'int', 64 * 1024, 'Bytes of an async call\'s response body kept with its result.', { min: 0, max: 64 * 1024 * 1024 }),
  opt('async.retentionS', 'int', 86_400, 'How long a finished async call (status, attempts, result) is kept (s).', { min: 60, max: 31_536_000 }),
  opt('async.dedupeWindowS', 'int', 86_400, 'A repeated X-Call-Id, Idempotency-Key or CloudEvent (source, id) within this long returns the first call (s).', { min: 0, max: 31_536_000 }),
  opt('async.maxAttempts', 'int', 3, 'Attempts of an async call before it is dead (a revision config may set its own).', { min: 1, max: 100 }),
  opt('async.initialRetryMs', 'int', 1000, 'Shortest wait before retrying an async call (ms); exponential with full jitter up to async.maxRetryMs.', { min: 1, max: 3_600_000 }),
  opt('async.maxRetryMs', 'int', 60_000, 'Longest wait between attempts of an async call (ms), unless the function sent a longer Retry-After.', { min: 1, max: 86_400_000 }),
  opt('async.maxAgeS', 'int', 21_600, 'An async call is not tried again after it is this old (s): it is dead.', { min: 1, max: 31_536_000 }),
  opt('async.drainMs', 'int', 30_000, 'On SIGTERM, how long running async calls may take to finish; the rest stay queued (ms).', { min: 0, max: 3_600_000 }),
] as const;

/** Every option key, dotted as in the config file (`limits.cpuMs`). */
export type OptionKey = (typeof OPTIONS)[number]['key'];

/** What `loadConfig` stores for each option type. */
interface ValueOfType { string: string; host: string; int: number; bool: boolean; list: string[] }
type ValueOf<K extends OptionKey> = ValueOfType[Extract<(typeof OPTIONS)[number], { key: K }>['type']];

/**
 * The options under `prefix`, nested at each dot: `limits.cpuMs` becomes `{ limits: { cpuMs: number } }`.
 * Keys sharing a head map to the same (identical) subtree, so the union the `as` clause makes is one type.
 */
type Subtree<P extends string> = {
  [K in OptionKey as K extends `${P}${infer R}` ? (R extends `${infer H}.${string}` ? H : R) : never]:
    K extends `${P}${infer R}` ? (R extends `${infer H}.${string}` ? Subtree<`${P}${H}.`> : ValueOf<K>) : never;
};

/** The loaded configuration, read off OPTIONS: adding an option there adds it here. */
export type Config = Subtree<''>;
