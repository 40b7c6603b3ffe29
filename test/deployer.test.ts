/** The deployer on the real stores with a fake compile pool: validation, artifacts before records, nothing kept from a refusal. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Deployer, type Compiler } from '../src/deploy/index.ts';
import { FileArtifactStore, SqliteStateStore, jsFiles, jsHandlers, loadCode } from '../src/store/index.ts';

const CONFIG = { env: {}, concurrency: 0, limits: {} };
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(compiler: Partial<Compiler> = {}) {
  dir = mkdtempSync(join(tmpdir(), 'isoedge-deployer-'));
  const state = new SqliteStateStore(dir);
  const artifacts = new FileArtifactStore(dir);
  const calls: string[] = [];
  const c: Compiler = {
    compileJs: async (t) => { calls.push(`js ${t.name}`); return { ok: true, script: `/*${t.source}*/`, cache: new Uint8Array([7]), scheduled: t.source.includes('scheduled'), ms: { bundle: 0, validate: 0 } }; },
    compileWasm: async (t) => { calls.push(`wasm ${t.name}`); return { ok: true, ms: 0, layer: 'core' }; },
    ...compiler,
  };
  return { state, artifacts, calls, d: new Deployer({ state, artifacts, compiler: c, moduleBytes: 64, memoryMb: 64, wallNow: () => 1_700_000_000_000 }) };
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('deployer', () => {
  it('compiles once per digest, stores the artifact, then records the revision with its traffic', async () => {
    const { d, state, artifacts, calls } = setup();
    const src = utf8('export default {}');
    const a = await d.deployJs('f', src, CONFIG);
    const b = await d.deployJs('f', src, CONFIG, { noTraffic: true, tag: 'next' });
    expect([a.compiled, b.compiled]).toEqual([true, false]);
    expect(calls).toEqual(['js f']);
    expect(await loadCode(artifacts, 'js', sha(src))).toMatchObject({ script: '/*export default {}*/' });
    // A staged deploy pins what served before and gives the new revision a tag at 0 %.
    expect((await state.getFunction('f'))!.traffic).toEqual([{ revision: 'f-00001', percent: 100 }, { revision: 'f-00002', percent: 0, tag: 'next' }]);
    expect((await state.listRevisions('f')).map((r) => [r.name, r.digest, r.createdAt])).toEqual([['f-00001', sha(src), 1_700_000_000_000], ['f-00002', sha(src), 1_700_000_000_000]]);
  });

  it.each([
    ['a bad name', 'Bad_Name', utf8('x'), 'EDGE_ERR_INVALID_NAME'],
    ['an empty module', 'f', new Uint8Array(0), 'EDGE_ERR_MODULE_PARSE'],
    ['a module over the size limit', 'f', new Uint8Array(65), 'EDGE_ERR_MODULE_TOO_LARGE'],
    ['bytes that are not UTF-8', 'f', new Uint8Array([0xff, 0xfe, 0xfd]), 'EDGE_ERR_MODULE_PARSE'],
  ])('refuses %s and stores nothing', async (_n, name, bytes, code) => {
    const { d, state, artifacts, calls } = setup();
    await expect(d.deployJs(name, bytes, CONFIG)).rejects.toMatchObject({ code });
    expect(calls).toEqual([]);
    expect(await state.listFunctions()).toEqual([]);
    expect(await artifacts.has(sha(bytes))).toBe(false);
  });

  it('a module the compile pool refuses leaves no artifact and no revision', async () => {
    const { d, state, artifacts } = setup({ compileJs: async () => ({ ok: false, code: 'EDGE_ERR_MODULE_NO_FETCH', message: 'no fetch' }) });
    const src = utf8('export default 1');
    await expect(d.deployJs('f', src, CONFIG)).rejects.toMatchObject({ code: 'EDGE_ERR_MODULE_NO_FETCH', message: 'no fetch' });
    expect(await artifacts.has(sha(src))).toBe(false);
    expect(await state.getFunction('f')).toBeUndefined();
  });

  it('concurrent deploys of the same bytes compile once and all record their revision', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const { d, state, calls } = setup({ compileJs: async (t) => { calls.push(`js ${t.name}`); await gate; return { ok: true, script: 's', cache: null, scheduled: false, ms: { bundle: 0, validate: 0 } }; } });
    const src = utf8('export default {}');
    const all = Promise.all(['a', 'b', 'c', 'd'].map((n) => d.deployJs(n, src, CONFIG)));
    await new Promise((r) => setTimeout(r, 10));
    release();
    const recs = await all;
    expect(calls).toEqual(['js a']);
    expect(recs.map((r) => r.compiled)).toEqual([true, false, false, false]);
    expect((await state.listFunctions()).map((f) => f.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a refused build refuses the deploys that waited for it, and the next deploy builds again', async () => {
    let n = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const { d } = setup({ compileJs: async () => { await gate; return ++n === 1 ? { ok: false, code: 'EDGE_ERR_MODULE_INIT', message: 'threw' } : { ok: true, script: 's', cache: null, scheduled: false, ms: { bundle: 0, validate: 0 } }; } });
    const src = utf8('export default {}');
    const both = Promise.allSettled([d.deployJs('a', src, CONFIG), d.deployJs('b', src, CONFIG)]);
    await new Promise((r) => setTimeout(r, 10));
    release();
    const results = await both;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await d.deployJs('c', src, CONFIG)).compiled).toBe(true);
  });

  it('keeps the runtime a digest was first stored as (core module or component)', async () => {
    const { d, calls } = setup({
      compileWasm: async (t) => { calls.push(`wasm ${t.name}`); return { ok: true, ms: 0, layer: 'component', abi: 'edge-host', script: 's', cache: null, cores: [['x.core.wasm', new Uint8Array([0])]] }; },
    });
    const bytes = new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0]);
    const a = await d.deployWasm('c', bytes, CONFIG);
    const b = await d.deployWasm('other', bytes, CONFIG);
    expect([a.runtime, a.compiled, b.runtime, b.compiled]).toEqual(['component', true, 'component', false]);
    expect(calls).toEqual(['wasm c']);
  });
  it('records whether a JS module has a scheduled handler and refuses cron triggers it cannot serve, recording nothing', async () => {
    const { d, state, artifacts } = setup();
    const crons = { ...CONFIG, triggers: { crons: ['*/5 * * * *'] } };
    const plain = utf8('export default {}');
    await expect(d.deployJs('f', plain, crons)).rejects.toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED', message: expect.stringMatching(/"\*\/5 \* \* \* \*".*export scheduled\(controller, env, ctx\)/) });
    expect(await state.getFunction('f')).toBeUndefined();
    // The artifact built for the refused deploy stays (valid code; the next deploy of the bytes reuses it).
    expect(await jsHandlers(artifacts, sha(plain))).toEqual({ scheduled: false });
    const withScheduled = utf8('export default { scheduled() {} }');
    expect((await d.deployJs('g', withScheduled, crons)).name).toBe('g-00001');
    expect(await jsHandlers(artifacts, sha(withScheduled))).toEqual({ scheduled: true });
    // A config change on stored code is checked the same way.
    await d.deployJs('f', plain, CONFIG);
    await expect(d.record('f', sha(plain), crons)).rejects.toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED' });
    expect((await state.listRevisions('f')).map((r) => r.name)).toEqual(['f-00001']);
    // Wasm has no scheduled handler: refused before it is compiled or stored.
    const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(d.deployWasm('w', wasm, crons)).rejects.toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED' });
    expect(await artifacts.has(sha(wasm))).toBe(false);
  });

  it('a JS artifact stored before handlers were recorded (no handlers.json) is allowed cron triggers', async () => {
    const { d, artifacts } = setup();
    const old = utf8('export default { fetch() {} }');
    await artifacts.put(sha(old), jsFiles({ source: old, script: 's', cache: null }));
    expect(await jsHandlers(artifacts, sha(old))).toBeUndefined();
    const rec = await d.deployJs('legacy', old, { ...CONFIG, triggers: { crons: ['0 0 * * *'] } });
    expect([rec.name, rec.compiled]).toEqual(['legacy-00001', false]);
  });
});
