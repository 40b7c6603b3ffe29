/**
 * `isoedge store export` and `isoedge store import`: a deployment's state as one tar archive, to move
 * it between the SQLite store and the NATS JetStream store (either way) or keep it aside.
 *
 *   isoedge-export.json           format, version 1, exportedAt, counts, and the sha256 of every other entry
 *   functions/<fn>.json           {name, createdAt, traffic}
 *   revisions/<rev>.json          the RevisionRecord as stored (name, seq, digest, runtime, config, createdAt)
 *   artifacts/<digest>/<file>     every file of every digest a revision uses
 *
 * The whole archive is checked before anything is written (the sha256 list also catches an archive
 * missing entries), and an import never overwrites: a function that exists is skipped and named.
 * Artifacts go in before the functions that use them, as a deploy does, so no revision is ever
 * visible without its code. Invocations (async calls) are not part of the state moved.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type Config } from '../config/index.ts';
import { readBytes } from '../core/bytes.ts';
import { EdgeError } from '../core/errors.ts';
import { FUNCTION_NAME_RE, revisionName } from '../core/ids.ts';
import { packTar, unpackTar, type TarEntry } from '../core/tar.ts';
import { ARTIFACT_NAME_RE, DIGEST_RE, FileArtifactStore, SqliteStateStore, type ArtifactFiles, type ArtifactStore, type RevisionRecord, type StateStore, type TrafficTarget, openNatsLink, NatsArtifactStore, NatsStateStore } from '../store/index.ts';

const MANIFEST = 'isoedge-export.json';
const VERSION = 1;
const RUNTIMES = new Set(['js', 'wasm', 'component']);
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Counts { functions: number; revisions: number; artifacts: number }
interface Manifest { format: 'isoedge-export'; version: number; exportedAt: string; counts: Counts; sha256: Record<string, string> }
interface ExportedFunction { name: string; createdAt: number; traffic: TrafficTarget[] }

/** What an archive holds, checked: each function with its revisions (by seq), and the artifacts by digest. */
export interface Archive {
  exportedAt: string;
  functions: { fn: ExportedFunction; revisions: RevisionRecord[] }[];
  artifacts: Map<string, ArtifactFiles>;
}

/** An archive that is not a whole isoedge export (corrupt, truncated, another format): nothing was written. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v, null, 2) + '\n');

export async function exportState(state: StateStore, artifacts: ArtifactStore, now = Date.now()): Promise<Uint8Array> {
  return (await buildExport(state, artifacts, now)).tar;
}

async function buildExport(state: StateStore, artifacts: ArtifactStore, now: number): Promise<{ tar: Uint8Array; counts: Counts }> {
  const entries: TarEntry[] = [];
  // One revision per digest, to name it in errors and to know its runtime's files.
  const digests = new Map<string, RevisionRecord>();
  const fns = await state.listFunctions();
  let revisions = 0;
  for (const f of fns) {
    entries.push({ name: `functions/${f.name}.json`, data: json({ name: f.name, createdAt: f.createdAt, traffic: f.traffic } satisfies ExportedFunction) });
    for (const r of await state.listRevisions(f.name)) {
      entries.push({ name: `revisions/${r.name}.json`, data: json(r) });
      revisions++;
      if (!digests.has(r.digest)) digests.set(r.digest, r);
    }
  }
  for (const [digest, r] of digests) {
    const files = await artifactFiles(artifacts, r);
    if (Object.keys(files).length === 0) throw new Error(`revision ${r.name} uses artifact ${digest}, which is not in the artifact store: nothing was exported (delete the revision, or redeploy it)`);
    for (const [n, data] of Object.entries(files)) entries.push({ name: `artifacts/${digest}/${n}`, data });
  }
  const counts = { functions: fns.length, revisions, artifacts: digests.size };
  const manifest: Manifest = {
    format: 'isoedge-export', version: VERSION, exportedAt: new Date(now).toISOString(), counts,
    sha256: Object.fromEntries(entries.map((e) => [e.name, sha256(e.data)])),
  };
  return { tar: packTar([{ name: MANIFEST, data: json(manifest) }, ...entries], { mtime: now / 1000 }), counts };
}

/** Every file of the revision's digest: the store's own list, or (an artifact stored before manifests) what its runtime's codec uses. */
async function artifactFiles(store: ArtifactStore, r: RevisionRecord): Promise<ArtifactFiles> {
  const listed = await store.files?.(r.digest);
  const out: ArtifactFiles = {};
  if (listed) {
    for (const n of listed) {
      const b = await store.get(r.digest, n);
      if (!b) throw new Error(`artifact ${r.digest} lists ${n}, which cannot be read: nothing was exported`);
      out[n] = b;
    }
    return out;
  }
  // The names revision-code.ts writes for each runtime (jsFiles, wasmFiles, componentFiles).
  const names = r.runtime === 'wasm' ? ['module.wasm'] : r.runtime === 'js' ? ['source.js', 'script.js', 'cache.bin', 'handlers.json'] : ['component.wasm', 'script.js', 'cache.bin', 'cores.json', 'abi'];
  for (const n of names) {
    const b = await store.get(r.digest, n);
    if (b) out[n] = b;
  }
  if (out['cores.json']) for (const c of JSON.parse(dec.decode(out['cores.json'])) as string[]) {
    const b = await store.get(r.digest, `cores/${c}`);
    if (b) out[`cores/${c}`] = b;
  }
  return out;
}

