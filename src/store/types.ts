/** The persisted shapes of functions, revisions and traffic tables. */
export interface RevisionConfig {
  env: Record<string, string>;
  /** Requests one instance serves at once; 0 = unlimited. */
  concurrency: number;
  limits: { cpuMs?: number; wallMs?: number; memoryMb?: number };
  /** Per-revision autoscaling, named after Knative's autoscaling.knative.dev annotations; absent = host default. */
  scaling?: ScalingOverrides;
}

export interface ScalingOverrides {
  minScale?: number;
  maxScale?: number;
  initialScale?: number;
  target?: number;
  targetUtilizationPercentage?: number;
  targetBurstCapacity?: number;
  activationScale?: number;
  scaleDownDelayMs?: number;
  windowMs?: number;
  panicWindowPercentage?: number;
  panicThresholdPercentage?: number;
  scaleToZeroRetentionMs?: number;
  /** Waiting requests per instance; default 10 × containerConcurrency (Knative queue-proxy). */
  queueDepth?: number;
}

export interface RevisionRecord {
  name: string;
  function: string;
  seq: number;
  digest: string;
  runtime: 'js' | 'wasm';
  config: RevisionConfig;
  /** Unix ms. */
  createdAt: number;
}

import type { TrafficTarget } from '../router/index.ts';
export type { TrafficTarget };

export interface FunctionRecord {
  name: string;
  createdAt: number;
  traffic: TrafficTarget[];
}
