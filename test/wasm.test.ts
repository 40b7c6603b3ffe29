/** Core WebAssembly on edge-core-v1: the ABI check, the frames, and modules served from isolates. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { buildExamples } from '../scripts/build-examples.ts';
import { checkAbi, readModule, encodeFrame, decodeFrame } from '../host-abi/edge-core-v1/index.ts';
import { runConformance } from '../host-abi/edge-core-v1/conformance.ts';
import { testHost, type TestHost } from './helpers/host.ts';

const require = createRequire(import.meta.url);
type Wabt = { parseWat(n: string, s: string, f: object): { resolveNames(): void; validate(): void; toBinary(o: object): { buffer: Uint8Array } } };
let wabt: Wabt;
const wat = (src: string): Uint8Array => {
  const m = wabt.parseWat('t.wat', src, { bulk_memory: true, annotations: true });
  m.resolveNames();
  m.validate();
  return m.toBinary({}).buffer;
};

/** A minimal conforming module whose handle() runs `body` (WAT) before answering with the frame `head` + "ok". */
const moduleWith = (body: string, head = '{"status":201}') => {
  const len = head.length.toString(16).padStart(2, '0');
  return wat(`(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 0) "\\${len}\\00\\00\\00${head.replace(/"/g, '\\"')}ok")
  (func (export "alloc") (param i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap)) (global.set $heap (i32.add (global.get $heap) (local.get 0))) (local.get $p))
  (func (export "handle") (param i32 i32) (result i64)
    ${body}
    (global.set $heap (i32.const 1024))
    (i64.const ${4 + head.length + 2})))`);
};

let h: TestHost;
beforeAll(async () => {
  wabt = await (require('wabt') as () => Promise<Wabt>)();
  await buildExamples();
  h = await testHost();
});
afterAll(async () => { await h.cleanup(); });

const deployWasm = (name: string, bytes: Uint8Array) =>
  h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': 'application/wasm' }, payload: Buffer.from(bytes) });
const call = (name: string, init: { method?: 'GET' | 'POST'; payload?: string | Buffer; url?: string } = {}) =>
  h.edge.inject({ method: init.method ?? 'GET', url: init.url ?? '/', headers: { host: `${name}.localhost` }, ...(init.payload !== undefined ? { payload: init.payload } : {}) });

describe('edge-core-v1 frames and ABI check', () => {
  it('encodes and decodes frames', () => {
    const f = encodeFrame({ method: 'GET', url: 'http://x/', headers: [['a', 'b']] }, new Uint8Array([1, 2, 3]));
    const d = decodeFrame<{ method: string }>(f);
    expect(d.head.method).toBe('GET');
    expect([...d.body]).toEqual([1, 2, 3]);
  });

  it('accepts the example and names every problem of a bad module', () => {
    expect(checkAbi(readModule(readFileSync(new URL('../examples/wasm-echo/build/echo.wasm', import.meta.url))))).toEqual([]);
    const bad = wat(`(module (import "wasi" "fd_write" (func (param i32))) (memory (export "mem") 1) (func (export "handle") (param i32) (result i32) (i32.const 0)) (@custom "edge-abi" "edge-core-v9"))`);
    expect(checkAbi(readModule(bad))).toEqual([
      'the module declares ABI "edge-core-v9"; this host provides "edge-core-v1"',
      'missing export "memory"',
      'missing export "alloc" (i32) -> (i32)',
      'export "handle" has type (i32) -> (i32), expected (i32, i32) -> (i64)',
      'imports "wasi.fd_write", which the host does not provide (it provides env.log)',
    ]);
  });
});

describe('conformance suite', () => {
  it('passes the example and fails a module that answers with a bad frame', () => {
    for (const file of ['../examples/wasm-echo/build/echo.wasm', '../examples/as-router/build/router.wasm']) {
      const good = runConformance(readFileSync(new URL(file, import.meta.url)));
      expect(good.filter((r) => !r.ok), file).toEqual([]);
      expect(good.length).toBe(9);
    }
    const badStatus = runConformance(moduleWith('', '{"status":99}'));
    expect(badStatus.filter((r) => !r.ok).map((r) => r.detail)).toContain('response status 99 is not an integer from 200 to 599');
  });
});