/** Parses and checks a whole archive; throws ArchiveError naming the first thing wrong. */
export function readArchive(tar: Uint8Array): Archive {
  let entries: TarEntry[];
  try {
    entries = unpackTar(tar);
  } catch (e) {
    throw new ArchiveError(`not a readable tar archive: ${(e as Error).message}`);
  }
  const bad = (why: string) => new ArchiveError(`not a valid isoedge export: ${why}`);
  const parse = (e: TarEntry): unknown => {
    try {
      return JSON.parse(dec.decode(e.data));
    } catch {
      throw bad(`${e.name} is not JSON`);
    }
  };
  const first = entries[0];
  if (first?.name !== MANIFEST) throw bad(`the first entry is ${first ? JSON.stringify(first.name) : 'missing'}, not ${MANIFEST}`);
  const m = parse(first) as Partial<Manifest>;
  if (m.format !== 'isoedge-export' || typeof m.sha256 !== 'object' || m.sha256 === null || typeof m.counts !== 'object') throw bad(`${MANIFEST} is not an isoedge export manifest`);
  if (m.version !== VERSION) throw bad(`format version ${JSON.stringify(m.version)}; this isoedge reads version ${VERSION}`);
  const rest = entries.slice(1);
  const seen = new Set<string>();
  for (const e of rest) {
    if (seen.has(e.name)) throw bad(`${e.name} appears twice`);
    seen.add(e.name);
    const want = m.sha256[e.name];
    if (want === undefined) throw bad(`${e.name} is not listed in ${MANIFEST}`);
    if (want !== sha256(e.data)) throw bad(`${e.name} does not match its sha256 (the archive is corrupt)`);
  }
  for (const n of Object.keys(m.sha256)) if (!seen.has(n)) throw bad(`${n} is missing (the archive is truncated)`);

  const fns = new Map<string, { fn: ExportedFunction; revisions: RevisionRecord[] }>();
  const revs: RevisionRecord[] = [];
  const artifacts = new Map<string, ArtifactFiles>();
  for (const e of rest) {
    let g: RegExpExecArray | null;
    if ((g = /^functions\/([^/]+)\.json$/.exec(e.name))) {
      const f = parse(e) as ExportedFunction;
      if (f.name !== g[1] || !FUNCTION_NAME_RE.test(f.name) || !Number.isSafeInteger(f.createdAt) || !Array.isArray(f.traffic)) throw bad(`${e.name} is not a function record`);
      fns.set(f.name, { fn: { name: f.name, createdAt: f.createdAt, traffic: f.traffic }, revisions: [] });
    } else if ((g = /^revisions\/([^/]+)\.json$/.exec(e.name))) {
      const r = parse(e) as RevisionRecord;
      const ok = r.name === g[1] && typeof r.function === 'string' && Number.isSafeInteger(r.seq) && r.seq > 0 && r.name === revisionName(r.function, r.seq)
        && DIGEST_RE.test(r.digest) && RUNTIMES.has(r.runtime) && typeof r.config === 'object' && r.config !== null && Number.isSafeInteger(r.createdAt);
      if (!ok) throw bad(`${e.name} is not a revision record`);
      revs.push({ name: r.name, function: r.function, seq: r.seq, digest: r.digest, runtime: r.runtime, config: r.config, createdAt: r.createdAt });
    } else if ((g = /^artifacts\/([0-9a-f]{64})\/(.+)$/.exec(e.name)) && ARTIFACT_NAME_RE.test(g[2]!)) {
      const files = artifacts.get(g[1]!) ?? {};
      files[g[2]!] = e.data;
      artifacts.set(g[1]!, files);
    } else throw bad(`unexpected entry ${e.name}`);
  }
  for (const r of revs) {
    const f = fns.get(r.function);
    if (!f) throw bad(`revision ${r.name} belongs to ${r.function}, which is not in the archive`);
    if (!artifacts.has(r.digest)) throw bad(`revision ${r.name} uses artifact ${r.digest}, which is not in the archive`);
    f.revisions.push(r);
  }
  for (const f of fns.values()) f.revisions.sort((a, b) => a.seq - b.seq);
  const c = m.counts as Partial<Counts>;
  if (c.functions !== fns.size || c.revisions !== revs.length || c.artifacts !== artifacts.size) {
    throw bad(`it holds ${fns.size} functions, ${revs.length} revisions and ${artifacts.size} artifacts; ${MANIFEST} says ${c.functions}, ${c.revisions} and ${c.artifacts}`);
  }
  return { exportedAt: String(m.exportedAt), functions: [...fns.values()], artifacts };
}

