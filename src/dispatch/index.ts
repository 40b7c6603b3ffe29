export { Dispatcher, type DispatcherDeps, type Routes, type Admission, type Slot, type Executors } from './dispatcher.ts';
export { checkRequest } from './limits.ts';
export { observeDispatch, type DispatchMetrics, type RequestLog } from './observe.ts';
export type { DispatchTarget, DispatchRequest, DispatchResult, DispatchTiming, DispatchEvent, DispatchHooks, BodyStream } from './types.ts';
export { isBodyStream } from './types.ts';
