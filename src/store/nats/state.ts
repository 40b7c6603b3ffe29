/**
 * The StateStore on a JetStream KV bucket, for a cluster (design §8). One bucket holds both kinds
 * of key, so one watch sees every change in one commit order:
 *
 *   f.<function>   {createdAt, nextSeq, traffic, generation, revisions: [names, by seq]}
 *   r.<revision>   the RevisionRecord
 *
 * The function entry is the source of truth: a revision exists once its function lists it. A new
 * revision's number is reserved by creating its `r.` key (kv.create fails for a number another
 * node took, so concurrent deploys get distinct numbers), then the function entry is
 * compare-and-set on its KV revision to list it; a lost CAS re-reads and re-applies. A crash
 * between the two leaves an `r.` key no function lists, which nobody sees.
 *
 * Every node mirrors the bucket through a watch and serves reads from the mirror, so the request
 * path and the catalog never wait on NATS and a node that lost NATS keeps serving what it last knew.
 * A write resolves once this node's watch has applied it (the contract: watchers hear of a change
 * before its write resolves). The watch is an ordered consumer that resumes after a reconnect from
 * the last sequence it saw; if it ends for any other reason, the mirror is rebuilt from the bucket's
 * last values and the difference is fed to watchers (level-triggered).
 */
import type { KV, KvEntry } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import { EdgeError } from '../../core/errors.ts';
import { revisionName } from '../../core/ids.ts';
import type { FunctionRecord, NewRevision, RevisionRecord, StateChange, StateStore, TrafficTarget } from '../types.ts';
import { isWrongSequence, names, storeUnavailable, type NatsLink } from './connection.ts';

interface FnEntry {
  name: string;
  createdAt: number;
  nextSeq: number;
  traffic: TrafficTarget[];
  generation: number;
  revisions: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const fkey = (fn: string): string => `f.${fn}`;
const rkey = (rev: string): string => `r.${rev}`;
const seqOf = (rev: string): number => Number(rev.slice(rev.lastIndexOf('-') + 1));
/** How long a write waits for its own change to come back through the watch before resolving anyway. */
const ECHO_WAIT_MS = 5000;
/** How often a node checks that its watch keeps up with the bucket. */
const STALE_CHECK_MS = 1000;

export interface NatsStateOptions {
  prefix: string;
  /** Copies of the bucket in a JetStream cluster (1 on a single server; 3 to survive a server's loss). */
  replicas?: number;
  onResync?: (why: unknown) => void;
}

export class NatsStateStore implements StateStore {
  readonly #link: NatsLink;
  readonly #kv: KV;
  readonly #listeners = new Set<(c: StateChange) => void>();
  /** The mirror: function entries with their KV revision, and every `r.` record (listed or not). */
  #fns = new Map<string, { entry: FnEntry; seq: number }>();
  #recs = new Map<string, RevisionRecord>();
  #seen = 0;
  /** The KV revision of each key's value in the mirror (deletions too): older news of a key is ignored. */
  #keySeq = new Map<string, number>();
  #waiters: { seq: number; resolve: () => void }[] = [];
  #closed = false;
  #stopWatch: (() => void) | undefined;
  #stale: NodeJS.Timeout | undefined;
  /** What #seen was at the last check that found the mirror behind the bucket. */
  #behindAt: number | undefined;
  readonly #onResync: ((why: unknown) => void) | undefined;

  private constructor(link: NatsLink, kv: KV, onResync?: (why: unknown) => void) {
    this.#link = link;
    this.#kv = kv;
    this.#onResync = onResync;
  }

  /** Opens (creating the bucket if needed) and returns once the mirror holds the bucket as it is now. */
  static async open(link: NatsLink, o: NatsStateOptions): Promise<NatsStateStore> {
    const kv = await new Kvm(link.nc).create(names(o.prefix).state, { history: 5, replicas: o.replicas ?? 1 });
    const s = new NatsStateStore(link, kv, o.onResync);
    const { ended } = await s.#watch(false);
    void s.#keepWatching(ended);
    s.#stale = setInterval(() => void s.#checkBehind(), STALE_CHECK_MS);
    s.#stale.unref();
    return s;
  }

  /** The stream sequence of the bucket's last message (0 when empty). */
  async #lastSeq(): Promise<number> {
    const st = await this.#kv.status();
    return st.streamInfo.state.last_seq;
  }

