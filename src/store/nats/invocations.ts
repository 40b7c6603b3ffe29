/**
 * The InvocationStore on NATS JetStream (design §8), for hosts that share one queue.
 *
 * Records: one KV entry per call, `c.<id>` in `<prefix>_calls`. Every change of a call's state is a
 * compare-and-set on the entry's revision, so two nodes never both move one call on. Each node
 * mirrors the records' state in memory from a watch of the bucket (call-index.ts): stats(),
 * pending(), list() and callbacksDue() read that mirror, so their counts are the cluster's.
 *
 * Queue: a work-queue stream `<prefix>_queue`, one message per call (published at submission,
 * acked when the call ends: a retry or an interrupted run keeps its message), and one durable pull
 * consumer shared by every node, explicit ack, no delivery limit (the record's attempts decide
 * when a call is dead). A node fetches into a bounded buffer, keeps every message it holds alive
 * with working(), and claims from that buffer per function; a retry goes back with nak(delay), so
 * whichever node is free runs it once it is due. The server redelivers a message only once its
 * holder stopped heartbeating (it died, or was cut off for the ack wait): whoever gets it and
 * finds the record still running records the interrupted attempt, as SQLite's recover() does at
 * a restart, and runs it again or makes it dead.
 *
 * Dead letters: a dead call's record is also published to `<prefix>_dead` (JetStream has no DLQ).
 *
 * While NATS is unreachable every method that talks to it fails at once with 503
 * EDGE_ERR_STORE_UNAVAILABLE; stats() and pending() answer from the mirror.
 *
 * Here: the InvocationStore's methods, which move the records and tell the buffer what became of
 * its messages. Beside it: the server's streams and consumer (call-streams.ts), the bucket's reads,
 * compare-and-set, deletes, dead letters and watch (call-records.ts), the buffer (call-queue.ts),
 * the listeners and what they were told (call-listeners.ts), the records' encoding and moves
 * (call-codec.ts), the mirror (call-index.ts), and the keys and subjects (call-keys.ts).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { EdgeError } from '../../core/errors.ts';
import type { AttemptOutcome, CallRecord, CallbackStatus, CallListQuery, FunctionQueueStats, InvocationStore, NewCall, SubmitRefusal } from '../invocation-types.ts';
import { FINAL_STATUSES } from '../invocation-types.ts';
import { cancelled, encodeCall, interrupted, outcome, toRecord, type StoredCall } from './call-codec.ts';
import { CallIndex } from './call-index.ts';
import { callKey, dedupeKey } from './call-keys.ts';
import { QueueListeners } from './call-listeners.ts';
import { CallQueue, type Held } from './call-queue.ts';
import { CAS_TRIES, CallRecords } from './call-records.ts';
import { openCallStreams } from './call-streams.ts';
import { isWrongSequence, names, storeUnavailable, type NatsLink } from './connection.ts';

/** A node delivering a callback holds it this long before another may take it over. */
const LEASE_MS = 30_000;
/** A key whose call is still missing this long after it was taken (its submission failed) is free again. */
const KEY_TAKEOVER_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;
const PARALLEL = 64;

const nodeOf = (holder: string) => holder.slice(0, holder.lastIndexOf('/'));

export class NatsInvocationStore implements InvocationStore {
  readonly #link: NatsLink;
  /** The calls bucket, for the submission keys' entries; the records go through #records. */
  readonly #kv: KV;
  /** This node's name: a restarted node recovers the calls its previous process left running. */
  readonly #node: string;
  /** This process: what a claim writes as the record's holder. */
  readonly #me: string;
  readonly #index = new CallIndex((id, meta) => this.#queue.indexed(id, meta));
  readonly #records: CallRecords;
  readonly #queue: CallQueue;
  readonly #listeners = new QueueListeners();
  /** Per function, the submission under way: check-and-create is serialised so maxQueued and keys hold within a node. */
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #ops = new Set<Promise<unknown>>();
  #limits: { max: number; byFn: Record<string, number> } | undefined;
  #closed = false;
  readonly #now: () => number;

