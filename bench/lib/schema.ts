/** The shape of one bench run's result file, bench/results/<timestamp>.json (read back by bench/report.ts). */
import type { Histogram } from './histogram.ts';
import type { Spread, Summary } from './stats.ts';

export const SCHEMA = 'isoedge-bench/1';

/** A latency scenario measured in repeated runs: per-run summaries, pooled samples, and the spread of each percentile across runs. */
export interface LatencyRow {
  id: string;
  /** start: a first request that starts something; hot: back-to-back requests at concurrency 1; floor: in process, no HTTP. */
  kind: 'start' | 'hot' | 'floor';
  subject: string;
  handler: string;
  tier: string;
  runs: Summary[];
  pooled: Summary;
  p50: Spread; p90: Spread; p99: Spread; max: Spread;
  histogram: Histogram;
  /** Start tiers the host reported (Server-Timing), and its own start time (the median per run, with the range). */
  tiers?: Record<string, number>;
  serverStartMs?: Spread;
}

export interface ThroughputRow {
  id: string; subject: string; concurrency: number; rps: number[]; spread: Spread; errors: number;
  /** Who made the load (absent in runs before issue 16: the Node client). */
  client?: 'wrk' | 'node';
  /** The server's CPU per request in µs, per run, by thread kind (main = isoedge's gateway). */
  cpuUs?: { total: number; main: number; executors: number; other: number }[];
}

export interface ScaleStep {
  functions: number;
  added: number;
  deploySeconds: number;
  /** First call of each function added in this step (all cold to their function: warm-pool or new isolate). */
  firstCall: Summary;
  firstCallTiers: Record<string, number>;
  zipf: Summary;
  /** Share of the Zipf mix served by an instance already in the hot set. */
  hitRate: number;
  hotInstances: number;
  rssMiB: { afterDeploy: number; afterFirstCalls: number; afterMix: number };
}

export interface Scale { hotMax: number; hotBudgetMb: number; executors: number; rssBeforeMiB: number; budgetMiB: number; steps: ScaleStep[] }

/** Streaming group (issue 15): time to the first byte of an SSE stream, per subject, over repeated runs. */
export interface StreamTtfbRow { id: string; subject: string; events: number; everyMs: number; runs: Summary[]; pooled: Summary; p50: Spread; p99: Spread; /** The whole stream, request to last byte (p50 per run). */ totalMs: Spread }

/** A streamed transfer's rate (MiB/s, per run, over the whole request: first byte of the request to the last of the response). */
export interface StreamRateRow {
  id: string; subject: string; direction: 'download' | 'upload'; mib: number; mibps: number[]; spread: Spread; errors: number;
  /** CPU time of the serving process per MiB moved (/proc, 10 ms ticks), per run; and for isoedge by thread (gateway, executors, V8's GC helpers: medians). */
  cpuMsPerMiB?: number[]; cpuThreads?: Record<string, number>;
}

/** One run of an RSS scenario: the host process's RSS (MiB) just before the request, the most sampled during it, and just after. */
export interface StreamRssRun { beforeMiB: number; maxMiB: number; afterMiB: number; growthMiB: number; seconds: number; mibps: number; samples: number; digestOk?: boolean }

/**
 * An RSS scenario on a process started for it: idle RSS after its first small requests (`freshMiB`),
 * then warm-up transfers (a full-speed download and upload of the group's sizes) that take the
 * heaps to their working size (`warmupGrowthMiB`: the most seen during them over fresh), then the runs.
 */
export interface StreamRssRow { id: string; subject: string; scenario: 'slow read' | 'upload'; mib: number; /** The client's read rate (slow read); null: as fast as it goes. */ paceMiBps: number | null; freshMiB: number; warmupGrowthMiB: number; runs: StreamRssRun[]; growthMiB: Spread }

/** Where the hot-path figures of a run before streaming came from (the newest such run on this CPU model, found when the bench ran). */
export interface HotReference { files: string[]; commit: string; mode: string; hotP50: Spread; c50: Spread }

/** The hot path on the streaming group's host: hello at concurrency 1 (p50/p99 per run) and req/s at concurrency 50. */
export interface StreamHot { subject: string; n: number; p50: Spread; p99: Spread; c50: number[]; c50Spread: Spread; errors: number; reference: HotReference | null; referenceNote?: string }

export interface Streaming {
  /** Sizes as run (quick runs use smaller ones: see `note`). */
  sizes: { downloadMiB: number; uploadMiB: number; slowReadMiB: number; slowReadPaceMiBps: number; sseEvents: number; sseEveryMs: number; sseRequests: number; chunkKiB: number; windowKiB: number };
  /** The revision limits the functions were deployed with (deploy query). */
  limits: string;
  note?: string;
  ttfb: StreamTtfbRow[];
  rates: StreamRateRow[];
  rss: StreamRssRow[];
  hot: StreamHot | null;
}

export interface Ratio { id: string; label: string; value: Spread | null; reason?: string }

export interface Target { id: string; label: string; value: number | null; op: '>=' | '<='; threshold: number; status: 'PASS' | 'MISS' | 'SKIPPED'; note?: string }

export interface Machine { node: string; cpus: number; cpuModel: string; memGiB: number; platform: string; commit: string; dirty?: boolean; commitAtEnd?: string }

export interface BenchRun {
  schema: typeof SCHEMA;
  mode: 'quick' | 'full';
  startedAt: string;
  durationS: number;
  machine: Machine;
  config: Record<string, unknown>;
  latency: LatencyRow[];
  throughput: ThroughputRow[];
  scale: Scale | null;
  ratios: Ratio[];
  targets: Target[];
  skipped: { id: string; reason: string }[];
  /** The streaming group (issue 15); null when not selected; absent in runs from before the group existed. */
  streaming?: Streaming | null;
  /** Results of the other benches run with this one (full runs): bench name → its own JSON. */
  other?: Record<string, unknown>;
}
