/**
 * `isoedge store export/import`: the ustar writer and reader (against the system tar), and a
 * deployment moved SQLite → NATS → SQLite through the real CLI, compared record by record and byte
 * by byte; importing again skips what exists; a truncated archive is refused before any write.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packTar, unpackTar } from '../src/core/tar.ts';
import { exportState, importState } from '../src/cluster/export.ts';
import { FileArtifactStore, SqliteStateStore, jsFiles, wasmFiles, type ArtifactStore, type StateStore } from '../src/store/index.ts';
import { openNatsLink } from '../src/store/nats/connection.ts';
import { NatsStateStore } from '../src/store/nats/state.ts';
import { NatsArtifactStore } from '../src/store/nats/artifacts.ts';
import { newRevision } from './contracts/state-store.contract.ts';
import { NATS_INSTALL_HINT, natsServerPath, startNats } from './helpers/nats.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-export-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const enc = new TextEncoder();
const haveTar = spawnSync('tar', ['--version']).status === 0;
const flip = (b: Uint8Array, at: number) => { b[at] = b[at]! ^ 1; };

describe('ustar', () => {
  const long = `${'d'.repeat(120)}/${'n'.repeat(99)}`;
  const entries = [
    { name: 'isoedge-export.json', data: enc.encode('{"a":1}\n') },
    { name: 'empty', data: new Uint8Array(0) },
    { name: 'dir/block.bin', data: new Uint8Array(512).map((_, i) => i % 251) },
    { name: 'dir/sub/odd.bin', data: new Uint8Array(513).fill(7) },
    { name: long, data: enc.encode('long name') },
  ];

  it('round-trips files, names up to 255 bytes included', () => {
    const tar = packTar(entries, { mtime: 1_700_000_000 });
    expect(tar.byteLength % 512).toBe(0);
    expect(unpackTar(tar)).toEqual(entries);
    expect(() => packTar([{ name: 'x'.repeat(101), data: new Uint8Array(0) }])).toThrow(/does not fit/);
    expect(() => packTar([{ name: `${'d'.repeat(156)}/x`, data: new Uint8Array(0) }])).toThrow(/does not fit/);
  });

  it.skipIf(!haveTar)('is what the system tar lists and extracts, and reads what it writes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.tar'), packTar(entries));
    const listed = spawnSync('tar', ['-tf', join(dir, 'a.tar')], { encoding: 'utf8' });
    expect(listed.stderr).toBe('');
    expect(listed.stdout.trim().split('\n')).toEqual(entries.map((e) => e.name));
    const out = join(dir, 'out');
    mkdirSync(out);
    expect(spawnSync('tar', ['-xf', join(dir, 'a.tar'), '-C', out]).status).toBe(0);
    for (const e of entries) expect(new Uint8Array(readFileSync(join(out, e.name)))).toEqual(e.data);
    // And the other way: GNU tar's own ustar output, directory entries included (skipped). (It
    // cannot itself store the long name's 121-byte directory entry in ustar.)
    const short = entries.filter((e) => e.name !== long);
    expect(spawnSync('tar', ['--format=ustar', '-cf', join(dir, 'b.tar'), '-C', out, 'isoedge-export.json', 'empty', 'dir']).status).toBe(0);
    const back = unpackTar(new Uint8Array(readFileSync(join(dir, 'b.tar'))));
    expect(back.sort((x, y) => (x.name < y.name ? -1 : 1))).toEqual(short.sort((x, y) => (x.name < y.name ? -1 : 1)));
  });

  it('refuses a corrupt checksum, a truncated archive and a foreign entry type', () => {
    const tar = packTar(entries);
    const flipped = tar.slice();
    flip(flipped, 1024 + 2); // a byte of the second header's name
    expect(() => unpackTar(flipped)).toThrow(/header at byte 1024 has a bad checksum/);
    expect(() => unpackTar(tar.subarray(0, 1024 + 300))).toThrow(/truncated/);
    // Cut exactly between entries: no end-of-archive block, so not taken for a shorter archive.
    expect(() => unpackTar(tar.subarray(0, 1024))).toThrow(/without its end-of-archive block/);
    const link = tar.slice();
    link[156] = 0x32; // '2', a symbolic link; fix the checksum so only the type is wrong
    link.fill(0x20, 148, 156);
    link.set(enc.encode(link.subarray(0, 512).reduce((s, b) => s + b, 0).toString(8).padStart(6, '0') + '\0'), 148);
    expect(() => unpackTar(link)).toThrow(/entry type "2"/);
  });
});

// ---- A deployment, and how it compares ----

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

/** Two functions: shop (revisions 2-4 of 4 made, js, one digest shared, a 90/10 table with a tag) and blob (wasm). */
async function seed(state: StateStore, artifacts: ArtifactStore): Promise<void> {
  const js = async (src: string, extra: { cache?: Uint8Array; scheduled?: boolean } = {}) => {
    const source = enc.encode(src);
    const digest = sha(source);
    await artifacts.put(digest, jsFiles({ source, script: `/*t*/${src}`, cache: extra.cache ?? null, scheduled: extra.scheduled }));
    return digest;
  };
  const d1 = await js('export default { fetch() { return new Response("1") } }');
  const d2 = await js('export default { fetch() { return new Response("2") } }', { cache: new Uint8Array([1, 2, 3, 255]), scheduled: true });
  await state.createRevision(newRevision('shop', { digest: d1, createdAt: 1_700_000_000_001 }));
  await state.createRevision(newRevision('shop', { digest: d1, createdAt: 1_700_000_000_002, config: { env: { V: '2' }, concurrency: 4, limits: { cpuMs: 50 } } }));
  await state.createRevision(newRevision('shop', { digest: d2, createdAt: 1_700_000_000_003, config: { env: {}, concurrency: 0, limits: {}, triggers: { crons: ['*/5 * * * *'] } } }));
  const { function: f } = await state.createRevision(newRevision('shop', { digest: d2, createdAt: 1_700_000_000_004 }));
  await state.deleteRevision('shop-00001', f.generation);
  const g = (await state.getFunction('shop'))!.generation;
  await state.setTraffic('shop', [{ revision: 'shop-00003', percent: 90 }, { latestRevision: true, percent: 10, tag: 'canary' }], g);
  const w = sha(WASM);
  await artifacts.put(w, wasmFiles(WASM));
  await state.createRevision(newRevision('blob', { digest: w, runtime: 'wasm', createdAt: 1_700_000_000_005 }));
}

