export { GenericIsolate, Instance, STARTUP_CPU_MS, startError, type CachedScript } from './isolate.ts';
export { PRELUDE_SOURCE } from './prelude-source.ts';
