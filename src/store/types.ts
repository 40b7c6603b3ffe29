/** The persisted shapes of functions, revisions and traffic tables. */
export interface RevisionConfig {
  env: Record<string, string>;
  /** Requests one instance serves at once; 0 = unlimited. */
  concurrency: number;
  /** Per-request limits (the `limits` rows of config/revision-settings.ts); absent = host default. */
  limits: RevisionLimitsConfig;
  /** Per-revision autoscaling, named after Knative's autoscaling.knative.dev annotations; absent = host default. */
  scaling?: ScalingOverrides;
}

/** Named after Knative's autoscaling.knative.dev annotations: the `scaling` rows of config/revision-settings.ts. */
export type ScalingOverrides = RevisionScalingConfig;

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
import type { RevisionLimitsConfig, RevisionScalingConfig } from '../config/index.ts';
export type { TrafficTarget };

export interface FunctionRecord {
  name: string;
  createdAt: number;
  traffic: TrafficTarget[];
}
