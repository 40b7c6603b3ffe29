/**
 * The deploy-time thread pool (piscina): bundling, validation in a real isolate, code
 * caches, Wasm compilation and jco transpilation, all off the gateway thread. It owns
 * the shutdown rule isolated-vm imposes on threads that held its handles.
 */
import { Piscina } from 'piscina';
import { EdgeError } from '../core/errors.ts';
import type { CollectTask, CompileJsResult, CompileJsTask, CompileWasmResult, CompileWasmTask } from './compile.worker.ts';

const COMPILE_WORKER_URL = new URL('./compile.worker.ts', import.meta.url);

export class CompilePool {
  readonly #pool: Piscina<CompileJsTask | CompileWasmTask | CollectTask, CompileJsResult | CompileWasmResult | { ok: true }>;
  readonly #running = new Set<Promise<unknown>>();
  /** Whether any compile task ran: only then can a compile thread hold isolated-vm handles. */
  #used = false;
  #closing = false;

  constructor(threads: number) {
    // atomics 'disabled': an idle compile thread waits in its event loop, not in Atomics.wait, so the
    // timer that finalises its isolated-vm handles once idle can run (compile.worker.ts).
    this.#pool = new Piscina({ filename: COMPILE_WORKER_URL.href, minThreads: 1, maxThreads: threads, idleTimeout: 60_000, atomics: 'disabled' });
  }

  compileJs(task: CompileJsTask): Promise<CompileJsResult> {
    return this.#run(task) as Promise<CompileJsResult>;
  }

  compileWasm(task: CompileWasmTask): Promise<CompileWasmResult> {
    return this.#run(task) as Promise<CompileWasmResult>;
  }

  #run(task: CompileJsTask | CompileWasmTask): Promise<unknown> {
    if (this.#closing) return Promise.reject(new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down; deploy again once it is back'));
    const p = this.#pool.run(task).finally(() => {
      this.#running.delete(p);
      this.#used = true;
    });
    this.#running.add(p);
    return p;
  }

  /**
   * A compile thread finalises its isolated-vm handles once idle (compile.worker.ts); ending it
   * before that could abort the process. So: no new compiles, wait for those in flight, then one
   * collect task per thread (each thread takes one: they are all idle and run one task at a time).
   */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#running]);
    if (this.#used) await Promise.allSettled(this.#pool.threads.map(() => this.#pool.run({ kind: 'collect' })));
    await this.#pool.destroy();
  }
}
