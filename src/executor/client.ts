/**
 * The gateway's handle on one executor thread: batched sends, replies matched by
 * id, in-flight accounting for the load balancer, and failure of every pending
 * request if the thread dies.
 */
import { Worker } from 'node:worker_threads';
import { EdgeError } from '../core/errors.ts';
import { exactBytes } from '../core/bytes.ts';
import type { RevisionSpec } from '../runtime/types.ts';
import { Batcher } from './batcher.ts';
import type { CacheMessage, ExecutorInit, ExecutorStats, FromExecutor, InstancesMessage, InvokeMessage, InvokeResponse, LogMessage, ToExecutor } from './protocol.ts';
import { RequestPump, ResponseBody, type StreamedBody } from './streams.ts';

export type { StreamedBody } from './streams.ts';
export { ResponseBody } from './streams.ts';

/** A call's streams while they flow: the request body going out, the response body coming in. */
interface Streams {
  pump: RequestPump | undefined;
  body: ResponseBody | undefined;
}

export type InvokeReply = InvokeResponse;
export type GuestLog = LogMessage;
/** An executor's instance count for a revision changed (the `instances` message). */
export type ReadyEvent = InstancesMessage;
/** Cache API counts from an executor (the `cache` message). */
export type CacheEvent = CacheMessage;

interface Waiter {
  resolve: (m: FromExecutor) => void;
  reject: (e: Error) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

export class ExecutorClient {
  readonly index: number;
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** Revisions this executor has been sent (it holds their code). */
  readonly loaded = new Set<string>();
  inflight = 0;
  #nextId = 1;
  readonly #waiting = new Map<number, Waiter>();
  /** Calls whose request or response body streams, by id: chunk, end and credit messages go to them. */
  readonly #streams = new Map<number, Streams>();
  /** Waiting for `inflight` to reach 0 (a retiring executor ends then). */
  #onDrained: (() => void)[] = [];
  readonly #out: Batcher<ToExecutor>;
  #dead: Error | undefined;
  #exited = false;

  /** Live instances per revision on this executor, as it last reported. */
  readonly instances = new Map<string, number>();
  /** Bytes this executor's Cache API store held, as it last reported. */
  cacheBytes = 0;
  /** Set when the thread autoscaler retires this executor: it takes no new requests. */
  retiring = false;

