/**
 * What the executor's lifecycle needs of instances, isolates, revisions and the factory
 * that makes instances: narrow on purpose, so the lifecycle runs in tests with fakes
 * (no host, no isolated-vm). runtime/js's Instance satisfies ExecutorInstance.
 */
import type { PooledInstance } from '../pool/index.ts';
import type { InvokeRequest, InvokeResult, RevisionSpec } from '../runtime/types.ts';

/** An isolate handed back by recycle(), kept for a new context. */
export interface SpareIsolate {
  readonly isDisposed: boolean;
  dispose(): void;
}

export interface ExecutorInstance<S extends SpareIsolate = SpareIsolate> extends PooledInstance {
  /** The revision it was specialised to; undefined before that. */
  readonly rev: RevisionSpec | undefined;
  /** A request failed in a way that leaves its state unknown: never reused. */
  readonly faulted: boolean;
  invoke(req: InvokeRequest, callId: number): Promise<InvokeResult>;
  /** Stops the instance at once; returns the costly half (freeing the isolate), undefined if it had ended. */
  end(): (() => void) | undefined;
  /** Ends the instance but hands back its isolate when it is clean and its heap under the cap; else disposes it. */
  recycle(maxHeapBytes: number): S | undefined;
}

/** A revision the executor holds: its spec and whatever it keeps for it (a code cache). */
export interface Revision {
  readonly spec: RevisionSpec;
  /** Frees what the executor holds for it; called when it is replaced, unloaded or at shutdown. */
  release(): void;
}

export interface CreateOptions<S> {
  memoryMb: number;
  /** Exercise the runtime once so its lazy functions are compiled (warm pool isolates). */
  warmup: boolean;
  /** With `isolate`: a full GC first (the warm pool, in quiet moments; not the request path). */
  collect: boolean;
  /** A spare isolate to make the new context in, instead of a new isolate. */
  isolate: S | undefined;
}

export interface InstanceFactory<I, S, R> {
  /** A generic instance, not yet bound to a revision. Throws if the isolate cannot be made. */
  create(opts: CreateOptions<S>): I;
  /** Binds a revision's code to a generic instance. Throws an Error with a `code` if it cannot start. */
  specialise(inst: I, rev: R): void;
}
