/**
 * Executor thread entry point: builds the lifecycle, the request path and the Wasm cache with
 * the real clock and scheduler, then dispatches the gateway's messages. The thread owns the warm
 * pool, the hot set and every instance, and runs guest code; the gateway never does (docs/architecture.md).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { systemClock } from '../core/clock.ts';
import { collectReleasedHandles, releaseThreadCaches } from '../runtime/js/index.ts';
import { systemScheduler } from '../core/clock.ts';
import { Batcher } from './batcher.ts';
import { loadedRevision, runtimeFactory } from './factory.ts';
import { Invoker } from './invoke.ts';
import { InstanceLifecycle } from './lifecycle.ts';
import type { ExecutorInit, FromExecutor, ToExecutor } from './protocol.ts';
import { WasmModules } from './wasm-cache.ts';
import { CacheStore } from './cache-store.ts';

function start(port: MessagePort, init: ExecutorInit): void {
  // Replies to one incoming batch leave together, before background work deferred to a later turn.
  const out = new Batcher<FromExecutor>((batch, transfer) => port.postMessage(batch, transfer), 'microtask');
  const wasm = new WasmModules(init.wasmCacheMb * 1024 * 1024);
  // The Cache API's counts ride to the gateway once per turn in which they changed, after that turn's cache ops.
  const cache: CacheStore = new CacheStore({
    maxBytes: init.cacheMaxBytes, clock: systemClock,
    onCount: () => queueMicrotask(() => out.push({ t: 'cache', counts: cache.drainCounts(), bytes: cache.bytes })),
  });
  const instances = new InstanceLifecycle({
    ...init,
    factory: runtimeFactory({ init, wasm, cache, log: (m) => out.push(m) }),
    clock: systemClock,
    scheduler: systemScheduler,
    emit: (m) => out.push(m),
  });
  const invoker = new Invoker(instances, systemClock, (m, transfer) => out.push(m, transfer));

  /** Disposes every isolate and releases the code caches, so nothing holds the thread (or the process) at exit. */
  const shutdown = (): void => {
    instances.shutdown();
    wasm.clear();
    cache.clear();
    releaseThreadCaches();
    collectReleasedHandles();
    out.flush();
    port.close();
  };

  port.on('message', (batch: ToExecutor[]) => {
    instances.messageArrived();
    for (const m of batch) {
      switch (m.t) {
        case 'invoke':
          void invoker.invoke(m);
          break;
        case 'req-chunk':
          invoker.chunk(m);
          break;
        case 'req-abort':
          invoker.abortBody(m);
          break;
        case 'res-credit':
          invoker.credit(m.id, m.bytes);
          break;
        case 'cancel':
          invoker.cancel(m.id);
          break;
        case 'load-revision':
          instances.load(loadedRevision(m.rev));
          break;
        case 'unload-revision':
          instances.unload(m.id);
          break;
        case 'forget-function':
          cache.forget(m.fn);
          break;
        case 'stats':
          out.push({ t: 'stats', id: m.id, stats: instances.stats() });
          break;
        case 'scale':
          instances.pin(m.rev, m.min);
          break;
        case 'close':
          shutdown();
          break;
      }
    }
  });
  out.push({ t: 'started' });
}

start(parentPort!, workerData as ExecutorInit);