  constructor(index: number, init: ExecutorInit, onLog: (m: GuestLog) => void, onExit: (c: ExecutorClient, err: Error) => void, onReady: (c: ExecutorClient, m: ReadyEvent) => void = () => {}, onCache: (m: CacheEvent) => void = () => {}) {
    this.index = index;
    this.worker = new Worker(WORKER_URL, { workerData: init, name: `isoedge-executor-${index}` });
    this.#out = new Batcher<ToExecutor>((batch, transfer) => this.worker.postMessage(batch, transfer));
    let markReady: () => void;
    let failReady: (e: Error) => void;
    this.ready = new Promise((res, rej) => { markReady = res; failReady = rej; });
    // Executors started later (restart, resize) are not awaited: their failure must not be an unhandled rejection.
    this.ready.catch(() => {});
    this.worker.on('message', (batch: FromExecutor[]) => {
      for (const m of batch) {
        if (m.t === 'log') onLog(m);
        else if (m.t === 'instances') {
          if (m.count > 0) this.instances.set(m.rev, m.count);
          else this.instances.delete(m.rev);
          onReady(this, m);
        } else if (m.t === 'cache') {
          this.cacheBytes = m.bytes;
          onCache(m);
        } else if (m.t === 'started') markReady();
        else if (m.t === 'chunk') this.#streams.get(m.id)?.body?.chunk(m.off, m.len);
        else if (m.t === 'end') this.#streams.get(m.id)?.body?.end(m.code, m.message);
        else if (m.t === 'req-credit') this.#streams.get(m.id)?.pump?.credit(m.bytes);
        else {
          const w = this.#waiting.get(m.id);
          if (!w) {
            // Nobody waits for this answer any more (the request body went over its limit): drop its stream.
            if (m.t === 'res' && m.stream) this.#out.push({ t: 'cancel', id: m.id });
            continue;
          }
          this.#waiting.delete(m.id);
          // A streaming body is made here, at once: its first chunks may be in this same batch.
          if (m.t === 'res' && m.stream && m.ring) w.resolve({ ...m, body: this.#responseBody(m.id, m.ring) });
          else w.resolve(m);
        }
      }
    });
    const die = (err: Error): void => {
      if (this.#dead) return;
      this.#dead = err;
      failReady(err);
      this.#drain();
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
      for (const st of this.#streams.values()) { st.pump?.close(); st.body?.end('EDGE_ERR_EXECUTOR_LOST', err.message); }
      this.#streams.clear();
      onExit(this, err);
    };
    this.worker.on('error', (e) => die(new EdgeError('EDGE_ERR_EXECUTOR_LOST', `executor ${index} failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => {
      this.#exited = true;
      die(new EdgeError('EDGE_ERR_EXECUTOR_LOST', `executor ${index} exited with code ${code}`));
    });
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  load(rev: RevisionSpec): void {
    this.loaded.add(rev.id);
    // Byte arrays go as exact copies (exactBytes): postMessage would copy a view's whole buffer.
    this.#out.push({ t: 'load-revision', rev: { ...rev, cache: rev.cache && exactBytes(rev.cache), ...(rev.wasm ? { wasm: exactBytes(rev.wasm) } : {}), ...(rev.cores ? { cores: rev.cores.map(([n, b]) => [n, exactBytes(b)] as [string, Uint8Array]) } : {}) } });
  }

  unload(revId: string): void {
    if (this.loaded.delete(revId)) this.#out.push({ t: 'unload-revision', id: revId });
  }

  forgetFunction(fn: string): void {
    this.#out.push({ t: 'forget-function', fn });
  }

  scale(rev: RevisionSpec, min: number): void {
    if (min > 0 && !this.loaded.has(rev.id)) this.load(rev);
    this.#out.push({ t: 'scale', rev: rev.id, min });
  }

  /**
   * Runs a request. A `StreamedBody` goes out as the executor asks for it; a streaming response comes
   * back as a `res` whose body is a ResponseBody (a Node Readable). The call counts in `inflight` until
   * its response body ended. `signal` aborting (the client went away) cancels the call in the executor.
   */
  invoke(msg: Omit<InvokeMessage, 'id' | 't' | 'body'> & { body: Uint8Array | null | StreamedBody }, signal?: AbortSignal): Promise<FromExecutor> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    this.inflight++;
    const send = (m: ToExecutor, transfer?: ArrayBuffer): void => this.#out.push(m, transfer);
    const onAbort = signal && ((): void => send({ t: 'cancel', id }));
    signal?.addEventListener('abort', onAbort!, { once: true });
    const finished = (): void => {
      if (onAbort) signal!.removeEventListener('abort', onAbort);
      const st = this.#streams.get(id);
      if (st) {
        st.pump?.close();
        this.#streams.delete(id);
      }
      if (--this.inflight === 0 && this.#onDrained.length > 0) this.#drain();
    };
    return new Promise<FromExecutor>((resolve, reject) => {
      // The call ends with its answer, or with its response body when that streams (it counts in `inflight` until then).
      this.#waiting.set(id, {
        resolve: (m) => {
          if (m.t === 'res' && m.body instanceof ResponseBody && !m.body.destroyed) m.body.once('close', finished);
          else finished();
          resolve(m);
        },
        reject: (e) => {
          finished();
          reject(e);
        },
      });
      const body = msg.body;
      if (body !== null && !(body instanceof Uint8Array)) {
        const streams: Streams = { pump: undefined, body: undefined };
        this.#streams.set(id, streams);
        this.#out.push({ t: 'invoke', id, rev: msg.rev, reqId: msg.reqId, method: msg.method, url: msg.url, headers: msg.headers, body: 'stream', scheduled: msg.scheduled });
        // Over its limit the request fails at once with 413 (or, once a response streams, the response aborts).
        streams.pump = new RequestPump(id, body, send, (e) => {
          send({ t: 'cancel', id });
          const w = this.#waiting.get(id);
          if (w) {
            this.#waiting.delete(id);
            w.resolve({ t: 'err', id, code: e.code, message: e.message });
          } else streams.body?.end(e.code, e.message);
        });
        return;
      }
      // Transfer the body when it owns its whole buffer; otherwise structured clone copies it.
      const transfer = body && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer ? body.buffer : undefined;
      this.#out.push({ t: 'invoke', id, rev: msg.rev, reqId: msg.reqId, method: msg.method, url: msg.url, headers: msg.headers, body, scheduled: msg.scheduled }, transfer);
    });
  }

  /** The Readable of a streaming response: chunk and end messages for `id` go to it from now on. */
  #responseBody(id: number, ring: SharedArrayBuffer): ResponseBody {
    const body = new ResponseBody(id, (m, transfer) => this.#out.push(m, transfer), ring);
    const st = this.#streams.get(id);
    if (st) st.body = body;
    else this.#streams.set(id, { pump: undefined, body });
    return body;
  }

  /** Resolves once nothing is in flight here (at once if nothing is), or when the thread has died. */
  drained(): Promise<void> {
    if (this.inflight === 0 || this.#dead) return Promise.resolve();
    return new Promise((res) => this.#onDrained.push(res));
  }

  #drain(): void {
    const waiting = this.#onDrained;
    this.#onDrained = [];
    for (const res of waiting) res();
  }

  async stats(): Promise<ExecutorStats> {
    if (this.#dead) throw this.#dead;
    const id = this.#nextId++;
    const m = await new Promise<FromExecutor>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#out.push({ t: 'stats', id });
    });
    if (m.t !== 'stats') throw new Error('unexpected stats reply');
    return m.stats;
  }

  async terminate(): Promise<void> {
    this.#out.flush();
    this.#dead ??= new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the executor is shutting down');
    if (this.#exited) {
      for (const w of this.#waiting.values()) w.reject(this.#dead);
      this.#waiting.clear();
      return;
    }
    // Ask the worker to dispose its isolates and exit by itself; terminate it if it does not.
    const exited = new Promise<void>((res) => this.worker.once('exit', () => res()));
    const close: ToExecutor[] = [{ t: 'close' }];
    this.worker.postMessage(close);
    const timer = setTimeout(() => { process.stderr.write(`executor ${this.index} did not exit in 2 s; terminating\n`); void this.worker.terminate(); }, 2000);
    await exited;
    clearTimeout(timer);
    // Whatever was still waiting for this thread will not get an answer now.
    for (const w of this.#waiting.values()) w.reject(this.#dead);
    this.#waiting.clear();
  }
}