describe('Wasm through the API and the edge', () => {
  it('deploys the WAT example and serves GET and a binary echo, with Server-Timing and logs', async () => {
    const r = await deployWasm('wecho', readFileSync(new URL('../examples/wasm-echo/build/echo.wasm', import.meta.url)));
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ revision: 'wecho-00001', runtime: 'wasm' });
    const g = await call('wecho');
    expect(g.statusCode).toBe(200);
    expect(g.body).toBe('Hello from WebAssembly (WAT, edge-core-v1)! POST a body and I echo it back.\n');
    expect(g.headers['x-wasm-abi']).toBe('edge-core-v1');
    expect(g.headers['server-timing']).toMatch(/start;desc="(hot|warm|cold)"/);
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const e = await call('wecho', { method: 'POST', payload: bytes });
    expect(e.rawPayload.equals(bytes)).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    expect(h.logs.some((l) => l.function === 'wecho' && l.console === 'wasm-echo handled a request')).toBe(true);
  });

  it.each([
    ['not Wasm at all', new TextEncoder().encode('hello'), 'EDGE_ERR_WASM_INVALID', /no \\0asm magic/],
    ['an empty component', new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), 'EDGE_ERR_WASM_ABI', /does not export handle/],
    ['truncated', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x60]), 'EDGE_ERR_WASM_INVALID', /end of the module|section/],
  ])('refuses %s with 400 and a code, storing nothing', async (_n, bytes, code, msg) => {
    const r = await deployWasm('wbad', bytes);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code, message: expect.stringMatching(msg) });
    expect((await h.admin.inject({ url: '/v1/functions/wbad' })).statusCode).toBe(404);
  });

  it('refuses a module with a mistyped export or a foreign import', async () => {
    const r = await deployWasm('wbad', wat('(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle") (param i32 i32) (result i32) (i32.const 0)))'));
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_WASM_ABI', message: expect.stringMatching(/"handle" has type \(i32, i32\) -> \(i32\)/) });
  });

  it('a trap fails its request with a code and drops the instance; the function keeps serving', async () => {
    const trapping = moduleWith('(if (i32.eq (local.get 1) (i32.const 0)) (then unreachable)) (if (i32.gt_u (local.get 1) (i32.const 200)) (then unreachable))');
    expect((await deployWasm('wtrap', trapping)).statusCode).toBe(201);
    const ok = await call('wtrap');
    expect(ok.statusCode).toBe(201);
    expect(ok.body).toBe('ok');
    const t = await call('wtrap', { method: 'POST', payload: 'x'.repeat(500) });
    expect(t.statusCode).toBe(500);
    expect(t.json()).toMatchObject({ code: 'EDGE_ERR_WASM_TRAP' });
    expect((await call('wtrap')).statusCode).toBe(201);
  });

  it('an infinite loop in Wasm hits the CPU limit; memory growth past the limit fails the request', async () => {
    expect((await deployWasm('wloop', moduleWith('(loop $l (br $l))'))).statusCode).toBe(201);
    const l = await call('wloop');
    expect(l.statusCode).toBe(503);
    expect(l.json()).toMatchObject({ code: 'EDGE_ERR_CPU_LIMIT' });
    expect((await deployWasm('wgrow', moduleWith('(drop (memory.grow (i32.const 300)))'))).statusCode).toBe(201);
    const g = await call('wgrow');
    expect(g.statusCode).toBe(503);
    expect(g.json()).toMatchObject({ code: 'EDGE_ERR_MEMORY_LIMIT', message: expect.stringMatching(/grew its memory/) });
  });

  it('a response frame outside memory is a bad response (502)', async () => {
    expect((await deployWasm('wbadframe', wat(`(module (memory (export "memory") 1)
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "handle") (param i32 i32) (result i64) (i64.const 0x7fffffff00000010)))`))).statusCode).toBe(201);
    const r = await call('wbadframe');
    expect(r.statusCode).toBe(502);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_BAD_RESPONSE' });
  });
});

describe('WebAssembly components (edge:host/handler@0.1.0 through jco)', () => {
  it('deploys the component example and serves GET and a binary echo', async () => {
    const r = await deployWasm('comp', readFileSync(new URL('../examples/component-echo/build/echo.component.wasm', import.meta.url)));
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ revision: 'comp-00001', runtime: 'component' });
    const g = await call('comp');
    expect(g.statusCode).toBe(200);
    expect(g.body).toBe('Hello from a WebAssembly component (edge:host/handler@0.1.0)! POST a body and I echo it back.\n');
    expect(g.headers['x-component']).toBe('edge:host/handler@0.1.0');
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    expect((await call('comp', { method: 'POST', payload: bytes })).rawPayload.equals(bytes)).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    expect(h.logs.some((l) => l.function === 'comp' && l.console === 'component-echo handled a request')).toBe(true);
  });

  it('refuses a component of another world with EDGE_ERR_WASM_ABI, storing nothing', async () => {
    // A real component whose world exports run() instead of handle().
    const dir = mkdtempSync(join(tmpdir(), 'isoedge-comp-'));
    writeFileSync(join(dir, 'other.wit'), 'package x:other@0.1.0;\nworld other { export run: func(); }\n');
    writeFileSync(join(dir, 'core.wasm'), wat('(module (memory (export "memory") 1) (func (export "run")))'));
    const jco = join(createRequire(import.meta.url).resolve('@bytecodealliance/jco'), '..', 'jco.js');
    for (const args of [['embed', 'core.wasm', '--wit', 'other.wit', '-n', 'other', '-o', 'e.wasm'], ['new', 'e.wasm', '-o', 'c.wasm']]) {
      expect(spawnSync(process.execPath, [jco, ...args], { cwd: dir, encoding: 'utf8' }).status).toBe(0);
    }
    const r = await deployWasm('compbad', readFileSync(join(dir, 'c.wasm')));
    rmSync(dir, { recursive: true, force: true });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_WASM_ABI', message: expect.stringMatching(/does not export handle/) });
    expect((await h.admin.inject({ url: '/v1/functions/compbad' })).statusCode).toBe(404);
  });
});