export interface ImportResult { functions: number; revisions: number; artifacts: number; skipped: string[] }

export async function importState(tar: Uint8Array, state: StateStore, artifacts: ArtifactStore): Promise<ImportResult> {
  return importArchive(readArchive(tar), state, artifacts);
}

/** Artifacts first (only those the functions to import use), then each function with restoreFunction. */
export async function importArchive(a: Archive, state: StateStore, artifacts: ArtifactStore): Promise<ImportResult> {
  const skipped: string[] = [];
  const todo: Archive['functions'] = [];
  for (const f of a.functions) {
    if (await state.getFunction(f.fn.name)) skipped.push(f.fn.name);
    else todo.push(f);
  }
  const out: ImportResult = { functions: 0, revisions: 0, artifacts: 0, skipped };
  for (const d of new Set(todo.flatMap((f) => f.revisions.map((r) => r.digest)))) {
    if (await artifacts.has(d)) continue;
    await artifacts.put(d, a.artifacts.get(d)!);
    out.artifacts++;
  }
  for (const f of todo) {
    try {
      await state.restoreFunction(f.fn, f.revisions);
    } catch (e) {
      // Made by someone else since it was looked up: still never overwritten.
      if (e instanceof EdgeError && e.code === 'EDGE_ERR_CONFLICT') { skipped.push(f.fn.name); continue; }
      throw e;
    }
    out.functions++;
    out.revisions += f.revisions.length;
  }
  skipped.sort();
  return out;
}

// ---- The command: `isoedge store export|import [options]` ----

const STORE_USAGE = `Usage: isoedge store export [options] > state.tar
       isoedge store import [options] [--json] < state.tar

export writes the deployment's functions (traffic tables, creation times), revisions (names,
numbers, config, digests) and every artifact file to stdout as a tar archive; import reads one
from stdin into the store, skipping (and naming) the functions that exist there: it never
overwrites. The store is the one a host with the same options uses:

  --store <where>           sqlite (default), or nats://host:4222[,nats://…]
  --data-dir DIR            the SQLite store's directory (default .isoedge)
  --store-nats-prefix P     the JetStream buckets' prefix (default isoedge)
  --store-nats-replicas N   copies of each bucket made by an import (default 1)
  --config FILE             a config file (default ./isoedge.config.json), and ISOEDGE_* as serve reads them
  --json                    import: print the summary as JSON

Import into SQLite while no host runs on that data directory. See docs/cli.md.
Exit codes: 0 ok, 1 failed (the message says why), 2 usage error or an archive refused,
3 the store refused, 4 the store is unreachable.
`;

interface Opened { state: StateStore; artifacts: ArtifactStore; where: string; close(): Promise<void> }

