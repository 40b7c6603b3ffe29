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
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Empty, headers, nanos } from '@nats-io/transport-node';
import { EdgeError } from '../../core/errors.ts';
import type { AttemptOutcome, CallRecord, CallbackStatus, CallListQuery, FunctionQueueStats, InvocationStore, NewCall, SubmitRefusal } from '../invocation-types.ts';
import { FINAL_STATUSES } from '../invocation-types.ts';
import { cancelled, decodeCall, encodeCall, interrupted, outcome, parseCall, toRecord, withoutHolder, type StoredCall } from './call-codec.ts';
import { CallIndex, metaOf, type CallMeta } from './call-index.ts';
import { isWrongSequence, names, storeUnavailable, type NatsLink } from './connection.ts';

const CONSUMER = 'workers';
/** Messages a node holds unclaimed at most. It asks for more once it holds fewer than half: meanwhile new messages go to the other nodes. */
const BUFFER = 256;
/** A pull request's life: the next one follows at once. */
const FETCH_EXPIRES_MS = 5000;
/** How long claim() waits for messages this node just published that have not arrived anywhere yet (see #awaitPublished). */
const ARRIVAL_WAIT_MS = 200;
/** A message whose call may run only later than this goes back with nak(delay) instead of sitting in the buffer. */
const HOLD_AHEAD_MS = 10_000;
/** A message whose record is still missing after this long (its submission failed after publishing, or it outlived its call) is dropped. */
const ORPHAN_MS = 10_000;
/** A message of an interrupted run waits this long for recover() to give the attempt limits, then goes back for another node. */
const PARK_MS = 60_000;
/** A claim keeps the node fetching this long: a node whose worker stopped leaves the queue to the others. */
const INTEREST_MS = 30_000;
/** A node delivering a callback holds it this long before another may take it over. */
const LEASE_MS = 30_000;
const DEAD_MAX_AGE_MS = 30 * 24 * 3600_000;
const CAS_TRIES = 16;
/** A key whose call is still missing this long after it was taken (its submission failed) is free again. */
const KEY_TAKEOVER_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;
const PARALLEL = 64;

/** KV keys and subject tokens allow few characters: anything else is carried in base64url behind a '='. */
const PLAIN = /^[-_a-zA-Z0-9]+$/;
const token = (s: string) => (PLAIN.test(s) ? s : `=${Buffer.from(s).toString('base64url')}`);
const untoken = (t: string) => (t.startsWith('=') ? Buffer.from(t.slice(1), 'base64url').toString() : t);
const callKey = (id: string) => `c.${token(id)}`;
const dedupeKey = (fn: string, key: string) => `k.${token(fn)}.${createHash('sha256').update(key).digest('hex')}`;
const nodeOf = (holder: string) => holder.slice(0, holder.lastIndexOf('/'));

/** A message this node holds. `busy`: an operation is moving it (the index's news leave it alone meanwhile). */
interface Held {
  id: string;
  fn: string;
  seq: number;
  msg: JsMsg;
  state: 'unknown' | 'ready' | 'parked' | 'busy' | 'claimed';
  /** The record's runAt, while ready. */
  runAt: number;
  /** When it arrived (wall ms). */
  since: number;
}

function safe(f: () => void): void {
  try { f(); } catch { /* the connection is gone: the server redelivers after the ack wait */ }
}

const code = (e: unknown) => (e as { code?: unknown }).code;

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
  } catch (e) {
    if (code(e) !== 10059) throw e;
    // Another node may make it at the same moment: the same config is no conflict.
    await jsm.streams.add(cfg).catch(async (err: unknown) => { await jsm.streams.info(cfg.name).catch(() => { throw err; }); });
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, ackWaitMs: number): Promise<void> {
  const ackWait = nanos(ackWaitMs);
  try {
    const ci = await jsm.consumers.info(stream, CONSUMER);
    // One consumer for the cluster: the node that opened last sets its ack wait.
    if (ci.config.ack_wait !== ackWait) await jsm.consumers.update(stream, CONSUMER, { ack_wait: ackWait });
  } catch (e) {
    if (code(e) !== 10014) throw e;
    const cfg = {
      durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: ackWait, deliver_policy: DeliverPolicy.All, filter_subject: `${stream}.>`,
      // The record's attempts make a call dead, not the server; retries waiting out a nak(delay) count as pending acks.
      max_deliver: -1, max_ack_pending: -1,
    };
    await jsm.consumers.add(stream, cfg).catch(async (err: unknown) => { await jsm.consumers.info(stream, CONSUMER).catch(() => { throw err; }); });
  }
}

