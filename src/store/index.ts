export { SqliteStateStore } from './sqlite/state.ts';
export { FileArtifactStore } from './files/artifacts.ts';
export { jsFiles, jsHandlers, wasmFiles, componentFiles, loadCode, componentAbi, isComponent, type RevisionCode, type ComponentAbi } from './revision-code.ts';
export { DIGEST_RE, ARTIFACT_NAME_RE } from './types.ts';
export type { StateStore, ArtifactStore, ArtifactFiles, StateChange, NewRevision, TrafficRule, RevisionConfig, RevisionRecord, FunctionRecord, TrafficTarget, ScalingOverrides, RuntimeKind, AsyncSettings } from './types.ts';
export { SqliteInvocationStore } from './sqlite/invocations.ts';
export { CALL_STATUSES, FINAL_STATUSES } from './invocation-types.ts';
export type { InvocationStore, CallRecord, CallStatus, CallRequest, CallResult, Attempt, AttemptOutcome, NewCall, CallListQuery, FunctionQueueStats, SubmitRefusal, ScheduledEvent, CallbackStatus } from './invocation-types.ts';
export { ThreadedInvocationStore } from './sqlite/invocations-thread.ts';
