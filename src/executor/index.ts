export { ExecutorGroup, type GroupEvents } from './group.ts';
export type { GuestLog, InvokeReply } from './client.ts';
export type { ExecutorInit, ExecutorStats, FromExecutor, Timing } from './protocol.ts';