  private constructor(link: NatsLink, n: ReturnType<typeof names>, js: JetStreamClient, jsm: JetStreamManager, kv: KV, consumer: Consumer, ackWaitMs: number, node: string, now: () => number) {
    this.#now = now;
    this.#link = link;
    this.#kv = kv;
    this.#node = node;
    this.#me = `${node}/${randomUUID().slice(0, 8)}`;
    this.#records = new CallRecords({ link, js, jsm, kv, names: n, index: this.#index });
    this.#queue = new CallQueue({
      link, js, stream: n.queue, consumer, ackWaitMs, index: this.#index, records: this.#records, listeners: this.#listeners, now,
      recovery: { ready: () => this.#limits !== undefined, interrupt: (id, at, holder, h) => this.#interrupt(id, at, holder, h) },
    });
  }

  /**
   * Opens (creating when missing) the bucket, the streams and the consumer under `prefix`, and
   * loads the mirror. `nodeName` (default: the host name) must be unique in the cluster and kept
   * across restarts: recover() takes back the calls a previous process of that node left running.
   * `now`: the clock of the records' times (runAt), the host's wall clock (tests set it ahead); intervals of its own use the real clock.
   */
  static async open(link: NatsLink, opts: { prefix: string; replicas?: number; ackWaitMs?: number; nodeName?: string; now?: () => number }): Promise<NatsInvocationStore> {
    link.requireUp('the invocation store');
    const n = names(opts.prefix);
    const ackWaitMs = opts.ackWaitMs ?? 30_000;
    let s: NatsInvocationStore | undefined;
    try {
      const js = jetstream(link.nc, { timeout: REQUEST_TIMEOUT_MS });
      const jsm = await jetstreamManager(link.nc, { timeout: REQUEST_TIMEOUT_MS });
      const { kv, consumer } = await openCallStreams(js, jsm, n, { replicas: opts.replicas ?? 1, ackWaitMs });
      s = new NatsInvocationStore(link, n, js, jsm, kv, consumer, ackWaitMs, opts.nodeName ?? hostname(), opts.now ?? Date.now);
      await s.#records.watch();
      s.#queue.start();
      return s;
    } catch (e) {
      await s?.close();
      throw storeUnavailable(e, 'the invocation store');
    }
  }

  // ---- plumbing --------------------------------------------------------------------------------

  #check(what: string): void {
    if (this.#closed) throw new Error('the invocation store is closed');
    this.#link.requireUp(what);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#ops.add(p);
    void p.then(() => this.#ops.delete(p), () => this.#ops.delete(p));
    return p;
  }

  async #wrap<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw storeUnavailable(e, what);
    }
  }

  #serial<T>(fn: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(fn) ?? Promise.resolve()).then(task, task);
    const tail = run.then(() => {}, () => {});
    this.#chains.set(fn, tail);
    void tail.then(() => { if (this.#chains.get(fn) === tail) this.#chains.delete(fn); });
    return run;
  }

  #maxFor(fn: string): number {
    return this.#limits?.byFn[fn] ?? this.#limits?.max ?? 1;
  }

  // ---- the interface ---------------------------------------------------------------------------

  async submit(call: NewCall, opts: { dedupeMs: number; maxQueued: number }): Promise<{ call: CallRecord; duplicate: boolean } | SubmitRefusal> {
    this.#check('the call');
    return this.#track(this.#serial(call.fn, () => this.#wrap('the call', () => this.#submit(call, opts))));
  }

  async #submit(call: NewCall, opts: { dedupeMs: number; maxQueued: number }): Promise<{ call: CallRecord; duplicate: boolean } | SubmitRefusal> {
    this.#link.requireUp('the call');
    const kk = call.key === undefined ? undefined : dedupeKey(call.fn, call.key);
    for (let i = 0; ; i++) {
      // The key's entry names the latest call made with it; replaced (by compare-and-set) once outside the window.
      let keyRev: number | undefined;
      if (kk) {
        const e = await this.#kv.get(kk);
        if (e?.operation === 'PUT') {
          const first = e.json<{ id: string; createdAt: number; at: number }>();
          if (first.createdAt >= call.createdAt - opts.dedupeMs) {
            const had = await this.#records.read(first.id);
            if (had) return { call: toRecord(had.stored), duplicate: true };
            // Taken a moment ago, its call not stored yet: another node is creating it (a key whose submission failed is taken over later).
            if (Date.now() - first.at < KEY_TAKEOVER_MS && i < CAS_TRIES * 4) {
              await new Promise((r) => setTimeout(r, 25));
              continue;
            }
          }
          keyRev = e.revision;
        }
      }
      const queued = this.#index.queuedCount(call.fn);
      if (queued >= opts.maxQueued) return { refused: 'queue-full', queued };
      if (kk) {
        const v = JSON.stringify({ id: call.id, createdAt: call.createdAt, at: Date.now() });
        try {
          if (keyRev === undefined) await this.#kv.create(kk, v);
          else await this.#kv.update(kk, v, keyRev);
        } catch (e) {
          // Another node took the key first: its call may be the one to answer.
          if (isWrongSequence(e) && i < CAS_TRIES) continue;
          throw e;
        }
      }
      return this.#create(call);
    }
  }

  async #create(call: NewCall): Promise<{ call: CallRecord; duplicate: boolean }> {
    const rec: StoredCall = {
      id: call.id, fn: call.fn, status: 'queued', request: call.request, createdAt: call.createdAt, runAt: call.createdAt, attempts: [],
      ...(call.key !== undefined ? { key: call.key } : {}),
      ...(call.callbackUrl !== undefined ? { callback: { url: call.callbackUrl, status: 'pending' as const, attempts: 0 } } : {}),
      ...(call.replayOf !== undefined ? { replayOf: call.replayOf } : {}),
    };
    const data = encodeCall(rec);
    if (data.byteLength > this.#records.maxBytes()) throw new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the call is ${data.byteLength} bytes stored; the NATS server takes at most ${this.#records.maxBytes()} (its max_payload)`);
    if (this.#index.get(call.id)) throw new Error(`a call with id ${call.id} exists already`);
    await this.#queue.enqueue(call.id, call.fn, call.createdAt, () => this.#records.create(rec, data));
    return { call: toRecord(rec), duplicate: false };
  }

  async get(id: string): Promise<CallRecord | undefined> {
    this.#check('reading the call');
    return this.#wrap('reading the call', async () => {
      const r = await this.#records.read(id);
      return r && toRecord(r.stored);
    });
  }

  async list(fn: string, q: CallListQuery = {}): Promise<CallRecord[]> {
    this.#check('listing calls');
    return this.#wrap('listing calls', async () => {
      const got = await Promise.all(this.#index.list(fn, q).map((m) => this.#records.read(m.id)));
      const want = q.status?.length ? new Set(q.status) : undefined;
      return got.filter((r) => r !== undefined && (!want || want.has(r.stored.status))).map((r) => toRecord(r!.stored));
    });
  }

  async pending(): Promise<Map<string, number>> {
    const p = this.#index.pending();
    for (const [fn, at] of p) this.#listeners.known(fn, at);
    return p;
  }

  async claim(fn: string, now: number, n: number): Promise<{ calls: CallRecord[]; nextAt: number | undefined }> {
    this.#check('the claim');
    this.#queue.claiming();
    return this.#track(this.#wrap('the claim', async () => {
      await this.#queue.arrivals(fn);
      const calls: CallRecord[] = [];
      let failed: unknown;
      // Again when some were not claimable after all (cancelled, moved on): up to n in all.
      for (let round = 0; round < 4 && calls.length < n && failed === undefined; round++) {
        const due = this.#queue.take(fn, now, n - calls.length);
        if (due.length === 0) break;
        for (const r of await Promise.allSettled(due.map((h) => this.#claimOne(h, now)))) {
          if (r.status === 'rejected') failed ??= r.reason;
          else if (r.value) calls.push(r.value);
        }
      }
      // A claim that got some calls answers them; the rest are tried again by the next one.
      if (calls.length === 0 && failed !== undefined) throw failed;
      return { calls, nextAt: this.#queue.nextAt(fn) };
    }));
  }

  async #claimOne(h: Held, now: number): Promise<CallRecord | undefined> {
    let r;
    try {
      r = await this.#records.mutate(h.id, (s) => (s.status === 'queued' && s.runAt <= now ? { ...s, status: 'running', holder: this.#me } : undefined));
    } catch (e) {
      this.#queue.claimFailed(h);
      throw e;
    }
    if (r?.after) {
      this.#queue.claimed(h);
      return toRecord(r.after);
    }
    this.#queue.unclaimable(h, r !== undefined);
    return undefined;
  }

  async finish(id: string, o: AttemptOutcome): Promise<CallRecord | undefined> {
    this.#check('the outcome');
    const h = this.#queue.claimOf(id);
    // Only this process's claims: a call running elsewhere is its holder's to finish.
    if (!h) return undefined;
    return this.#track(this.#wrap('the outcome', async () => {
      const r = await this.#records.mutate(id, (s) => (s.status === 'running' && s.holder === this.#me ? outcome(s, o) : undefined));
      const after = r?.after;
      if (!this.#queue.holds(h)) return after && toRecord(after);
      if (!after) {
        // Someone recovered it meanwhile (this node was cut off past the ack wait): the message is theirs now.
        this.#queue.drop(h, r && FINAL_STATUSES.has(r.before.status) ? 'ack' : r ? 'forget' : 'ack');
        return undefined;
      }
      if (after.status === 'queued') {
        // Due already (or so soon that going round the server gains nothing): stays here; else any node takes it when due.
        const delay = after.runAt - this.#now();
        if (delay > 0) this.#queue.drop(h, 'nak', delay);
        else this.#queue.ready(h, after.runAt);
        this.#listeners.emit(after.fn, after.runAt, true);
      } else if (after.status === 'dead') {
        const sent = await this.#records.deadLetter(after).then(() => true, () => false);
        // The record says dead either way; a letter that did not go out is sent by whoever gets the message next.
        this.#queue.drop(h, sent ? 'ack' : 'nak', sent ? 0 : 1000);
      } else this.#queue.drop(h, 'ack');
      return toRecord(after);
    }));
  }

  async cancel(id: string, now: number): Promise<CallRecord | undefined> {
    this.#check('the cancellation');
    // Its message, wherever it is, is acked when its holder hears of the record (#indexed) or next gets it.
    return this.#track(this.#wrap('the cancellation', async () => {
      const r = await this.#records.mutate(id, (s) => (s.status === 'queued' ? cancelled(s, now, 'the call was cancelled before it ran; nothing was delivered') : undefined));
      return r && toRecord(r.after ?? r.before);
    }));
  }

  async cancelFunction(fn: string, now: number): Promise<number> {
    this.#check('the cancellation');
    return this.#track(this.#wrap('the cancellation', async () => {
      const ids = this.#index.queuedOf(fn).map((m) => m.id);
      let n = 0;
      for (let i = 0; i < ids.length; i += PARALLEL) {
        const done = await Promise.all(ids.slice(i, i + PARALLEL).map((id) => this.#records.mutate(id, (s) => (s.status === 'queued' ? cancelled(s, now, 'the function was deleted before the call ran; nothing was delivered') : undefined))));
        n += done.filter((r) => r?.after).length;
      }
      return n;
    }));
  }

  /**
   * Interrupted runs: this process's own claims (the worker calls this once, at its start, before it
   * claims: a claim still open then was left by a worker that stopped without finishing it), messages
   * that came back while their record said running, and calls a previous process of this node left
   * running, whose messages the server has yet to redeliver. Calls running under another live node
   * are left alone: if that node died, their messages come back after the ack wait, and whoever gets
   * them records the interruption then, with the limits given here. Answers how many it recorded.
   */
  async recover(now: number, maxAttempts: number, byFunction: Record<string, number> = {}): Promise<number> {
    this.#check('the recovery');
    this.#limits = { max: maxAttempts, byFn: { ...byFunction } };
    this.#queue.wake();
    return this.#track(this.#wrap('the recovery', async () => {
      const { ids: seen, jobs } = this.#queue.recoverHeld(now, this.#me);
      for (const m of this.#index.running()) {
        if (!seen.has(m.id) && m.holder !== undefined && m.holder !== this.#me && nodeOf(m.holder) === this.#node) jobs.push(this.#interrupt(m.id, now, m.holder));
      }
      const done = await Promise.allSettled(jobs);
      const failed = done.find((d) => d.status === 'rejected');
      if (failed) throw failed.reason;
      return done.filter((d) => d.status === 'fulfilled' && d.value).length;
    }));
  }

  /** The interrupted attempt of a call still running under `holder`: queued again to run at `now`, or dead past its attempts. */
  async #interrupt(id: string, now: number, holder: string | undefined, h?: Held): Promise<boolean> {
    const r = await this.#records.mutate(id, (s) => (s.status === 'running' && s.holder === holder ? interrupted(s, now, this.#maxFor(s.fn)) : undefined));
    const after = r?.after;
    // The message's moves below leave it alone once this node no longer holds it.
    if (after?.status === 'queued') {
      if (h) this.#queue.ready(h, now);
      this.#listeners.emit(after.fn, now, true);
    } else if (after) {
      const sent = await this.#records.deadLetter(after).then(() => true, () => false);
      if (h) this.#queue.drop(h, sent ? 'ack' : 'nak', sent ? 0 : 1000);
    } else if (h) this.#queue.recheck(h);
    return after !== undefined;
  }

  async callbacksDue(now: number, n: number): Promise<CallRecord[]> {
    this.#check('the callback lease');
    return this.#track(this.#wrap('the callback lease', async () => {
      const t = Date.now();
      // Another node's live lease: it is delivering that one.
      const due = this.#index.callbacksDue(now).filter((m) => !m.lease || m.lease.by === this.#node || m.lease.until <= t);
      const out: CallRecord[] = [];
      for (let i = 0; i < due.length && out.length < n;) {
        const batch = due.slice(i, i + n - out.length);
        i += batch.length;
        for (const r of await Promise.all(batch.map((m) => this.#lease(m.id, now)))) if (r) out.push(r);
      }
      return out;
    }));
  }

  /** Takes (or keeps) this node's lease on a due callback by compare-and-set: two nodes never both deliver it in one lease. */
  async #lease(id: string, now: number): Promise<CallRecord | undefined> {
    const t = Date.now();
    const due = (s: StoredCall) => s.callback?.status === 'pending' && s.callback.nextAt !== undefined && s.callback.nextAt <= now;
    const r = await this.#records.mutate(id, (s) => {
      if (!due(s)) return undefined;
      if (s.lease && (s.lease.by === this.#node ? s.lease.until - t > LEASE_MS / 2 : s.lease.until > t)) return undefined;
      return { ...s, lease: { by: this.#node, until: t + LEASE_MS } };
    });
    if (!r) return undefined;
    const s = r.after ?? r.before;
    return r.after || (due(s) && s.lease?.by === this.#node) ? toRecord(s) : undefined;
  }

  async callbackTried(id: string, o: { status: CallbackStatus; nextAt?: number; error?: string }): Promise<void> {
    this.#check('the callback outcome');
    await this.#track(this.#wrap('the callback outcome', () => this.#records.mutate(id, (s) => {
      if (!s.callback) return undefined;
      const cb = { ...s.callback, status: o.status, attempts: s.callback.attempts + 1 };
      if (o.nextAt !== undefined) cb.nextAt = o.nextAt;
      else delete cb.nextAt;
      if (o.error !== undefined) cb.lastError = o.error;
      const { lease: _lease, ...rest } = s;
      return { ...rest, callback: cb };
    })));
  }

  async expire(before: number, keyedBefore = before): Promise<number> {
    this.#check('the expiry');
    return this.#track(this.#wrap('the expiry', async () => {
      await this.#records.purgeDeleted();
      const gone = this.#index.expirable(before, keyedBefore);
      let n = 0;
      for (let i = 0; i < gone.length; i += PARALLEL) {
        await Promise.all(gone.slice(i, i + PARALLEL).map(async (m) => {
          const rev = await this.#records.delete(callKey(m.id), m.rev);
          if (rev === undefined) {
            // Changed since the index saw it (another node wrote it): looked at again next time. Or gone, marker and all
            // (another node expired it and purged the marker before this node's watch saw it): a finished call never comes back.
            if (!(await this.#kv.get(callKey(m.id)))) this.#index.apply(m.id, m.rev + 1, undefined);
            return;
          }
          this.#index.apply(m.id, rev, undefined);
          n++;
          if (m.key === undefined) return;
          const kk = dedupeKey(m.fn, m.key);
          const e = await this.#kv.get(kk);
          if (e?.operation === 'PUT' && e.json<{ id: string }>().id === m.id) await this.#records.delete(kk, e.revision);
        }));
      }
      return n;
    }));
  }

  watchQueued(listener: (fn: string, runAt: number) => void): () => void {
    const off = this.#listeners.add(listener);
    this.#queue.wake();
    return off;
  }

  stats(): Map<string, FunctionQueueStats> {
    return this.#index.stats();
  }

  /**
   * Waits for the writes under way, stops fetching and watching, and hands every held message back
   * at once (nak): others take the unclaimed ones now, and a run still open here counts as
   * interrupted wherever it goes. The link stays open: it is the caller's.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.stop();
    await Promise.allSettled([...this.#ops]);
    this.#records.stop();
    await this.#queue.close();
    this.#listeners.clear();
  }
}
