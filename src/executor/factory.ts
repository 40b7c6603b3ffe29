/** The real instance factory: runtime/js Instances, specialised to JS, core Wasm or component revisions. */
import { Instance, codeCacheFrom, type CodeCache } from '../runtime/js/index.ts';
import type { RevisionSpec } from '../runtime/types.ts';
import { allowlist } from '../runtime/outbound.ts';
import type { CreateOptions, InstanceFactory, Revision } from './instance.ts';
import type { ExecutorInit, LogMessage } from './protocol.ts';
import type { WasmModules } from './wasm-cache.ts';
import type { EdgeCache } from '../runtime/types.ts';

/** The isolate a retired Instance hands back for reuse. */
export type RuntimeIsolate = NonNullable<ReturnType<Instance['recycle']>>;

/** A revision as an executor holds it: the spec and its V8 code cache, copied in once. */
export interface LoadedRevision extends Revision {
  readonly cache: CodeCache | undefined;
}

export function loadedRevision(spec: RevisionSpec): LoadedRevision {
  const cache = spec.cache ? codeCacheFrom(spec.cache) : undefined;
  return { spec, cache, release: () => cache?.release() };
}

export interface RuntimeFactoryOptions {
  init: Pick<ExecutorInit, 'fetch' | 'wasmMaxBytes'>;
  wasm: WasmModules;
  /** The thread's Cache API store, shared by its instances (each op is keyed by the instance's function). */
  cache?: EdgeCache;
  /** Guest console output, tagged with the revision the instance serves by then. */
  log: (m: LogMessage) => void;
}

export function runtimeFactory(o: RuntimeFactoryOptions): InstanceFactory<Instance, RuntimeIsolate, LoadedRevision> {
  const outbound = { check: allowlist(o.init.fetch.allow), timeoutMs: o.init.fetch.timeoutMs, maxBytes: o.init.fetch.maxBytes };
  /** How far a revision's Wasm linear memories may grow. */
  const wasmMemoryBytes = (spec: RevisionSpec): number => (spec.limits.wasmMemoryPages ?? o.init.wasmMaxBytes / 65536) * 65536;
  return {
    create({ memoryMb, warmup, collect, isolate }: CreateOptions<RuntimeIsolate>): Instance {
      const inst: Instance = new Instance({
        memoryMb, warmup, outbound, collect, isolate, ...(o.cache ? { cache: o.cache } : {}),
        log: (level, reqId, msg) => o.log({ t: 'log', level, fn: inst.rev?.fn ?? '', rev: inst.rev?.id ?? '', reqId, msg }),
      });
      return inst;
    },
    specialise(inst, rev) {
      const spec = rev.spec;
      if (spec.runtime === 'component') {
        const cores = spec.cores ?? [];
        inst.specialiseComponent(spec, rev.cache, cores.map(([n]) => n), cores.map(([n, b]) => o.wasm.get(`${spec.digest}/${n}`, b)), wasmMemoryBytes(spec));
      } else if (spec.runtime === 'wasm') inst.specialiseWasm(spec, o.wasm.get(spec.digest, spec.wasm!), wasmMemoryBytes(spec));
      else inst.specialise(spec, rev.cache);
    },
  };
}
