export { SqliteStateStore } from './sqlite/state.ts';
export { FileArtifactStore } from './files/artifacts.ts';
export { jsFiles, wasmFiles, componentFiles, loadCode, componentAbi, isComponent, type RevisionCode, type ComponentAbi } from './revision-code.ts';
export { DIGEST_RE, ARTIFACT_NAME_RE } from './types.ts';
export type { StateStore, ArtifactStore, ArtifactFiles, StateChange, NewRevision, TrafficRule, RevisionConfig, RevisionRecord, FunctionRecord, TrafficTarget, ScalingOverrides, RuntimeKind } from './types.ts';