/** The stores `serve` would open for this config, without the rest of the host. */
async function openStores(config: Config, forExport: boolean): Promise<Opened> {
  if (config.store.kind === 'sqlite') {
    // Exporting a directory that holds no state is a mistyped --data-dir, not an empty deployment.
    if (forExport && !existsSync(join(config.dataDir, 'isoedge.db'))) throw new ConfigError(`no isoedge state in ${config.dataDir} (it has no isoedge.db); pass the host's --data-dir`);
    const state = new SqliteStateStore(config.dataDir);
    return { state, artifacts: new FileArtifactStore(config.dataDir), where: config.dataDir, close: () => state.close() };
  }
  const n = config.store.nats;
  const where = `${n.servers.join(',')} (prefix ${n.prefix})`;
  const link = await openNatsLink({ servers: n.servers, name: 'isoedge store', connectWaitMs: 5000 });
  // The artifact store keeps a read-through copy on disk: a scratch one, not the local host's data directory.
  const scratch = mkdtempSync(join(tmpdir(), 'isoedge-store-'));
  const done = async () => { await link.close(); rmSync(scratch, { recursive: true, force: true }); };
  try {
    const state = await NatsStateStore.open(link, { prefix: n.prefix, replicas: n.replicas });
    const artifacts = await NatsArtifactStore.open(link, { prefix: n.prefix, replicas: n.replicas, dataDir: scratch });
    return { state, artifacts, where, async close() { await state.close(); await done(); } };
  } catch (e) {
    await done();
    if (e instanceof EdgeError) throw e;
    throw new EdgeError('EDGE_ERR_STORE_UNAVAILABLE', `cannot open the JetStream buckets at ${where}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * `isoedge store <export|import> ...`; returns the exit code. `readConfig` is serve's (main.ts): the
 * flags, ISOEDGE_* and the config file, so the stores opened are the ones the hosts use.
 */
export async function storeCommand(argv: string[], readConfig: (argv: string[]) => Config): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(STORE_USAGE);
    return 0;
  }
  const fail = (code: number, why: string): number => {
    process.stderr.write(`isoedge store${sub ? ` ${sub}` : ''}: ${why}\n`);
    return code;
  };
  if (sub !== 'export' && sub !== 'import') return fail(2, `${sub === undefined ? 'missing the subcommand' : `unknown subcommand ${JSON.stringify(sub)}`} (export, import)\n\n${STORE_USAGE}`);
  const asJson = rest.includes('--json');
  let opened: Opened | undefined;
  try {
    const config = readConfig(rest.filter((a) => a !== '--json'));
    if (sub === 'export') {
      if (process.stdout.isTTY) return fail(2, 'refusing to write a tar archive to a terminal: redirect it (isoedge store export > state.tar)');
      opened = await openStores(config, true);
      const { tar, counts } = await buildExport(opened.state, opened.artifacts, Date.now());
      await new Promise<void>((resolve, reject) => process.stdout.write(tar, (e) => (e ? reject(e) : resolve())));
      process.stderr.write(`Exported ${counts.functions} functions, ${counts.revisions} revisions and ${counts.artifacts} artifacts from ${opened.where} (${tar.byteLength} bytes)\n`);
      return 0;
    }
    if (process.stdin.isTTY) return fail(2, 'reads the archive from stdin: isoedge store import < state.tar');
    // The whole archive is checked before a store is even opened: a bad one leaves no trace.
    const archive = readArchive((await readBytes(process.stdin))!);
    opened = await openStores(config, false);
    const r = await importArchive(archive, opened.state, opened.artifacts);
    const skipped = r.skipped.length ? `; skipped ${r.skipped.length} that exist (never overwritten): ${r.skipped.join(', ')}` : '';
    process.stdout.write(asJson ? `${JSON.stringify(r)}\n` : `Imported ${r.functions} functions, ${r.revisions} revisions and ${r.artifacts} artifacts into ${opened.where}${skipped}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ArchiveError) return fail(2, e.message);
    if (e instanceof EdgeError) return fail(e.code === 'EDGE_ERR_STORE_UNAVAILABLE' ? 4 : 3, `${e.code}: ${e.message}`);
    // Anything else (a revision whose artifact is gone, a disk error) stops it with its message.
    return fail(1, (e as Error).message);
  } finally {
    await opened?.close();
  }
}
