export { ExecutorGroup, type GroupEvents } from './group.ts';
export type { GuestLog, InvokeReply, ReadyEvent } from './client.ts';
export type {
  ExecutorInit, ExecutorStats, FromExecutor, Timing, ToExecutor,
  InvokeMessage, LoadRevisionMessage, UnloadRevisionMessage, StatsRequest, ScaleMessage, CloseMessage,
  InvokeResponse, InvokeError, LogMessage, StatsReply, InstancesMessage, StartedMessage,
} from './protocol.ts';
export { InstanceLifecycle, type Acquired, type LifecycleOptions, type LifecycleLimits } from './lifecycle.ts';
export type { ExecutorInstance, InstanceFactory, CreateOptions, Revision, SpareIsolate } from './instance.ts';
