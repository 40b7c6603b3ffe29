export { GenericIsolate, STARTUP_CPU_MS, releaseThreadCaches, collectReleasedHandles, type CachedScript } from './isolate.ts';
export { Instance, startError, codeCacheFrom, buildCodeCache, type CodeCache } from './instance.ts';
export { PRELUDE_SOURCE } from './prelude-source.ts';
