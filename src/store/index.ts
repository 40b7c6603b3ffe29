export { ArtifactStore, type JsArtifact } from './artifacts.ts';
export { StateStore } from './db.ts';
export type { RevisionConfig, RevisionRecord, FunctionRecord, TrafficTarget, ScalingOverrides } from './types.ts';