export class NatsInvocationStore implements InvocationStore {
  readonly #link: NatsLink;
  readonly #n: ReturnType<typeof names>;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #kv: KV;
  readonly #consumer: Consumer;
  readonly #ackWaitMs: number;
  /** This node's name: a restarted node recovers the calls its previous process left running. */
  readonly #node: string;
  /** This process: what a claim writes as the record's holder. */
  readonly #me: string;
  readonly #index = new CallIndex((id, meta) => this.#indexed(id, meta));
  readonly #held = new Map<string, Held>();
  readonly #listeners = new Set<(fn: string, runAt: number) => void>();
  /**
   * Per function, the earliest runAt the listeners (the worker) know of, as told or as the last claim
   * answered. A message that arrives runnable is told of only when it is earlier than that: a
   * submission or retry already told of is not told twice, and one that arrives after a claim came
   * up empty is.
   */
  readonly #view = new Map<string, number>();
  /** Messages this node published and has not seen arrive, per function: id → stream seq and when. */
  readonly #published = new Map<string, Map<string, { seq: number; at: number }>>();
  /** The highest stream seq first delivered here: the consumer delivers in stream order, so anything below it not here went to another node. */
  #firstSeq = 0;
  /** Calls whose record this node is creating: their message may arrive first. */
  readonly #creating = new Set<string>();
  /** Per function, the submission under way: check-and-create is serialised so maxQueued and keys hold within a node. */
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #ops = new Set<Promise<unknown>>();
  readonly #waiters = new Set<() => void>();
  #limits: { max: number; byFn: Record<string, number> } | undefined;
  #lastClaim = 0;
  #batch: ConsumerMessages | undefined;
  #watch: ConsumerMessages | undefined;
  #pulling: Promise<void> | undefined;
  #wakePull: (() => void) | undefined;
  #tick: NodeJS.Timeout | undefined;
  #unlisten: (() => void) | undefined;
  /** Delete markers of the last expire(), purged by the next one (every node's watch has seen them by then). */
  #markers: { subject: string; seq: number }[] = [];
  #closed = false;
  readonly #now: () => number;

  private constructor(link: NatsLink, n: ReturnType<typeof names>, js: JetStreamClient, jsm: JetStreamManager, kv: KV, consumer: Consumer, ackWaitMs: number, node: string, now: () => number) {
    this.#now = now;
    this.#link = link;
    this.#n = n;
    this.#js = js;
    this.#jsm = jsm;
    this.#kv = kv;
    this.#consumer = consumer;
    this.#ackWaitMs = ackWaitMs;
    this.#node = node;
    this.#me = `${node}/${randomUUID().slice(0, 8)}`;
  }

