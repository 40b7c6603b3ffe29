/** The persisted shapes of functions, revisions and traffic tables. */
export interface RevisionConfig {
  env: Record<string, string>;
  /** Requests one instance serves at once; 0 = unlimited. */
  concurrency: number;
  limits: { cpuMs?: number; wallMs?: number; memoryMb?: number; wasmMemoryPages?: number; bodyBytes?: number; responseBytes?: number };
  /** Per-revision autoscaling, named after Knative's autoscaling.knative.dev annotations; absent = host default. */
  scaling?: ScalingOverrides;
}

/** Named after Knative's autoscaling.knative.dev annotations; one definition, in scaling/. */
export type ScalingOverrides = RevisionScalingOverrides;

export interface RevisionRecord {
  name: string;
  function: string;
  seq: number;
  digest: string;
  runtime: 'js' | 'wasm' | 'component';
  config: RevisionConfig;
  /** Unix ms. */
  createdAt: number;
}

import type { TrafficTarget } from '../router/index.ts';
import type { RevisionScalingOverrides } from '../scaling/index.ts';
export type { TrafficTarget };

export interface FunctionRecord {
  name: string;
  createdAt: number;
  traffic: TrafficTarget[];
}
