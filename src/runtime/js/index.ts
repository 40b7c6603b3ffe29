export { GenericIsolate, Instance, STARTUP_CPU_MS, startError, releaseThreadCaches, collectReleasedHandles, codeCacheFrom, buildCodeCache, type CachedScript, type CodeCache } from './isolate.ts';
export { PRELUDE_SOURCE } from './prelude-source.ts';