  /**
   * Opens (creating when missing) the bucket, the streams and the consumer under `prefix`, and
   * loads the mirror. `nodeName` (default: the host name) must be unique in the cluster and kept
   * across restarts: recover() takes back the calls a previous process of that node left running.
   */
  /** `now`: the clock of the records' times (runAt), the host's wall clock (tests set it ahead); intervals of its own use the real clock. */
  static async open(link: NatsLink, opts: { prefix: string; replicas?: number; ackWaitMs?: number; nodeName?: string; now?: () => number }): Promise<NatsInvocationStore> {
    link.requireUp('the invocation store');
    const n = names(opts.prefix);
    const replicas = opts.replicas ?? 1;
    let s: NatsInvocationStore | undefined;
    try {
      const js = jetstream(link.nc, { timeout: REQUEST_TIMEOUT_MS });
      const jsm = await jetstreamManager(link.nc, { timeout: REQUEST_TIMEOUT_MS });
      // Reads before a compare-and-set go to the stream leader: a replica's direct get may lag.
      const kv = await new Kvm(js).create(n.calls, { history: 1, replicas, allow_direct: false });
      await ensureStream(jsm, { name: n.queue, subjects: [`${n.queue}.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File, num_replicas: replicas });
      await ensureStream(jsm, { name: n.dead, subjects: [`${n.dead}.>`], retention: RetentionPolicy.Limits, storage: StorageType.File, num_replicas: replicas, max_age: nanos(DEAD_MAX_AGE_MS) });
      await ensureConsumer(jsm, n.queue, opts.ackWaitMs ?? 30_000);
      const consumer = await js.consumers.get(n.queue, CONSUMER);
      s = new NatsInvocationStore(link, n, js, jsm, kv, consumer, opts.ackWaitMs ?? 30_000, opts.nodeName ?? hostname(), opts.now ?? Date.now);
      await s.#start();
      return s;
    } catch (e) {
      await s?.close();
      throw storeUnavailable(e, 'the invocation store');
    }
  }

  async #start(): Promise<void> {
    const prefix = `$KV.${this.#n.calls}.`;
    const oc = await this.#js.consumers.get(`KV_${this.#n.calls}`, { filter_subjects: `${prefix}c.>`, deliver_policy: DeliverPolicy.LastPerSubject });
    const msgs = await oc.consume();
    this.#watch = msgs;
    let seen = 0;
    let loaded!: () => void;
    const ready = new Promise<void>((resolve) => { loaded = resolve; });
    void (async () => {
      for await (const m of msgs) {
        const id = untoken(m.subject.slice(prefix.length + 2));
        const op = m.headers?.get('KV-Operation');
        if (op === 'DEL' || op === 'PURGE') this.#index.apply(id, m.seq, undefined);
        else {
          try { this.#index.apply(id, m.seq, metaOf(parseCall(m.data), m.seq)); } catch { /* not a record: ignored */ }
        }
        this.#index.watched(m.seq);
        seen = m.seq;
        if (m.info.pending === 0) loaded();
      }
    })().catch(() => {});
    // Nothing to load, or everything already delivered: no message will say pending 0.
    const info = await oc.info();
    if (info.num_pending === 0 && seen >= info.delivered.stream_seq) loaded();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ready, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('the calls bucket did not load in 30 s')), 30_000); })]).finally(() => clearTimeout(timer));
    this.#tick = setInterval(() => this.#beat(), Math.max(100, Math.floor(this.#ackWaitMs / 3)));
    this.#tick.unref();
    // A pull request does not survive a reconnect: start the next one at once.
    this.#unlisten = this.#link.onChange((up) => { if (up) this.#batch?.stop(); this.#wake(); });
    this.#pulling = this.#pull();
  }

  // ---- the buffer ------------------------------------------------------------------------------