/** Everything export promises to keep: function records (minus generation), revision records, every artifact file. */
async function snapshot(state: StateStore, artifacts: ArtifactStore) {
  const functions = (await state.listFunctions()).map(({ generation: _, ...f }) => f);
  const revisions = await state.listRevisions();
  const files: Record<string, string> = {};
  for (const d of new Set(revisions.map((r) => r.digest))) {
    for (const n of (await artifacts.files!(d))!.sort()) files[`${d}/${n}`] = Buffer.from((await artifacts.get(d, n))!).toString('hex');
  }
  return { functions, revisions, files };
}

async function sqlite(dir: string) {
  const state = new SqliteStateStore(dir);
  const artifacts = new FileArtifactStore(dir);
  return { state, artifacts, close: () => state.close() };
}

/** The real CLI, as a child process: `isoedge store ARGS`, stdin from `input`. */
function cli(args: string[], input?: Uint8Array): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ISOEDGE_') && !k.startsWith('NATS_')));
  const child = spawn(process.execPath, ['--no-node-snapshot', MAIN, 'store', ...args], { cwd: tempDir(), env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  child.stdin.end(input ?? new Uint8Array(0));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })));
}

describe('export and import, in process', () => {
  it('moves a deployment SQLite → SQLite, skips what exists, refuses a bad archive before writing', async () => {
    const a = await sqlite(tempDir());
    await seed(a.state, a.artifacts);
    const tar = await exportState(a.state, a.artifacts);
    const names = unpackTar(tar).map((e) => e.name);
    expect(names[0]).toBe('isoedge-export.json');
    expect(names.filter((n) => n.startsWith('functions/'))).toEqual(['functions/blob.json', 'functions/shop.json']);
    const b = await sqlite(tempDir());
    expect(await importState(tar, b.state, b.artifacts)).toEqual({ functions: 2, revisions: 4, artifacts: 3, skipped: [] });
    expect(await snapshot(b.state, b.artifacts)).toEqual(await snapshot(a.state, a.artifacts));
    expect(await importState(tar, b.state, b.artifacts)).toEqual({ functions: 0, revisions: 0, artifacts: 0, skipped: ['blob', 'shop'] });
    // Numbers go on from the highest one imported.
    expect((await b.state.createRevision(newRevision('shop'))).revision.name).toBe('shop-00005');

    const c = await sqlite(tempDir());
    const corrupt = tar.slice();
    flip(corrupt, Buffer.from(tar).indexOf(Buffer.from(WASM)) + 5); // inside a file's data: only its sha256 can tell
    await expect(importState(corrupt, c.state, c.artifacts)).rejects.toThrow(/does not match its sha256/);
    // A valid tar with the last entry left out is still not the whole export.
    const partial = packTar(unpackTar(tar).slice(0, -1));
    await expect(importState(partial, c.state, c.artifacts)).rejects.toThrow(/is missing \(the archive is truncated\)/);
    expect(await snapshot(c.state, c.artifacts)).toEqual({ functions: [], revisions: [], files: {} });
    for (const s of [a, b, c]) await s.close();
  });
});

