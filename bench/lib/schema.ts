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

export interface ThroughputRow { id: string; subject: string; concurrency: number; rps: number[]; spread: Spread; errors: number }

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
  /** Results of the other benches run with this one (full runs): bench name → its own JSON. */
  other?: Record<string, unknown>;
}
