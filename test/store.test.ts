/** The SQLite state store and the artifact directory against the store contracts, plus what only they promise. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileArtifactStore, SqliteStateStore, componentFiles, jsFiles, loadCode, wasmFiles } from '../src/store/index.ts';
import { artifactStoreContract } from './contracts/artifact-store.contract.ts';
import { newRevision, stateStoreContract } from './contracts/state-store.contract.ts';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-store-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

stateStoreContract('SQLite', async () => new SqliteStateStore(tempDir()));
stateStoreContract('SQLite, shared by processes', async () => new SqliteStateStore(tempDir(), { shared: true }));
artifactStoreContract('directory', async () => new FileArtifactStore(tempDir()));

describe('SQLite state store', () => {
  it('keeps functions, revisions, tables and generations across a restart', async () => {
    const dir = tempDir();
    const a = new SqliteStateStore(dir);
    await a.createRevision(newRevision('f'));
    const { function: f } = await a.createRevision(newRevision('f'));
    await a.setTraffic('f', [{ revision: 'f-00001', percent: 100 }], f.generation);
    const before = await a.getFunction('f');
    await a.close();
    const b = new SqliteStateStore(dir);
    expect(await b.getFunction('f')).toEqual(before);
    expect((await b.listRevisions('f')).map((r) => r.name)).toEqual(['f-00001', 'f-00002']);
    await b.close();
  });
});

describe('SQLite state store shared by two processes (two connections here)', () => {
  it('feeds each one the other\'s writes, in order, level-triggered, and refuses a stale traffic write', async () => {
    const dir = tempDir();
    const a = new SqliteStateStore(dir, { shared: true, pollMs: 5 });
    const b = new SqliteStateStore(dir, { shared: true, pollMs: 5 });
    const seen: string[] = [];
    b.watch((c) => seen.push(`${c.kind}:${c.name}:${c.kind === 'function' ? c.function?.generation ?? 'gone' : c.revision ? 'made' : 'gone'}`));
    await a.createRevision(newRevision('f'));
    const { function: f } = await a.createRevision(newRevision('f'));
    await expect.poll(() => seen.at(-1)).toBe('function:f:2');
    // Level-triggered: B may see both writes in one poll (then once, as they ended), never out of order.
    expect(seen.filter((x) => x.startsWith('revision'))).toEqual(['revision:f-00001:made', 'revision:f-00002:made']);
    expect(seen.indexOf('revision:f-00002:made')).toBeLessThan(seen.indexOf('function:f:2'));
    expect(b.applied).toBe(a.applied);
    // B writes with the generation it saw; A's stale write then loses.
    await b.setTraffic('f', [{ revision: 'f-00001', percent: 100 }], f.generation);
    await expect(a.setTraffic('f', [{ revision: 'f-00002', percent: 100 }], f.generation)).rejects.toMatchObject({ code: 'EDGE_ERR_CONFLICT' });
    await a.deleteFunction('f');
    await expect.poll(() => seen.at(-1)).toBe('function:f:gone');
    expect(seen.slice(-3)).toEqual(['revision:f-00001:gone', 'revision:f-00002:gone', 'function:f:gone']);
    await a.close();
    await b.close();
  });
});

describe('artifact directory', () => {
  it('writes the manifest last: files of a put that did not finish are not an artifact', async () => {
    const dir = tempDir();
    const s = new FileArtifactStore(dir);
    const d = 'd'.repeat(64);
    await s.put(d, jsFiles({ source: new Uint8Array([1]), script: 'x', cache: null }));
    expect(readdirSync(join(dir, 'artifacts', d)).sort()).toEqual(['manifest.json', 'script.js', 'source.js']);
    // Without the manifest (a crash before it) the same files are not a complete artifact.
    rmSync(join(dir, 'artifacts', d, 'manifest.json'));
    rmSync(join(dir, 'artifacts', d, 'script.js'));
    expect(await s.has(d)).toBe(false);
  });

  /** Bytes as plain arrays: a store may hand back Buffers or Uint8Arrays. */
  const plain = (v: unknown): unknown => v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

  it('reads each runtime back through one codec', async () => {
    const s = new FileArtifactStore(tempDir());
    const [j, w, c] = ['1', '2', '3'].map((x) => x.repeat(64));
    await s.put(j!, jsFiles({ source: new Uint8Array([1]), script: 'js()', cache: new Uint8Array([9]) }));
    await s.put(w!, wasmFiles(new Uint8Array([0, 97, 115, 109])));
    await s.put(c!, componentFiles(new Uint8Array([0]), { abi: 'wasi-http', script: 'c()', cache: null, cores: [['b.core.wasm', new Uint8Array([2])], ['a.core.wasm', new Uint8Array([1])]] }));
    expect(plain(await loadCode(s, 'js', j!))).toEqual({ script: 'js()', cache: [9] });
    expect(plain(await loadCode(s, 'wasm', w!))).toEqual({ script: '', cache: null, wasm: [0, 97, 115, 109] });
    // Core modules keep jco's order, not the file system's.
    expect(plain(await loadCode(s, 'component', c!))).toEqual({ script: 'c()', cache: null, cores: [['b.core.wasm', [2]], ['a.core.wasm', [1]]], abi: 'wasi-http' });
    await expect(loadCode(s, 'js', w!)).rejects.toThrow(/has no script\.js/);
  });
});
