/**
 * The host side of the bridge, built from the op table (bridge/ops.ts): one ivm.Callback per
 * op, in table order, each checking its arguments; and the one mechanism every async op uses
 * (pending ops by id, cancellation, completion through the guest's `complete` entry point).
 */
import ivm from 'isolated-vm';
import { OPS, OP_NAMES, OpError, type HostImpls, type OpCode, type OpName, type OpSpec, type WireType } from './ops.ts';

const IS: Record<WireType, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  int: (v) => Number.isSafeInteger(v),
  number: (v) => typeof v === 'number',
  body: (v) => v === null || typeof v === 'string' || v instanceof ArrayBuffer,
  bytes: (v) => v instanceof ArrayBuffer,
  'bytes?': (v) => v === null || v instanceof ArrayBuffer,
  // Results only: no argument has this type.
  value: () => false,
};

/** Unrolled for the table's at most four arguments: a check allocates nothing. */
function checkArgs(name: string, types: readonly WireType[], a: unknown, b: unknown, c: unknown, d: unknown): void {
  const n = types.length;
  if (n > 0 && !IS[types[0]!](a)) badArg(name, 0, types[0]!);
  if (n > 1 && !IS[types[1]!](b)) badArg(name, 1, types[1]!);
  if (n > 2 && !IS[types[2]!](c)) badArg(name, 2, types[2]!);
  if (n > 3 && !IS[types[3]!](d)) badArg(name, 3, types[3]!);
}

function badArg(name: string, i: number, t: WireType): never {
  throw new OpError('EDGE_ERR_BAD_ARGUMENT', `op ${name}: argument ${i + 1} must be ${t}`);
}

/** What the bridge needs from the instance it serves. */
export interface BridgeHooks {
  /** The instance has ended: sync ops do nothing, async ops are refused. */
  ended(): boolean;
  /** The request whose call into the isolate is running now ('' for none). */
  activeReqId(): string;
  /**
   * Re-enters the isolate through `complete(opId, ok, a, b, c)`, charged to the pending request
   * `reqId` if there is one, else to the background budget (undefined: a 'background' op).
   */
  complete(reqId: string | undefined, opId: number, ok: boolean, a: unknown, b: unknown, c: unknown, d: unknown, hostNs: bigint): void;
}

/** One started async op; it is also the Settle its implementation reports through. */
class PendingOp {
  cancel: (() => void) | undefined = undefined;
  readonly bridge: HostBridge;
  readonly name: OpName;
  readonly id: number;
  readonly reqId: string | undefined;
  /** Host CPU reported through charge(), charged with the completion. */
  hostNs = 0n;
  constructor(bridge: HostBridge, name: OpName, id: number, reqId: string | undefined) {
    this.bridge = bridge;
    this.name = name;
    this.id = id;
    this.reqId = reqId;
  }
  resolve(a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    this.bridge.finish(this, true, a, b, c, d);
  }
  reject(code: OpCode, message: string): void {
    this.bridge.finish(this, false, code, message, undefined, undefined);
  }
  charge(ns: bigint): void {
    if (ns > 0n) this.hostNs += ns;
  }
}

export class HostBridge {
  /** In table order: the context receives them as one array (isolate.ts), never by position in hand-written code. */
  readonly callbacks: ivm.Callback[];
  readonly #ops = new Map<number, PendingOp>();
  readonly #inflight = new Map<OpName, number>();
  readonly #hooks: BridgeHooks;

  /** `impls` has every op of the table but `cancel`, which is the bridge's own. */
  constructor(impls: Omit<HostImpls, 'cancel'>, hooks: BridgeHooks) {
    this.#hooks = hooks;
    const all: HostImpls = { ...impls, cancel: (id: number) => this.#cancel(id) };
    // The types already demand exactly the table's ops; checked again because a callback the table
    // does not list would be a bridge entry no guest binding, argument check or CPU rule covers.
    for (const k of Object.keys(all)) if (!Object.hasOwn(OPS, k)) throw new TypeError(`bridge: ${k} is not an op of the table`);
    for (const k of OP_NAMES) if (typeof all[k] !== 'function') throw new TypeError(`bridge: op ${k} has no host implementation`);
    this.callbacks = OP_NAMES.map((name) => this.#callback(name, OPS[name], all[name] as (...args: unknown[]) => unknown));
  }

  #callback(name: OpName, spec: OpSpec, impl: (...args: unknown[]) => unknown): ivm.Callback {
    const types = spec.args;
    const hooks = this.#hooks;
    if (spec.kind === 'sync') {
      return new ivm.Callback((a: unknown, b: unknown, c: unknown, d: unknown) => {
        if (hooks.ended()) return undefined;
        checkArgs(name, types, a, b, c, d);
        return impl(a, b, c, d);
      });
    }
    const cpu = spec.cpu;
    return new ivm.Callback((id: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => {
      if (hooks.ended()) throw new OpError('EDGE_ERR_INSTANCE_ENDED', 'the instance has ended');
      if (!Number.isSafeInteger(id) || this.#ops.has(id as number)) throw new OpError('EDGE_ERR_BAD_ARGUMENT', `op ${name}: ${String(id)} is not a new op id`);
      checkArgs(name, types, a, b, c, d);
      const op = new PendingOp(this, name, id as number, cpu === 'request' ? hooks.activeReqId() : undefined);
      // Recorded first, so an implementation that settles at once still completes; removed if it refuses.
      this.#ops.set(op.id, op);
      this.#inflight.set(name, (this.#inflight.get(name) ?? 0) + 1);
      try {
        op.cancel = impl(op, a, b, c, d) as (() => void) | undefined;
      } catch (e) {
        this.#drop(op);
        throw e;
      }
      return undefined;
    });
  }

  /** How many ops of this kind are pending (implementations bound them: timers, fetches). */
  inflight(name: OpName): number {
    return this.#inflight.get(name) ?? 0;
  }

  /** Called by PendingOp: the first outcome of a live op re-enters the isolate; later ones are ignored. */
  finish(op: PendingOp, ok: boolean, a: unknown, b: unknown, c: unknown, d: unknown): void {
    if (!this.#drop(op) || this.#hooks.ended()) return;
    this.#hooks.complete(op.reqId, op.id, ok, a, b, c, d, op.hostNs);
  }

  #drop(op: PendingOp): boolean {
    if (this.#ops.get(op.id) !== op) return false;
    this.#ops.delete(op.id);
    this.#inflight.set(op.name, (this.#inflight.get(op.name) ?? 1) - 1);
    return true;
  }

  #cancel(id: number): void {
    const op = this.#ops.get(id);
    if (!op || !this.#drop(op)) return;
    op.cancel?.();
  }

  /** Cancels the pending ops of one kind that a request started (its client went away): they never complete. */
  cancelOps(reqId: string, name: OpName): void {
    for (const op of [...this.#ops.values()]) {
      if (op.reqId !== reqId || op.name !== name || !this.#drop(op)) continue;
      op.cancel?.();
    }
  }

  /** The instance ended: every pending op is cancelled and will not complete. */
  stop(): void {
    const ops = [...this.#ops.values()];
    this.#ops.clear();
    this.#inflight.clear();
    for (const op of ops) op.cancel?.();
  }
}
