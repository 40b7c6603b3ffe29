/**
 * The nodes of a cluster: each node puts a heartbeat (what it runs, its load, the state sequence it
 * applied) into a KV bucket whose entries expire (max age = 5 heartbeats), so a node that died
 * drops out of `GET /v1/nodes` by itself. `ready(seq)` is Knative's probing of each gateway for the
 * config hash: it asks every live node, over core NATS request-many, to answer once it applied
 * state up to `seq`, and says which did not in time. On the SQLite store there is one node, this one.
 */
import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import { natsNames as names, type NatsLink } from '../store/index.ts';

/** What a node reports about itself. */
export interface NodeReport {
  id: string;
  name: string;
  /** Unix ms. */
  startedAt: number;
  /** Unix ms of this report. */
  at: number;
  /** The last state sequence (KV revision) this node applied: its route tables are at least that new. */
  applied: number;
  functions: number;
  executors: number;
  /** Requests in flight on this node now. */
  inflight: number;
  rssBytes: number;
  edge: string;
  admin: string;
  store: 'sqlite' | 'nats';
  /** False while this node cannot reach the store (it keeps serving what it last knew). */
  storeConnected: boolean;
}

export interface ReadyAnswer {
  ready: boolean;
  /** The state sequence asked for. */
  seq: number;
  nodes: { id: string; name: string; applied: number }[];
  /** Live nodes that had not applied `seq` when the wait ended. */
  waiting: { id: string; name: string; applied: number }[];
}

export interface Nodes {
  readonly id: string;
  list(): Promise<NodeReport[]>;
  ready(seq: number, timeoutMs: number): Promise<ReadyAnswer>;
  close(): Promise<void>;
}

/** How often a node looks at its applied sequence while readiness probes wait on it. */
const PROBE_POLL_MS = 10;

export function nodeId(name: string): string {
  return (name || `${hostname()}-${process.pid}`).replace(/[^\w-]/g, '-').slice(0, 64);
}

/** One node: the SQLite store is not shared, so this host is the whole cluster. */
export class LocalNodes implements Nodes {
  readonly id: string;
  readonly #report: () => NodeReport;
  constructor(id: string, report: () => NodeReport) {
    this.id = id;
    this.#report = report;
  }
  async list(): Promise<NodeReport[]> { return [this.#report()]; }
  async ready(seq: number): Promise<ReadyAnswer> {
    const r = this.#report();
    const me = { id: r.id, name: r.name, applied: r.applied };
    return { ready: true, seq, nodes: [me], waiting: [] };
  }
  async close(): Promise<void> {}
}

export class NatsNodes implements Nodes {
  readonly id: string;
  readonly #link: NatsLink;
  readonly #kv: KV;
  readonly #report: () => NodeReport;
  readonly #probeSubject: string;
  readonly #timer: NodeJS.Timeout;
  readonly #sub: Subscription;
  /** Probes waiting for this node to apply a sequence. */
  #waiting: { seq: number; answer: () => void }[] = [];
  #poll: NodeJS.Timeout | undefined;

  private constructor(link: NatsLink, kv: KV, id: string, prefix: string, heartbeatMs: number, report: () => NodeReport) {
    this.#link = link;
    this.#kv = kv;
    this.id = id;
    this.#report = report;
    this.#probeSubject = `${prefix}.nodes.probe`;
    this.#timer = setInterval(() => void this.beat(), heartbeatMs);
    this.#timer.unref();
    this.#sub = link.nc.subscribe(this.#probeSubject, {
      callback: (err, msg) => {
        if (err) return;
        const seq = Number(msg.string());
        const answer = () => msg.respond(JSON.stringify({ id: this.id, name: this.#report().name, applied: this.#report().applied }));
        if (this.#report().applied >= seq) answer();
        else {
          this.#waiting.push({ seq, answer });
          this.#watchWaiting();
        }
      },
    });
  }

  static async open(link: NatsLink, o: { prefix: string; id: string; heartbeatMs: number; replicas?: number; report: () => NodeReport }): Promise<NatsNodes> {
    const kv = await new Kvm(link.nc).create(names(o.prefix).nodes, { history: 1, ttl: o.heartbeatMs * 5, replicas: o.replicas ?? 1 });
    const n = new NatsNodes(link, kv, o.id, o.prefix, o.heartbeatMs, o.report);
    await n.beat();
    return n;
  }

  /** Puts this node's report now (also called on every heartbeat). */
  async beat(): Promise<void> {
    if (!this.#link.connected) return;
    await this.#kv.put(this.id, JSON.stringify(this.#report())).catch(() => {});
  }

  /** Told by the host each time it applied state: answers the probes that waited for it. */
  applied(seq: number): void {
    if (this.#waiting.length === 0) return;
    const due = this.#waiting.filter((w) => w.seq <= seq);
    this.#waiting = this.#waiting.filter((w) => w.seq > seq);
    for (const w of due) w.answer();
  }

  /**
   * While probes wait, the applied sequence is also checked every few ms: not every entry the
   * watch applies tells the host (a record no function lists yet changes nothing it serves), and a
   * probe must not wait for the next change that does.
   */
  #watchWaiting(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => {
      this.applied(this.#report().applied);
      if (this.#waiting.length === 0) { clearInterval(this.#poll); this.#poll = undefined; }
    }, PROBE_POLL_MS);
  }

  async list(): Promise<NodeReport[]> {
    const out: NodeReport[] = [];
    // A key written while the listing runs can be listed twice.
    const keys = new Set<string>();
    for await (const k of await this.#kv.keys()) keys.add(k);
    for (const k of keys) {
      const e = await this.#kv.get(k);
      if (e && e.operation === 'PUT') out.push(JSON.parse(e.string()) as NodeReport);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async ready(seq: number, timeoutMs: number): Promise<ReadyAnswer> {
    this.#link.requireUp('a readiness probe');
    const live = await this.list();
    const answered = new Map<string, { id: string; name: string; applied: number }>();
    const replies = await this.#link.nc.requestMany(this.#probeSubject, String(seq), { maxWait: timeoutMs, maxMessages: live.length, strategy: 'count' as never });
    try {
      for await (const m of replies) {
        const a = JSON.parse(m.string()) as { id: string; name: string; applied: number };
        answered.set(a.id, a);
        if (live.every((n) => answered.has(n.id))) break;
      }
    } catch { /* the wait ended: whoever did not answer is reported below */ }
    const waiting = live.filter((n) => !answered.has(n.id)).map((n) => ({ id: n.id, name: n.name, applied: n.applied }));
    return { ready: waiting.length === 0, seq, nodes: [...answered.values()], waiting };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#poll);
    this.#sub.unsubscribe();
    this.#waiting = [];
    if (this.#link.connected) await this.#kv.delete(this.id).catch(() => {});
  }
}