describe('export of an artifact directory', () => {
  it('exports an artifact stored before manifests by what its runtime stores; stops at a missing one', async () => {
    const dir = tempDir();
    const a = await sqlite(dir);
    await seed(a.state, a.artifacts);
    const want = unpackTar(await exportState(a.state, a.artifacts)).slice(1);
    for (const d of new Set((await a.state.listRevisions()).map((r) => r.digest))) rmSync(join(dir, 'artifacts', d, 'manifest.json'));
    expect(unpackTar(await exportState(a.state, a.artifacts)).slice(1)).toEqual(want);
    const wasm = (await a.state.listRevisions('blob'))[0]!.digest;
    await a.artifacts.remove(wasm);
    await expect(exportState(a.state, a.artifacts)).rejects.toThrow(`revision blob-00001 uses artifact ${wasm}, which is not in the artifact store`);
    await a.close();
  });
});

const haveNats = natsServerPath() !== undefined;
if (!haveNats) console.log(`skipping the SQLite → NATS → SQLite export test: nats-server is not installed (${NATS_INSTALL_HINT})`);

describe('isoedge store export/import (the CLI)', () => {
  it('refuses a truncated archive before opening the store, and says how to use it', async () => {
    const a = await sqlite(tempDir());
    await seed(a.state, a.artifacts);
    const tar = await exportState(a.state, a.artifacts);
    await a.close();
    const dir = join(tempDir(), 'data');
    const r = await cli(['import', '--data-dir', dir], tar.subarray(0, tar.byteLength - 2000));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/isoedge store import: not a readable tar archive: .*truncated/);
    expect(existsSync(dir)).toBe(false);
    const none = await cli(['export', '--data-dir', dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no isoedge state in/);
    expect((await cli(['nope'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/isoedge store export \[options\] > state\.tar/);
  }, 60_000);

  it.skipIf(!haveNats)('moves a deployment SQLite → NATS → SQLite with every record and byte kept', async () => {
    const server = await startNats();
    try {
      const from = tempDir();
      const a = await sqlite(from);
      await seed(a.state, a.artifacts);
      const want = await snapshot(a.state, a.artifacts);
      await a.close();

      const nats = ['--store', server.url, '--store-nats-prefix', 'moved'];
      const out = await cli(['export', '--data-dir', from]);
      expect(out.stderr).toMatch(/Exported 2 functions, 4 revisions and 3 artifacts/);
      expect(out.code).toBe(0);
      const imported = await cli(['import', ...nats, '--json'], out.stdout);
      expect(imported.stderr).toBe('');
      expect(JSON.parse(imported.stdout.toString())).toEqual({ functions: 2, revisions: 4, artifacts: 3, skipped: [] });

      // What a cluster node sees.
      const link = await openNatsLink({ servers: [server.url], name: 'test' });
      const ns = await NatsStateStore.open(link, { prefix: 'moved' });
      const na = await NatsArtifactStore.open(link, { prefix: 'moved', dataDir: tempDir() });
      expect(await snapshot(ns, na)).toEqual(want);
      await ns.close();
      await link.close();

      const again = await cli(['import', ...nats], out.stdout);
      expect(again.code).toBe(0);
      expect(again.stdout.toString()).toMatch(/Imported 0 functions, 0 revisions and 0 artifacts .*; skipped 2 that exist \(never overwritten\): blob, shop/);

      const back = await cli(['export', ...nats]);
      expect(back.code).toBe(0);
      const to = tempDir();
      const home = await cli(['import', '--data-dir', to], back.stdout);
      expect(home.stdout.toString()).toMatch(/^Imported 2 functions, 4 revisions and 3 artifacts into /);
      const b = await sqlite(to);
      expect(await snapshot(b.state, b.artifacts)).toEqual(want);
      expect((await b.state.createRevision(newRevision('shop'))).revision.name).toBe('shop-00005');
      await b.close();
    } finally {
      await server.close();
    }
  }, 120_000);

  it('exits 4 when NATS cannot be reached', async () => {
    const r = await cli(['export', '--store', 'nats://127.0.0.1:1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/EDGE_ERR_STORE_UNAVAILABLE: cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
  }, 60_000);
});
