/** Fake instances, isolates and factory for the executor's lifecycle: no host, no isolated-vm. */
import { manualClock, manualScheduler } from '../../src/core/clock.ts';

import { InstanceLifecycle, type CreateOptions, type ExecutorInstance, type InstanceFactory, type InstancesMessage, type LifecycleLimits, type LogMessage, type Revision } from '../../src/executor/index.ts';
import { BASE_LIMITS, type InvokeResult, type RevisionSpec } from '../../src/runtime/types.ts';

let ids = 0;

export class FakeIsolate {
  readonly id = ++ids;
  isDisposed = false;
  dispose(): void {
    if (this.isDisposed) throw new Error(`isolate ${this.id} disposed twice`);
    this.isDisposed = true;
  }
}

export class FakeInstance implements ExecutorInstance<FakeIsolate> {
  readonly id = ++ids;
  inflight = 0;
  retired = false;
  faulted = false;
  rev: RevisionSpec | undefined;
  /** end() ran: the instance stops serving (its isolate may still wait to be freed). */
  ended = false;
  /** recycle() handed the isolate back. */
  recycled = false;
  heap = 1000;
  readonly isolate: FakeIsolate;
  readonly opts: CreateOptions<FakeIsolate>;

  constructor(opts: CreateOptions<FakeIsolate>) {
    this.opts = opts;
    this.isolate = opts.isolate ?? new FakeIsolate();
  }

  get revId(): string {
    return this.rev?.id ?? '';
  }

  get disposed(): boolean {
    return this.ended;
  }

  heapBytes(): number {
    return this.heap;
  }

  invoke(): Promise<InvokeResult> {
    return Promise.resolve({ ok: true, status: 200, headers: [], body: null, cpuMs: 0 });
  }

  dispose(): void {
    this.end()?.();
  }

  end(): (() => void) | undefined {
    if (this.ended) return undefined;
    this.ended = true;
    return () => this.isolate.dispose();
  }

  recycle(maxHeapBytes: number): FakeIsolate | undefined {
    if (this.ended) return undefined;
    if (this.faulted || this.inflight > 0 || this.heap > maxHeapBytes) {
      this.dispose();
      return undefined;
    }
    this.ended = true;
    this.recycled = true;
    return this.isolate;
  }
}

export interface FakeRevision extends Revision {
  released: number;
}

export function revision(id: string, o: { concurrency?: number; memoryMb?: number; fn?: string } = {}): FakeRevision {
  const spec: RevisionSpec = {
    id, fn: o.fn ?? id, digest: '', runtime: 'js', script: '', cache: null, env: {}, concurrency: o.concurrency ?? 0,
    limits: { ...BASE_LIMITS, memoryMb: o.memoryMb ?? 128 },
  };
  const r: FakeRevision = { spec, released: 0, release: () => { r.released++; } };
  return r;
}

/** Makes FakeInstances; specialise fails for a revision whose fn is 'broken', create once `failCreate` is set. */
export function fakeFactory(): InstanceFactory<FakeInstance, FakeIsolate, FakeRevision> & { made: FakeInstance[]; failCreate: boolean } {
  const f = {
    made: [] as FakeInstance[],
    failCreate: false,
    create(opts: CreateOptions<FakeIsolate>): FakeInstance {
      if (f.failCreate) throw new Error('no isolate');
      const inst = new FakeInstance(opts);
      f.made.push(inst);
      return inst;
    },
    specialise(inst: FakeInstance, rev: FakeRevision): void {
      if (rev.spec.fn === 'broken') throw Object.assign(new Error('top-level code failed'), { code: 'EDGE_ERR_MODULE_INIT' });
      inst.rev = rev.spec;
    },
  };
  return f;
}

/** A lifecycle over fakes with a manual clock (started at 1000: lru-cache reads a TTL start of 0 as none) and scheduler. */
export function fakeLifecycle(limits: Partial<LifecycleLimits> = {}) {
  const clock = manualClock(1000);
  const scheduler = manualScheduler((ms) => clock.advance(ms));
  const factory = fakeFactory();
  const emitted: (InstancesMessage | LogMessage)[] = [];
  const life = new InstanceLifecycle<FakeInstance, FakeIsolate, FakeRevision>({
    memoryMb: 128, warmMin: 0, warmMax: 4, hotMax: 10, hotBudgetMb: 100, idleTtlMs: 60_000, ...limits,
    factory, clock, scheduler, emit: (m) => emitted.push(m),
  });
  return { life, clock, scheduler, factory, emitted };
}

export const OK: InvokeResult = { ok: true, status: 200, headers: [], body: null, cpuMs: 0 };
export const FATAL: InvokeResult = { ok: false, code: 'EDGE_ERR_CPU_LIMIT', message: 'over its CPU limit', fatal: true };
