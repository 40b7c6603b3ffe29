/**
 * The calls bucket as the invocation store uses it: the watch that mirrors every record into the
 * index (call-index.ts), reads that teach the index what they read, compare-and-set moves, soft
 * deletes whose markers the next expiry purges, and dead letters.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Empty, headers } from '@nats-io/transport-node';
import { EdgeError } from '../../core/errors.ts';
import { decodeCall, encodeCall, parseCall, withoutHolder, type StoredCall } from './call-codec.ts';
import { metaOf, type CallIndex } from './call-index.ts';
import { callKey, token, untoken } from './call-keys.ts';
import { isWrongSequence, type NatsLink } from './connection.ts';

export const CAS_TRIES = 16;

export class CallRecords {
  readonly #link: NatsLink;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #kv: KV;
  /** The bucket's and the dead-letter stream's names. */
  readonly #n: { calls: string; dead: string };
  readonly #index: CallIndex;
  #watch: ConsumerMessages | undefined;
  /** Delete markers of the last expire(), purged by the next one (every node's watch has seen them by then). */
  #markers: { subject: string; seq: number }[] = [];

  constructor(o: { link: NatsLink; js: JetStreamClient; jsm: JetStreamManager; kv: KV; names: { calls: string; dead: string }; index: CallIndex }) {
    this.#link = o.link;
    this.#js = o.js;
    this.#jsm = o.jsm;
    this.#kv = o.kv;
    this.#n = o.names;
    this.#index = o.index;
  }

  /** Starts the watch of the bucket and waits until the index holds every record there is. */
  async watch(): Promise<void> {
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
  }

  stop(): void {
    this.#watch?.stop();
  }

  /** Reads a record, teaching the index what it read. */
  async read(id: string): Promise<{ stored: StoredCall; rev: number } | undefined> {
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

  /** Writes a new call's record (`data`: `s` encoded); fails if the call exists. */
  async create(s: StoredCall, data: Uint8Array): Promise<void> {
    const rev = await this.#kv.create(callKey(s.id), data);
    this.#index.apply(s.id, rev, metaOf(s, rev));
  }

  /** The largest record NATS takes (its max_payload, less room for the subject and headers). */
  maxBytes(): number {
    return (this.#link.nc.info?.max_payload ?? 1024 * 1024) - 4096;
  }

  /** Encodes a record that must fit: a result body too large for NATS is cut (as async.resultBytes would), and the record answered is the one stored. */
  #fit(s: StoredCall): { s: StoredCall; data: Uint8Array } {
    let data = encodeCall(s);
    const max = this.maxBytes();
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
  async mutate(id: string, change: (s: StoredCall) => StoredCall | undefined): Promise<{ before: StoredCall; after?: StoredCall } | undefined> {
    for (let i = 0; i < CAS_TRIES; i++) {
      const cur = await this.read(id);
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

  async deadLetter(s: StoredCall): Promise<void> {
    await this.#js.publish(`${this.#n.dead}.${token(s.fn)}`, encodeCall(withoutHolder(s)), { msgID: s.id });
  }

  /** A soft delete (the KV's own, with its revision check) that answers the marker's sequence, for the purge that follows. */
  async delete(key: string, rev: number): Promise<number | undefined> {
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

  /** Purges the markers of the deletes before the last expiry. */
  async purgeDeleted(): Promise<void> {
    const markers = this.#markers;
    this.#markers = [];
    // Up to the marker itself: a key written again since is newer, and stays.
    await Promise.all(markers.map((m) => this.#jsm.streams.purge(`KV_${this.#n.calls}`, { filter: m.subject, seq: m.seq + 1 }).catch(() => undefined)));
  }
}
