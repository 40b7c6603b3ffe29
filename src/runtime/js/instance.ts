/**
 * An `Instance`: a generic isolate (isolate.ts) specialised to one revision (a JS script from its
 * code cache, an edge-core-v1 module or a component), serving requests until it is disposed; and
 * the V8 code-cache helpers the deployer and executors share.
 */
import ivm from 'isolated-vm';
import type { InvokeRequest, InvokeResult, RevisionSpec } from '../types.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { exactBytes } from '../../core/bytes.ts';
import { GenericIsolate, STARTUP_CPU_MS, type CachedScript, type Pending } from './isolate.ts';
import { entryRefusal } from './bridge/ops.ts';

let nextInstanceId = 1;

/** A generic isolate specialised to one revision: serves requests until disposed. */
export class Instance extends GenericIsolate {
  inflight = 0;

  get revId(): string {
    return this.rev?.id ?? '';
  }

  /** Set when the pool evicted this instance while it was busy: dispose once idle. */
  retired = false;
  readonly id = nextInstanceId++;

  /**
   * Loads the revision's script from its code cache and binds its default export; answers which
   * handlers besides fetch it has (the deployer stores that: a revision with cron triggers needs scheduled).
   * Throws an Error whose `code` says why the revision cannot start here.
   */
  specialise(rev: RevisionSpec, cache: ivm.ExternalCopy<ArrayBuffer> | undefined): { scheduled: boolean } {
    this.#runScript(rev, cache);
    let scheduled = false;
    bindEntry(() => { scheduled = this.rt.bind.applySync(undefined, [JSON.stringify(rev.env), rev.limits.responseBytes], { timeout: STARTUP_CPU_MS }) === true; });
    return { scheduled };
  }

  /** A jco-transpiled component: its script from the code cache, then its core modules (compiled on this thread). */
  specialiseComponent(rev: RevisionSpec, cache: ivm.ExternalCopy<ArrayBuffer> | undefined, names: string[], mods: WebAssembly.Module[], maxMemoryBytes: number): void {
    this.#runScript(rev, cache);
    const copies = mods.map((m) => new ivm.ExternalCopy(m).copyInto({ release: true }));
    bindEntry(
      () => this.rt.bindComponent.applySync(undefined, [JSON.stringify(names), JSON.stringify(rev.env), maxMemoryBytes, rev.limits.responseBytes, ...copies], { timeout: STARTUP_CPU_MS }),
      (message) => startError('EDGE_ERR_MODULE_INIT', `the component's start-up failed: ${message}`),
    );
  }

  #runScript(rev: RevisionSpec, cache: ivm.ExternalCopy<ArrayBuffer> | undefined): void {
    this.rev = rev;
    let script: ivm.Script;
    try {
      script = this.isolate.compileScriptSync(rev.script, cache ? { cachedData: cache, filename: `${rev.id}.js` } : { filename: `${rev.id}.js` });
    } catch (e) {
      throw startError('EDGE_ERR_MODULE_PARSE', `the revision's script does not compile: ${(e as Error).message}`);
    }
    this.starting = true;
    let run;
    try {
      run = this.enter(undefined, (timeout) => script.runSync(this.context, { timeout }), BigInt(STARTUP_CPU_MS) * 1_000_000n);
    } finally {
      this.starting = false;
    }
    script.release();
    if (run && !run.ok) throw startError('EDGE_ERR_MODULE_INIT', `the module's top-level code failed: ${run.message}`);
  }

  /** Binds an edge-core-v1 module compiled on this thread; the copy into the isolate is released at once. */
  specialiseWasm(rev: RevisionSpec, mod: WebAssembly.Module, maxMemoryBytes: number): void {
    this.rev = rev;
    const copy = new ivm.ExternalCopy(mod).copyInto({ release: true });
    bindEntry(
      () => this.rt.bindWasm.applySync(undefined, [copy, JSON.stringify(rev.env), maxMemoryBytes], { timeout: STARTUP_CPU_MS }),
      (message) => startError('EDGE_ERR_MODULE_INIT', `the module's start-up failed: ${message}`),
    );
  }

  invoke(req: InvokeRequest, nextId: number): Promise<InvokeResult> {
    return new Promise<InvokeResult>((resolve) => {
      if (this.disposed) {
        resolve({ ok: false, code: 'EDGE_ERR_INSTANCE_START', message: 'the instance was disposed', fatal: true });
        return;
      }
      const budgetNs = BigInt(this.rev.limits.cpuMs) * 1_000_000n;
      this.backgroundNs = 0n; // a new request: background work may again use up to one budget
      const p: Pending = { id: nextId, resolve, req, cpuNs: 0n, budgetNs, wall: undefined };
      this.pending.set(nextId, p);
      // Cancelled, not just answered: the request's signal aborts and the guest forgets it.
      p.wall = setTimeout(() => this.cancelRequest(nextId, 'EDGE_ERR_WALL_TIMEOUT', `no response within the wall-time limit of ${this.rev.limits.wallMs} ms`), this.rev.limits.wallMs);
      const s = req.scheduled;
      // A scheduled run: the guest calls the handler's scheduled(controller, env, ctx) with no Request (so no headers or body go in).
      // A streamed body (a RequestBodySource) is the number 1: the guest reads it through the body_read op.
      const args = s !== undefined
        ? [nextId, req.method, req.url, '[]', null, s.cron, s.scheduledTime]
        : [nextId, req.method, req.url, JSON.stringify(req.headers), req.body === null ? null : req.body instanceof Uint8Array ? new ivm.ExternalCopy(bufferOf(req.body)).copyInto({ release: true }) : 1];
      const fault = this.enter(p, (timeout) => this.rt.dispatch.applySync(undefined, args, { timeout }), budgetNs);
      if (fault) this.settle(nextId, p, fault);
    });
  }
}

function bufferOf(u: Uint8Array): ArrayBuffer {
  return exactBytes(u).buffer;
}

/**
 * Calls a binding entry point (bind, bindWasm, bindComponent). Its refusal, a guest exception
 * `${code}: ${message}` (bridge/ops.ts entryRefusal), becomes startError(code, message); any other
 * exception (a timeout, a fault in the glue) becomes `failed(its message)`, or propagates without one.
 */
function bindEntry(call: () => unknown, failed?: (message: string) => Error): void {
  try {
    call();
  } catch (e) {
    const refused = entryRefusal(e);
    if (refused) throw startError(refused.code, refused.message);
    if (failed) throw failed((e as Error).message);
    throw e;
  }
}

export function startError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}

/** A V8 code cache held outside any isolate, shareable into many (release it when the revision goes). */
export type CodeCache = ivm.ExternalCopy<ArrayBuffer>;

export function codeCacheFrom(bytes: Uint8Array): CodeCache {
  return new ivm.ExternalCopy(bytes.slice().buffer as ArrayBuffer);
}

/** Compiles `script` in `inst`'s isolate and returns the V8 code cache V8 produced for it. */
export function buildCodeCache(inst: GenericIsolate, script: string, filename: string): Uint8Array | null {
  const compiled = inst.isolate.compileScriptSync(script, { produceCachedData: true, filename }) as CachedScript;
  const data = compiled.cachedData;
  compiled.release();
  if (!data) return null;
  const bytes = new Uint8Array(data.copy());
  data.release();
  return bytes;
}