  /** After a watch ends for any reason but close(): a new one, rebuilt from the bucket's last values, until it works. */
  async #keepWatching(ended: Promise<void>): Promise<void> {
    for (;;) {
      await ended;
      if (this.#closed) return;
      for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
        await new Promise((r) => setTimeout(r, delay));
        if (this.#closed) return;
        try {
          ({ ended } = await this.#watch(true));
          break;
        } catch (err) {
          this.#onResync?.(err);
        }
      }
    }
  }

  /**
   * A watch that stopped delivering without ending (its consumer lost with a server, say) is found
   * by comparing: behind the bucket's last sequence on two checks in a row, with nothing applied in
   * between, it is stopped, and #keepWatching rebuilds it.
   */
  async #checkBehind(): Promise<void> {
    if (!this.#link.connected || this.#closed) return;
    const last = await this.#lastSeq().catch(() => undefined);
    if (last === undefined) return;
    const behind = last > this.#seen;
    if (behind && this.#behindAt === this.#seen) {
      this.#onResync?.(new Error(`the watch is stuck at ${this.#seen} while the bucket is at ${last}`));
      this.#stopWatch?.();
    }
    this.#behindAt = behind ? this.#seen : undefined;
  }

  /**
   * Starts a watch and resolves once it has delivered the bucket up to now, with a promise that
   * settles when the watch ends. With `resync`, the mirror is rebuilt from the last values and
   * watchers hear the difference.
   */
  async #watch(resync: boolean): Promise<{ ended: Promise<void> }> {
    const watcher = await this.#kv.watch({ key: '>' });
    const last = await this.#lastSeq().catch((e: unknown) => { watcher.stop(); throw e; });
    let snapshot: Snapshot | undefined = resync ? { fns: new Map(), recs: new Map(), keySeq: new Map() } : undefined;
    let ready!: () => void;
    const loaded = new Promise<void>((r) => { ready = r; });
    if (snapshot && last === 0) { this.#replace(snapshot, 0); snapshot = undefined; }
    if (last === 0) ready();
    this.#stopWatch = () => watcher.stop();
    const ended = (async () => {
      for await (const e of watcher) {
        if (snapshot) {
          applyTo(snapshot, e);
          if (e.revision >= last) { this.#replace(snapshot, last); snapshot = undefined; ready(); }
          continue;
        }
        this.#apply(e);
        if (e.revision >= last) ready();
      }
    })().catch((err: unknown) => this.#onResync?.(err));
    // A watch that ends before it loaded: the caller's wait ends too (#keepWatching tries again).
    await Promise.race([loaded, ended]);
    return { ended };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#stale);
    this.#listeners.clear();
    this.#stopWatch?.();
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  watch(listener: (c: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(c: StateChange): void {
    for (const l of this.#listeners) l(c);
  }

  #visible(rev: string): RevisionRecord | undefined {
    const r = this.#recs.get(rev);
    return r && this.#fns.get(r.function)?.entry.revisions.includes(rev) ? r : undefined;
  }

  /** One watched entry into the mirror, with the changes it makes visible. */
  #apply(e: KvEntry): void {
    // `applied` moves first: a watcher told of this change reads it as at least this entry's.
    this.#seen = Math.max(this.#seen, e.revision);
    this.#put(e.key, e.revision, e.operation === 'PUT' ? e.string() : undefined);
    this.#caughtUp(e.revision);
  }

  /**
   * A key's value at `seq` (undefined: deleted) into the mirror, unless the mirror already holds
   * that key at `seq` or later: a write applies its own result at once (so this node serves it even
   * while its watch lags), and the watch then brings the same entry, or older ones, to no effect.
   */
  #put(key: string, seq: number, value: string | undefined): void {
    const had = this.#keySeq.get(key);
    if (had !== undefined && seq <= had) return;
    this.#keySeq.set(key, seq);
    if (key.startsWith('f.')) {
      const name = key.slice(2);
      this.#setFn(name, value === undefined ? undefined : { entry: JSON.parse(value) as FnEntry, seq });
    } else if (key.startsWith('r.')) {
      const rev = key.slice(2);
      const wasVisible = this.#visible(rev);
      if (value !== undefined) {
        this.#recs.set(rev, JSON.parse(value) as RevisionRecord);
        const now = this.#visible(rev);
        if (now && !wasVisible) this.#emit({ kind: 'revision', name: rev, fn: now.function, revision: now });
      } else {
        this.#recs.delete(rev);
        if (wasVisible) this.#emit({ kind: 'revision', name: rev, fn: wasVisible.function, revision: undefined });
      }
    }
  }

  #caughtUp(seq: number): void {
    this.#seen = Math.max(this.#seen, seq);
    const due = this.#waiters.filter((w) => w.seq <= this.#seen);
    if (due.length > 0) {
      this.#waiters = this.#waiters.filter((w) => w.seq > this.#seen);
      for (const w of due) w.resolve();
    }
  }

  /** A function entry replaced (or removed): revisions it stops or starts listing go first, then the function. */
  #setFn(name: string, next: { entry: FnEntry; seq: number } | undefined): void {
    const old = this.#fns.get(name);
    if (old && next && old.seq === next.seq) return;
    const before = new Set(old?.entry.revisions.filter((r) => this.#recs.has(r)) ?? []);
    if (next) this.#fns.set(name, next);
    else this.#fns.delete(name);
    const after = new Set(next?.entry.revisions.filter((r) => this.#recs.has(r)) ?? []);
    for (const r of before) if (!after.has(r)) this.#emit({ kind: 'revision', name: r, fn: name, revision: undefined });
    for (const r of after) if (!before.has(r)) this.#emit({ kind: 'revision', name: r, fn: name, revision: this.#recs.get(r)! });
    if (next || old) this.#emit({ kind: 'function', name, function: next ? toFunction(next.entry) : undefined });
  }

  /** A rebuilt mirror replaces the old one; watchers hear only what differs. */
  #replace(snap: Snapshot, seq: number): void {
    const gone = [...this.#fns.keys()].filter((f) => !snap.fns.has(f));
    for (const f of gone) this.#setFn(f, undefined);
    this.#recs = snap.recs;
    this.#keySeq = snap.keySeq;
    for (const [f, v] of snap.fns) this.#setFn(f, v);
    this.#caughtUp(seq);
  }

  /** A write's own result: into the mirror now, then (for `applied`) wait for the watch to reach it. */
  async #wrote(key: string, seq: number, value: FnEntry | undefined): Promise<void> {
    this.#put(key, seq, value === undefined ? undefined : JSON.stringify(value));
    await this.#echo(seq);
  }

  /** Resolves once the watch has applied the bucket up to `seq`. */
  #echo(seq: number): Promise<void> {
    if (this.#seen >= seq || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { seq, resolve };
      this.#waiters.push(w);
      setTimeout(() => { this.#waiters = this.#waiters.filter((x) => x !== w); resolve(); }, ECHO_WAIT_MS).unref();
    });
  }

  async #read(fn: string): Promise<{ entry: FnEntry; seq: number } | undefined> {
    const e = await this.#kv.get(fkey(fn));
    return e && e.operation === 'PUT' ? { entry: JSON.parse(e.string()) as FnEntry, seq: e.revision } : undefined;
  }

  /** Runs a write: 503 while NATS is unreachable, NATS errors as EDGE_ERR_STORE_UNAVAILABLE. */
  async #write<T>(what: string, body: () => Promise<T>): Promise<T> {
    this.#link.requireUp(what);
    try {
      return await body();
    } catch (e) {
      throw storeUnavailable(e, what);
    }
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return [...this.#fns.values()].map((v) => toFunction(v.entry)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getFunction(name: string): Promise<FunctionRecord | undefined> {
    const v = this.#fns.get(name);
    return v ? toFunction(v.entry) : undefined;
  }

  async listRevisions(fn?: string): Promise<RevisionRecord[]> {
    const fns = fn === undefined ? [...this.#fns.keys()].sort() : [fn];
    const out: RevisionRecord[] = [];
    for (const f of fns) for (const r of this.#fns.get(f)?.entry.revisions ?? []) { const rec = this.#recs.get(r); if (rec) out.push(rec); }
    return out;
  }

  async getRevision(name: string): Promise<RevisionRecord | undefined> {
    return this.#visible(name);
  }

  async createRevision(r: NewRevision): Promise<{ revision: RevisionRecord; function: FunctionRecord }> {
    return this.#write(`a revision of ${r.function}`, async () => {
      // Reserve a number: the first free `r.` key from the function's next number on.
      let seq = (await this.#read(r.function))?.entry.nextSeq ?? 1;
      let record: RevisionRecord;
      for (;;) {
        const name = revisionName(r.function, seq);
        record = { name, function: r.function, seq, digest: r.digest, runtime: r.runtime, config: r.config, createdAt: r.createdAt };
        try {
          this.#put(rkey(name), await this.#kv.create(rkey(name), enc.encode(JSON.stringify(record))), JSON.stringify(record));
          break;
        } catch (e) {
          if (!isWrongSequence(e)) throw e;
          seq++;
        }
      }
      // List it on the function, by compare-and-set on the entry's KV revision.
      for (;;) {
        const cur = await this.#read(r.function);
        const revisions = [...(cur?.entry.revisions ?? []), record.name].sort((a, b) => seqOf(a) - seqOf(b));
        let traffic: TrafficTarget[];
        try {
          traffic = r.traffic(record.name, cur?.entry.traffic, cur?.entry.revisions.at(-1));
        } catch (e) {
          await this.#kv.delete(rkey(record.name)).catch(() => {});
          throw e;
        }
        const entry: FnEntry = {
          name: r.function, createdAt: cur?.entry.createdAt ?? r.createdAt, nextSeq: Math.max(cur?.entry.nextSeq ?? 1, seq + 1),
          traffic, generation: (cur?.entry.generation ?? 0) + 1, revisions,
        };
        const text = JSON.stringify(entry);
        try {
          const at = cur ? await this.#kv.update(fkey(r.function), enc.encode(text), cur.seq) : await this.#kv.create(fkey(r.function), enc.encode(text));
          this.#put(fkey(r.function), at, text);
          await this.#echo(at);
          return { revision: record, function: toFunction(entry) };
        } catch (e) {
          if (!isWrongSequence(e)) throw e;
        }
      }
    });
  }

  async setTraffic(fn: string, table: TrafficTarget[], generation: number): Promise<FunctionRecord> {
    return this.#write(`the traffic table of ${fn}`, async () => {
      const cur = await this.#read(fn);
      if (!cur) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(fn)}`);
      if (cur.entry.generation !== generation) throw conflict(fn, generation, cur.entry.generation);
      const entry: FnEntry = { ...cur.entry, traffic: table, generation: generation + 1 };
      try {
        await this.#wrote(fkey(fn), await this.#kv.update(fkey(fn), enc.encode(JSON.stringify(entry)), cur.seq), entry);
      } catch (e) {
        if (!isWrongSequence(e)) throw e;
        throw conflict(fn, generation, (await this.#read(fn))?.entry.generation ?? generation);
      }
      return toFunction(entry);
    });
  }

  async deleteFunction(name: string): Promise<RevisionRecord[]> {
    return this.#write(`the deletion of ${name}`, async () => {
      const cur = await this.#read(name);
      if (!cur) return [];
      const removed = cur.entry.revisions.map((r) => this.#recs.get(r)).filter((r): r is RevisionRecord => r !== undefined);
      await this.#kv.delete(fkey(name));
      const marker = await this.#kv.get(fkey(name));
      if (marker) await this.#wrote(fkey(name), marker.revision, undefined);
      for (const r of cur.entry.revisions) await this.#kv.delete(rkey(r));
      return removed;
    });
  }

  async deleteRevision(name: string, generation: number): Promise<void> {
    await this.#write(`the deletion of ${name}`, async () => {
      const rec = this.#recs.get(name) ?? (await this.#kv.get(rkey(name)).then((e) => (e?.operation === 'PUT' ? JSON.parse(e.string()) as RevisionRecord : undefined)));
      if (!rec) return;
      const cur = await this.#read(rec.function);
      if (!cur || !cur.entry.revisions.includes(name)) return;
      if (cur.entry.generation !== generation) throw conflict(rec.function, generation, cur.entry.generation);
      const entry: FnEntry = { ...cur.entry, revisions: cur.entry.revisions.filter((r) => r !== name), generation: generation + 1 };
      try {
        await this.#wrote(fkey(rec.function), await this.#kv.update(fkey(rec.function), enc.encode(JSON.stringify(entry)), cur.seq), entry);
      } catch (e) {
        if (!isWrongSequence(e)) throw e;
        throw conflict(rec.function, generation, (await this.#read(rec.function))?.entry.generation ?? generation);
      }
      await this.#kv.delete(rkey(name));
    });
  }

  /**
   * The `r.` keys first, then the `f.` entry with kv.create, which fails if the function appeared
   * meanwhile: until that entry is in, the records are invisible, so readers see all of the import
   * or none. An `r.` key that already holds a value belongs to a deploy under way (or one that
   * crashed) and is never overwritten. On a refusal the keys this call made are removed; after a
   * failure that leaves it unknown whether the `f.` entry went in, they stay (unlisted, unseen).
   */
  async restoreFunction(f: { name: string; createdAt: number; traffic: TrafficTarget[] }, revisions: RevisionRecord[]): Promise<FunctionRecord> {
    for (const r of revisions) if (r.function !== f.name) throw new TypeError(`revision ${r.name} is of function ${r.function}, not ${f.name}`);
    const exists = () => new EdgeError('EDGE_ERR_CONFLICT', `function ${f.name} exists; an import never overwrites it (delete it first to import it)`);
    return this.#write(`the import of ${f.name}`, async () => {
      if (await this.#read(f.name)) throw exists();
      const made: string[] = [];
      const undo = async () => { for (const r of made) await this.#kv.delete(rkey(r)).catch(() => {}); };
      for (const r of revisions) {
        try {
          this.#put(rkey(r.name), await this.#kv.create(rkey(r.name), enc.encode(JSON.stringify(r))), JSON.stringify(r));
        } catch (e) {
          await undo();
          if (!isWrongSequence(e)) throw e;
          throw new EdgeError('EDGE_ERR_CONFLICT', `revision ${r.name} is being created (or a deploy of it crashed); ${f.name} was not imported`);
        }
        made.push(r.name);
      }
      const entry: FnEntry = {
        name: f.name, createdAt: f.createdAt, nextSeq: Math.max(0, ...revisions.map((r) => r.seq)) + 1,
        traffic: f.traffic, generation: 1, revisions: [...revisions].sort((a, b) => a.seq - b.seq).map((r) => r.name),
      };
      let at: number;
      try {
        at = await this.#kv.create(fkey(f.name), enc.encode(JSON.stringify(entry)));
      } catch (e) {
        if (!isWrongSequence(e)) throw e;
        await undo();
        throw exists();
      }
      await this.#wrote(fkey(f.name), at, entry);
      return toFunction(entry);
    });
  }

  /** Reads the mirror once it has caught up with the bucket: another node may have just deployed the digest. */
  async isDigestUsed(digest: string): Promise<boolean> {
    if (this.#link.connected) await this.#echo(await this.#lastSeq().catch(() => 0));
    for (const v of this.#fns.values()) for (const r of v.entry.revisions) if (this.#recs.get(r)?.digest === digest) return true;
    return false;
  }

  /** The bucket's last sequence this node applied: what `/v1/nodes` reports as its generation. */
  get applied(): number {
    return this.#seen;
  }
}

/** The mirror rebuilt from the bucket's last values, before it replaces the one in use. */
interface Snapshot { fns: Map<string, { entry: FnEntry; seq: number }>; recs: Map<string, RevisionRecord>; keySeq: Map<string, number> }

function applyTo(snap: Snapshot, e: KvEntry): void {
  const put = e.operation === 'PUT';
  snap.keySeq.set(e.key, e.revision);
  if (e.key.startsWith('f.')) {
    if (put) snap.fns.set(e.key.slice(2), { entry: JSON.parse(dec.decode(e.value)) as FnEntry, seq: e.revision });
    else snap.fns.delete(e.key.slice(2));
  } else if (e.key.startsWith('r.')) {
    if (put) snap.recs.set(e.key.slice(2), JSON.parse(dec.decode(e.value)) as RevisionRecord);
    else snap.recs.delete(e.key.slice(2));
  }
}

function conflict(fn: string, asked: number, now: number): EdgeError {
  return new EdgeError('EDGE_ERR_CONFLICT', `function ${fn} changed while this request ran (generation ${asked} is now ${now}); read it again and retry`);
}

function toFunction(e: FnEntry): FunctionRecord {
  return { name: e.name, createdAt: e.createdAt, traffic: e.traffic, latestRevision: e.revisions.at(-1), generation: e.generation };
}
