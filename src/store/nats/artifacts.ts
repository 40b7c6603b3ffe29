/**
 * The ArtifactStore on a JetStream Object Store, by sha256 digest, with a read-through copy in the
 * node's data directory. A put uploads every file under a tag of its own (`<digest>/<tag>/<name>`)
 * and then creates the digest's manifest (the tag and the file names) in a KV bucket with
 * kv.create: two nodes racing on one digest both upload, one manifest wins, the loser deletes its
 * objects, and a reader sees one writer's files, never a mix. Reads go to the local copy first (the
 * catalog reads a revision's artifact once per node, and a node that lost NATS still starts the
 * revisions it has), and fill it from NATS on a miss.
 */
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { exactBytes } from '../../core/bytes.ts';
import { FileArtifactStore } from '../files/artifacts.ts';
import { ARTIFACT_NAME_RE, DIGEST_RE, type ArtifactFiles, type ArtifactStore } from '../types.ts';
import { isWrongSequence, names, storeUnavailable, type NatsLink } from './connection.ts';

interface Manifest { tag: string; files: string[] }

export class NatsArtifactStore implements ArtifactStore {
  readonly #link: NatsLink;
  readonly #os: ObjectStore;
  readonly #manifests: KV;
  readonly #local: FileArtifactStore;
  readonly #jsm: JetStreamManager;
  readonly #bucket: string;

  private constructor(link: NatsLink, os: ObjectStore, manifests: KV, local: FileArtifactStore, jsm: JetStreamManager, bucket: string) {
    this.#link = link;
    this.#os = os;
    this.#jsm = jsm;
    this.#bucket = bucket;
    this.#manifests = manifests;
    this.#local = local;
  }

  static async open(link: NatsLink, o: { prefix: string; replicas?: number; dataDir: string }): Promise<NatsArtifactStore> {
    const n = names(o.prefix);
    const os = await new Objm(link.nc).create(n.artifacts, { replicas: o.replicas ?? 1 });
    const manifests = await new Kvm(link.nc).create(`${n.artifacts}_manifests`, { history: 1, replicas: o.replicas ?? 1 });
    const local = new FileArtifactStore(o.dataDir);
    await local.sweep();
    return new NatsArtifactStore(link, os, manifests, local, await jetstreamManager(link.nc), n.artifacts);
  }

  async #manifest(digest: string): Promise<Manifest | undefined> {
    const e = await this.#manifests.get(digest);
    return e && e.operation === 'PUT' ? (JSON.parse(e.string()) as Manifest) : undefined;
  }

  async has(digest: string): Promise<boolean> {
    check(digest);
    // NATS decides, not the local copy: another node may have removed the digest since it was read here.
    return (await this.#manifest(digest).catch((e: unknown) => { throw storeUnavailable(e, 'an artifact lookup'); })) !== undefined;
  }

  async put(digest: string, files: ArtifactFiles): Promise<void> {
    check(digest);
    const list = Object.keys(files);
    for (const n of list) if (!ARTIFACT_NAME_RE.test(n)) throw new TypeError(`not an artifact file name: ${JSON.stringify(n)}`);
    this.#link.requireUp(`the artifact ${digest}`);
    try {
      if (await this.#manifest(digest)) return;
      const tag = randomBytes(6).toString('hex');
      // In parallel: each put is a few round trips to the stream's leader.
      await Promise.all(list.map((n) => this.#os.putBlob({ name: `${digest}/${tag}/${n}` }, files[n]!)));
      try {
        await this.#manifests.create(digest, JSON.stringify({ tag, files: list } satisfies Manifest));
      } catch (e) {
        if (!isWrongSequence(e)) throw e;
        // Another writer's manifest is in: its files are the artifact, ours go.
        for (const n of list) await this.#os.delete(`${digest}/${tag}/${n}`).catch(() => {});
        return;
      }
    } catch (e) {
      throw storeUnavailable(e, `the artifact ${digest}`);
    }
    await this.#local.put(digest, files);
  }

  async get(digest: string, name: string): Promise<Uint8Array | undefined> {
    check(digest);
    if (!ARTIFACT_NAME_RE.test(name)) throw new TypeError(`not an artifact file name: ${JSON.stringify(name)}`);
    if (await this.#local.has(digest)) return this.#local.get(digest, name);
    let m: Manifest | undefined;
    const files: ArtifactFiles = {};
    try {
      m = await this.#manifest(digest);
      if (!m) return undefined;
      const got = await Promise.all(m.files.map((f) => this.#readObject(`${digest}/${m!.tag}/${f}`)));
      if (got.some((b) => b === null)) return undefined;
      m.files.forEach((f, i) => { files[f] = exactBytes(got[i]!); });
    } catch (e) {
      throw storeUnavailable(e, `the artifact ${digest}`);
    }
    await this.#local.put(digest, files);
    return files[name];
  }

  async remove(digest: string): Promise<void> {
    check(digest);
    await this.#local.remove(digest);
    try {
      const m = await this.#manifest(digest);
      if (!m) return;
      await this.#manifests.delete(digest);
      for (const f of m.files) await this.#os.delete(`${digest}/${m.tag}/${f}`).catch(() => {});
    } catch (e) {
      throw storeUnavailable(e, `the removal of artifact ${digest}`);
    }
  }

  /**
   * An object's bytes, chunk by chunk with STREAM.MSG.GET (answered by the stream's leader), not
   * with getBlob(): that creates an ephemeral consumer per read, and with nats-server 2.9.10 a
   * server lost from an R3 cluster kept about half of those creations timing out for minutes
   * (measured here), so a node could not load a revision another node deployed.
   */
  async #readObject(name: string): Promise<Uint8Array | null> {
    const info = await this.#os.info(name);
    if (!info || info.deleted) return null;
    const subject = `$O.${this.#bucket}.C.${info.nuid}`;
    const out = new Uint8Array(info.size);
    let at = 0;
    let seq = 0;
    for (let i = 0; i < info.chunks; i++) {
      // `next_by_subj` with `seq` (the first message of the subject from seq on) is in 2.9; the client's type omits it.
      const m = await this.#jsm.streams.getMessage(`OBJ_${this.#bucket}`, { seq: seq + 1, next_by_subj: subject } as unknown as { seq: number });
      if (!m || at + m.data.length > out.length) return null;
      out.set(m.data, at);
      at += m.data.length;
      seq = m.seq;
    }
    return at === out.length ? out : null;
  }

  /** Every digest with a manifest (for `isoedge store export`). */
  async digests(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.#manifests.keys()) out.push(k);
    return out.sort();
  }

  /** The names the digest's manifest lists; undefined without a manifest (no such artifact). */
  async files(digest: string): Promise<string[] | undefined> {
    check(digest);
    try {
      return (await this.#manifest(digest))?.files;
    } catch (e) {
      throw storeUnavailable(e, 'an artifact lookup');
    }
  }

  /** The artifact's file names (for export). */
  async fileNames(digest: string): Promise<string[]> {
    return (await this.#manifest(digest))?.files ?? [];
  }
}

function check(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
}