  #interested(): boolean {
    return this.#listeners.size > 0 || Date.now() - this.#lastClaim < INTEREST_MS;
  }

  #unclaimed(): number {
    let n = 0;
    for (const h of this.#held.values()) if (h.state !== 'claimed') n++;
    return n;
  }

  async #pull(): Promise<void> {
    while (!this.#closed) {
      const room = BUFFER - this.#unclaimed();
      if (room <= BUFFER / 2 || !this.#interested() || !this.#link.connected) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, 500);
          function done() { clearTimeout(t); resolve(); }
          this.#wakePull = done;
        });
        this.#wakePull = undefined;
        continue;
      }
      try {
        const batch = await this.#consumer.fetch({ max_messages: room, expires: FETCH_EXPIRES_MS });
        this.#batch = batch;
        if (this.#closed) batch.stop();
        for await (const m of batch) this.#arrived(m);
      } catch {
        if (!this.#closed) await new Promise((r) => setTimeout(r, 500));
      } finally {
        this.#batch = undefined;
      }
    }
  }

  #wake(): void {
    this.#wakePull?.();
  }

  #arrived(m: JsMsg): void {
    if (this.#closed) return safe(() => m.nak());
    let id: string;
    let fn: string;
    try {
      ({ id, fn } = m.json<{ id: string; fn: string }>());
    } catch {
      return safe(() => m.term());
    }
    if (m.info.deliveryCount === 1) this.#firstSeq = Math.max(this.#firstSeq, m.seq);
    const had = this.#held.get(id);
    if (had) {
      // Redelivered while held (a heartbeat came late): the new delivery is the one to answer.
      if (had.seq === m.seq) had.msg = m;
      else safe(() => m.ack());
      return;
    }
    this.#published.get(fn)?.delete(id);
    const h: Held = { id, fn, seq: m.seq, msg: m, state: 'unknown', runAt: 0, since: Date.now() };
    this.#held.set(id, h);
    void this.#classify(h);
  }

  async #classify(h: Held): Promise<void> {
    if (!this.#index.get(h.id) && !this.#creating.has(h.id)) {
      try { await this.#read(h.id); } catch { /* NATS is down: the heartbeat tick looks again */ }
    }
    if (this.#held.get(h.id) !== h) return;
    // The read's news may have placed it already.
    if (h.state === 'unknown') this.#settle(h, this.#index.get(h.id), true);
    // A failure leaves it parked: the heartbeat tick tries again.
    if (h.state === 'parked' && this.#limits) await this.#interruptHeld(h, Date.now()).catch(() => false);
    this.#signal();
  }

  /** The index learnt of a call's new state: a message held for it follows. */
  #indexed(id: string, meta: CallMeta | undefined): void {
    const h = this.#held.get(id);
    if (!h || h.state === 'busy' || h.state === 'claimed') return;
    if (!meta) return this.#drop(h, 'ack');
    this.#settle(h, meta, h.state === 'unknown');
    this.#signal();
  }

  /**
   * Places a held message by its record. `arrival`: it just came, so a record still running means
   * that run was interrupted (parked until it is recorded); otherwise another node's claim made it
   * running (our delivery is stale) and the message is theirs.
   */
  #settle(h: Held, meta: CallMeta | undefined, arrival: boolean): void {
    if (!meta) return; // not created yet, or its submission failed: the tick decides
    if (meta.status === 'queued') {
      const ahead = meta.runAt - this.#now();
      if (ahead > HOLD_AHEAD_MS) return this.#drop(h, 'nak', ahead);
      const fresh = h.state !== 'ready';
      h.state = 'ready';
      h.runAt = meta.runAt;
      if (fresh) this.#emit(h.fn, h.runAt, false);
    } else if (meta.status === 'running') {
      if (arrival || h.state === 'parked') h.state = 'parked';
      else this.#drop(h, 'forget');
    } else this.#drop(h, meta.status === 'dead' ? 'dead' : 'ack');
  }

  /** Lets go of a held message: done with it (ack), back to the queue (nak), not ours (forget), or dead (letter, then ack). */
  #drop(h: Held, how: 'ack' | 'nak' | 'forget' | 'dead', delayMs = 0): void {
    if (this.#held.get(h.id) !== h) return;
    this.#held.delete(h.id);
    if (how === 'ack') safe(() => h.msg.ack());
    else if (how === 'nak') safe(() => h.msg.nak(Math.ceil(delayMs)));
    else if (how === 'dead') {
      // Its ack may have been lost after the letter went out, or the letter failed: send it (again; deduplicated by id).
      void this.#fetchStored(h.id).then((r) => (r?.stored.status === 'dead' ? this.#deadLetter(r.stored) : undefined))
        .then(() => safe(() => h.msg.ack()), () => safe(() => h.msg.nak(1000)));
    }
    this.#wake();
    this.#signal();
  }

  #signal(): void {
    for (const w of [...this.#waiters]) w();
  }

  #until(cond: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.#waiters.delete(check); resolve(); };
      const check = () => { if (cond()) done(); };
      const t = setTimeout(done, ms);
      this.#waiters.add(check);
      check();
    });
  }

  /** Every ack-wait/3: keeps held messages alive and settles the ones still waiting for something. */
  #beat(): void {
    const now = Date.now();
    const interested = this.#interested();
    for (const h of [...this.#held.values()]) {
      safe(() => h.msg.working());
      if (h.state === 'unknown' && now - h.since > ORPHAN_MS) void this.#orphan(h);
      else if (h.state === 'parked') {
        if (this.#limits) void this.#interruptHeld(h, now).catch(() => false);
        else if (now - h.since > PARK_MS) this.#drop(h, 'nak');
      } else if (h.state === 'ready' && !interested) this.#drop(h, 'nak');
    }
    for (const [fn, m] of this.#published) {
      for (const [id, p] of m) if (now - p.at > ORPHAN_MS) m.delete(id);
      if (m.size === 0) this.#published.delete(fn);
    }
  }

  async #orphan(h: Held): Promise<void> {
    try { await this.#read(h.id); } catch { return; }
    if (this.#held.get(h.id) === h && h.state === 'unknown') this.#drop(h, 'ack');
  }

  /**
   * Tells the listeners that `fn` has a call that may run at `at`. `forced`: a call became queued
   * here (submission, retry, recovery), as SQLite tells; otherwise a message became runnable here,
   * told only when the listeners do not know of one as early.
   */
  #emit(fn: string, at: number, forced: boolean): void {
    const known = this.#view.get(fn);
    if (!forced && known !== undefined && known <= at) return;
    if (known === undefined || at < known) this.#view.set(fn, at);
    for (const l of this.#listeners) l(fn, at);
  }

  /**
   * claim() right after submit() (the contract's tests, the worker told of a submission) must see the
   * message, which reaches this node a moment after its PubAck, if it comes here at all. A message
   * this node published has gone elsewhere once something later was first delivered here; else it is
   * waited for, a short while at most.
   */
  async #awaitPublished(fn: string): Promise<void> {
    const mine = this.#published.get(fn);
    if (!mine) return;
    await this.#until(() => {
      for (const [id, p] of mine) {
        const h = this.#held.get(id);
        if (h ? h.state !== 'unknown' : p.seq <= this.#firstSeq) mine.delete(id);
      }
      return mine.size === 0;
    }, ARRIVAL_WAIT_MS);
    this.#published.delete(fn);
  }

  // ---- records ---------------------------------------------------------------------------------

  /** Reads a record, teaching the index what it read. */
  async #fetchStored(id: string): Promise<{ stored: StoredCall; rev: number } | undefined> {
    const e = await this.#kv.get(callKey(id));
    if (!e || e.operation !== 'PUT') {
      // Nothing (never written, or purged) says nothing of order: the watch may have brought the record meanwhile.
      if (e) this.#index.apply(id, e.revision, undefined);
      return undefined;
    }
    const stored = decodeCall(e.value);
    this.#index.apply(id, e.revision, metaOf(stored, e.revision));
    return { stored, rev: e.revision };
  }

  async #read(id: string): Promise<CallMeta | undefined> {
    await this.#fetchStored(id);
    return this.#index.get(id);
  }

  /** The largest record NATS takes (its max_payload, less room for the subject and headers). */
  #maxBytes(): number {
    return (this.#link.nc.info?.max_payload ?? 1024 * 1024) - 4096;
  }

  /** Encodes a record that must fit: a result body too large for NATS is cut (as async.resultBytes would), and the record answered is the one stored. */
  #fit(s: StoredCall): { s: StoredCall; data: Uint8Array } {
    let data = encodeCall(s);
    const max = this.#maxBytes();
    for (let tries = 0; data.byteLength > max && s.result?.body && tries < 4; tries++) {
      const body = s.result.body;
      const keep = Math.max(0, body.byteLength - Math.ceil(((data.byteLength - max) * 3) / 4) - 64);
      s = { ...s, result: { ...s.result, body: keep > 0 ? body.subarray(0, keep) : null, truncated: true } };
      data = encodeCall(s);
    }
    if (data.byteLength > max) throw new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `call ${s.id}'s record is ${data.byteLength} bytes; NATS takes at most ${max}`);
    return { s, data };
  }

  /**
   * Moves a record on by compare-and-set: `change` answers the next state (undefined: leave it),
   * and is asked again on the newest state whenever another writer got there first.
   */
  async #mutate(id: string, change: (s: StoredCall) => StoredCall | undefined): Promise<{ before: StoredCall; after?: StoredCall } | undefined> {
    for (let i = 0; i < CAS_TRIES; i++) {
      const cur = await this.#fetchStored(id);
      if (!cur) return undefined;
      const wanted = change(cur.stored);
      if (!wanted) return { before: cur.stored };
      const { s: next, data } = this.#fit(wanted);
      try {
        const rev = await this.#kv.update(callKey(id), data, cur.rev);
        this.#index.apply(id, rev, metaOf(next, rev));
        return { before: cur.stored, after: next };
      } catch (e) {
        if (!isWrongSequence(e)) throw e;
      }
    }
    throw new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `call ${id} kept changing under ${CAS_TRIES} tries to update it; retry`);
  }

  async #deadLetter(s: StoredCall): Promise<void> {
    await this.#js.publish(`${this.#n.dead}.${token(s.fn)}`, encodeCall(withoutHolder(s)), { msgID: s.id });
  }

  /** A soft delete (the KV's own, with its revision check) that answers the marker's sequence, for the purge that follows. */
  async #delete(key: string, rev: number): Promise<number | undefined> {
    const h = headers();
    h.set('KV-Operation', 'DEL');
    const subject = `$KV.${this.#n.calls}.${key}`;
    try {
      const ack = await this.#js.publish(subject, Empty, { headers: h, expect: { lastSubjectSequence: rev } });
      this.#markers.push({ subject, seq: ack.seq });
      return ack.seq;
    } catch (e) {
      if (isWrongSequence(e)) return undefined;
      throw e;
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
            const had = await this.#fetchStored(first.id);
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
    if (data.byteLength > this.#maxBytes()) throw new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the call is ${data.byteLength} bytes stored; the NATS server takes at most ${this.#maxBytes()} (its max_payload)`);
    if (this.#index.get(call.id)) throw new Error(`a call with id ${call.id} exists already`);
    this.#creating.add(call.id);
    // Told below, once: its message must not be told of as well, even when the watch brings the record before the create's answer.
    const known = this.#view.get(call.fn);
    if (known === undefined || call.createdAt < known) this.#view.set(call.fn, call.createdAt);
    try {
      // The message first: one whose record never comes is dropped (#orphan), while a record without a message would never run.
      const ack = await this.#js.publish(`${this.#n.queue}.${token(call.fn)}`, JSON.stringify({ id: call.id, fn: call.fn }), { msgID: call.id });
      if (!this.#held.has(call.id)) {
        const mine = this.#published.get(call.fn) ?? new Map<string, { seq: number; at: number }>();
        mine.set(call.id, { seq: ack.seq, at: Date.now() });
        this.#published.set(call.fn, mine);
      }
      const rev = await this.#kv.create(callKey(call.id), data);
      this.#index.apply(call.id, rev, metaOf(rec, rev));
    } catch (e) {
      if (this.#view.get(call.fn) === call.createdAt) {
        if (known === undefined) this.#view.delete(call.fn);
        else this.#view.set(call.fn, known);
      }
      throw e;
    } finally {
      this.#creating.delete(call.id);
    }
    this.#emit(call.fn, call.createdAt, true);
    return { call: toRecord(rec), duplicate: false };
  }

  async get(id: string): Promise<CallRecord | undefined> {
    this.#check('reading the call');
    return this.#wrap('reading the call', async () => {
      const r = await this.#fetchStored(id);
      return r && toRecord(r.stored);
    });
  }

  async list(fn: string, q: CallListQuery = {}): Promise<CallRecord[]> {
    this.#check('listing calls');
    return this.#wrap('listing calls', async () => {
      const got = await Promise.all(this.#index.list(fn, q).map((m) => this.#fetchStored(m.id)));
      const want = q.status?.length ? new Set(q.status) : undefined;
      return got.filter((r) => r !== undefined && (!want || want.has(r.stored.status))).map((r) => toRecord(r!.stored));
    });
  }

  async pending(): Promise<Map<string, number>> {
    const p = this.#index.pending();
    for (const [fn, at] of p) {
      const known = this.#view.get(fn);
      if (known === undefined || at < known) this.#view.set(fn, at);
    }
    return p;
  }

  async claim(fn: string, now: number, n: number): Promise<{ calls: CallRecord[]; nextAt: number | undefined }> {
    this.#check('the claim');
    this.#lastClaim = Date.now();
    this.#wake();
    return this.#track(this.#wrap('the claim', async () => {
      await this.#awaitPublished(fn);
      const calls: CallRecord[] = [];
      let failed: unknown;
      // Again when some were not claimable after all (cancelled, moved on): up to n in all.
      for (let round = 0; round < 4 && calls.length < n && failed === undefined; round++) {
        const due = [...this.#held.values()].filter((h) => h.fn === fn && h.state === 'ready' && h.runAt <= now)
          .sort((a, b) => a.runAt - b.runAt || a.seq - b.seq).slice(0, n - calls.length);
        if (due.length === 0) break;
        for (const h of due) h.state = 'busy';
        for (const r of await Promise.allSettled(due.map((h) => this.#claimOne(h, now)))) {
          if (r.status === 'rejected') failed ??= r.reason;
          else if (r.value) calls.push(r.value);
        }
      }
      // A claim that got some calls answers them; the rest are tried again by the next one.
      if (calls.length === 0 && failed !== undefined) throw failed;
      let nextAt: number | undefined;
      for (const h of this.#held.values()) if (h.fn === fn && h.state === 'ready') nextAt = Math.min(nextAt ?? Infinity, h.runAt);
      if (nextAt === undefined) this.#view.delete(fn);
      else this.#view.set(fn, nextAt);
      return { calls, nextAt };
    }));
  }

  async #claimOne(h: Held, now: number): Promise<CallRecord | undefined> {
    let r;
    try {
      r = await this.#mutate(h.id, (s) => (s.status === 'queued' && s.runAt <= now ? { ...s, status: 'running', holder: this.#me } : undefined));
    } catch (e) {
      if (this.#held.get(h.id) === h && h.state === 'busy') h.state = 'ready';
      throw e;
    }
    const mine = this.#held.get(h.id) === h;
    if (r?.after) {
      if (mine) h.state = 'claimed';
      return toRecord(r.after);
    }
    if (mine) {
      h.state = 'ready';
      if (r) this.#settle(h, this.#index.get(h.id), false);
      else this.#drop(h, 'ack');
    }
    return undefined;
  }

  async finish(id: string, o: AttemptOutcome): Promise<CallRecord | undefined> {
    this.#check('the outcome');
    const h = this.#held.get(id);
    // Only this process's claims: a call running elsewhere is its holder's to finish.
    if (!h || h.state !== 'claimed') return undefined;
    return this.#track(this.#wrap('the outcome', async () => {
      const r = await this.#mutate(id, (s) => (s.status === 'running' && s.holder === this.#me ? outcome(s, o) : undefined));
      const after = r?.after;
      if (this.#held.get(id) !== h) return after && toRecord(after);
      if (!after) {
        // Someone recovered it meanwhile (this node was cut off past the ack wait): the message is theirs now.
        this.#drop(h, r && FINAL_STATUSES.has(r.before.status) ? 'ack' : r ? 'forget' : 'ack');
        return undefined;
      }
      if (after.status === 'queued') {
        // Due already (or so soon that going round the server gains nothing): stays here; else any node takes it when due.
        const delay = after.runAt - this.#now();
        if (delay > 0) this.#drop(h, 'nak', delay);
        else { h.state = 'ready'; h.runAt = after.runAt; }
        this.#emit(after.fn, after.runAt, true);
      } else if (after.status === 'dead') {
        const sent = await this.#deadLetter(after).then(() => true, () => false);
        // The record says dead either way; a letter that did not go out is sent by whoever gets the message next.
        this.#drop(h, sent ? 'ack' : 'nak', sent ? 0 : 1000);
      } else this.#drop(h, 'ack');
      return toRecord(after);
    }));
  }

  async cancel(id: string, now: number): Promise<CallRecord | undefined> {
    this.#check('the cancellation');
    // Its message, wherever it is, is acked when its holder hears of the record (#indexed) or next gets it.
    return this.#track(this.#wrap('the cancellation', async () => {
      const r = await this.#mutate(id, (s) => (s.status === 'queued' ? cancelled(s, now, 'the call was cancelled before it ran; nothing was delivered') : undefined));
      return r && toRecord(r.after ?? r.before);
    }));
  }

  async cancelFunction(fn: string, now: number): Promise<number> {
    this.#check('the cancellation');
    return this.#track(this.#wrap('the cancellation', async () => {
      const ids = this.#index.queuedOf(fn).map((m) => m.id);
      let n = 0;
      for (let i = 0; i < ids.length; i += PARALLEL) {
        const done = await Promise.all(ids.slice(i, i + PARALLEL).map((id) => this.#mutate(id, (s) => (s.status === 'queued' ? cancelled(s, now, 'the function was deleted before the call ran; nothing was delivered') : undefined))));
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
    this.#wake();
    return this.#track(this.#wrap('the recovery', async () => {
      const jobs: Promise<boolean>[] = [];
      const seen = new Set<string>();
      for (const h of [...this.#held.values()]) {
        if (h.state === 'claimed') {
          seen.add(h.id);
          h.state = 'parked';
          jobs.push(this.#interruptHeld(h, now, this.#me));
        } else if (h.state === 'parked') {
          seen.add(h.id);
          jobs.push(this.#interruptHeld(h, now));
        }
      }
      for (const m of this.#index.running()) {
        if (!seen.has(m.id) && m.holder !== undefined && m.holder !== this.#me && nodeOf(m.holder) === this.#node) jobs.push(this.#interrupt(m.id, now, m.holder));
      }
      const done = await Promise.allSettled(jobs);
      const failed = done.find((d) => d.status === 'rejected');
      if (failed) throw failed.reason;
      return done.filter((d) => d.status === 'fulfilled' && d.value).length;
    }));
  }

  /** Records the interruption of a held message's run (by `holder`, default: whoever the index says). */
  async #interruptHeld(h: Held, now: number, holder = this.#index.get(h.id)?.holder): Promise<boolean> {
    if (this.#held.get(h.id) !== h || h.state !== 'parked') return false;
    h.state = 'busy';
    try {
      return await this.#interrupt(h.id, now, holder, h);
    } catch (e) {
      if (this.#held.get(h.id) === h && h.state === 'busy') h.state = 'parked';
      throw e;
    }
  }

  /** The interrupted attempt of a call still running under `holder`: queued again to run at `now`, or dead past its attempts. */
  async #interrupt(id: string, now: number, holder: string | undefined, h?: Held): Promise<boolean> {
    const r = await this.#mutate(id, (s) => (s.status === 'running' && s.holder === holder ? interrupted(s, now, this.#maxFor(s.fn)) : undefined));
    const after = r?.after;
    const mine = h !== undefined && this.#held.get(id) === h;
    if (after?.status === 'queued') {
      if (mine) { h.state = 'ready'; h.runAt = now; }
      this.#emit(after.fn, now, true);
    } else if (after) {
      const sent = await this.#deadLetter(after).then(() => true, () => false);
      if (mine) this.#drop(h, sent ? 'ack' : 'nak', sent ? 0 : 1000);
    } else if (mine) {
      h.state = 'unknown';
      this.#settle(h, this.#index.get(id), true);
    }
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
    const r = await this.#mutate(id, (s) => {
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
    await this.#track(this.#wrap('the callback outcome', () => this.#mutate(id, (s) => {
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
      const markers = this.#markers;
      this.#markers = [];
      // Up to the marker itself: a key written again since is newer, and stays.
      await Promise.all(markers.map((m) => this.#jsm.streams.purge(`KV_${this.#n.calls}`, { filter: m.subject, seq: m.seq + 1 }).catch(() => undefined)));
      const gone = this.#index.expirable(before, keyedBefore);
      let n = 0;
      for (let i = 0; i < gone.length; i += PARALLEL) {
        await Promise.all(gone.slice(i, i + PARALLEL).map(async (m) => {
          const rev = await this.#delete(callKey(m.id), m.rev);
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
          if (e?.operation === 'PUT' && e.json<{ id: string }>().id === m.id) await this.#delete(kk, e.revision);
        }));
      }
      return n;
    }));
  }

  watchQueued(listener: (fn: string, runAt: number) => void): () => void {
    this.#listeners.add(listener);
    this.#wake();
    return () => this.#listeners.delete(listener);
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
    await Promise.allSettled([...this.#ops]);
    clearInterval(this.#tick);
    this.#unlisten?.();
    this.#batch?.stop();
    this.#watch?.stop();
    this.#wake();
    await this.#pulling;
    for (const h of this.#held.values()) safe(() => h.msg.nak());
    this.#held.clear();
    this.#listeners.clear();
  }
}
