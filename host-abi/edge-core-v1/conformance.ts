/**
 * The edge-core-v1 conformance suite: runs any guest module through the ABI in
 * plain Node (no host needed) and reports each check. Usage:
 *
 *   node host-abi/edge-core-v1/conformance.ts path/to/module.wasm
 *
 * Exit code 0 when every check passes, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkAbi, readModule } from './index.ts';
import { checkResponseHead, decodeFrame, encodeFrame, type ResponseHead } from './frames.ts';
import { WasmEngine } from '../wasm-engine.ts';

export interface CheckResult { name: string; ok: boolean; detail: string }

interface Exports { memory: { buffer: ArrayBuffer }; alloc(n: number): number; handle(p: number, n: number): bigint; _initialize?: () => void }

/** The requests every conforming module must answer with a well-formed response frame. */
const CASES: { name: string; head: { method: string; url: string; headers: [string, string][] }; body: Uint8Array | null }[] = [
  { name: 'GET without a body', head: { method: 'GET', url: 'http://fn.localhost/', headers: [['accept', '*/*']] }, body: null },
  { name: 'POST with a UTF-8 body', head: { method: 'POST', url: 'http://fn.localhost/a/b?x=1', headers: [['content-type', 'text/plain']] }, body: new TextEncoder().encode('héllo ✓') },
  { name: 'POST with binary bytes', head: { method: 'POST', url: 'http://fn.localhost/bin', headers: [] }, body: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  { name: 'a 64 KiB body', head: { method: 'PUT', url: 'http://fn.localhost/big', headers: [] }, body: new Uint8Array(65536).fill(7) },
  { name: 'repeated headers', head: { method: 'GET', url: 'http://fn.localhost/h', headers: [['x-a', '1'], ['x-a', '2']] }, body: null },
];

export function runConformance(bytes: Uint8Array): CheckResult[] {
  const results: CheckResult[] = [];
  const check = (name: string, fn: () => string) => {
    try {
      const problem = fn();
      results.push({ name, ok: problem === '', detail: problem });
    } catch (e) {
      results.push({ name, ok: false, detail: (e as Error).message });
    }
  };
  let info: ReturnType<typeof readModule> | undefined;
  check('is a core WebAssembly module', () => { info = readModule(bytes); return info.layer === 'core' ? '' : 'it is a component'; });
  if (!info || info.layer !== 'core') return results;
  check('fits the edge-core-v1 exports and imports', () => checkAbi(info!).join('; '));
  const logs: string[] = [];
  let x: Exports | undefined;
  check('instantiates with env.log', () => {
    const imports = { env: { log: (p: number, n: number) => logs.push(new TextDecoder().decode(new Uint8Array(x!.memory.buffer, p, n))) } };
    x = new WasmEngine.Instance(new WasmEngine.Module(bytes), imports).exports as unknown as Exports;
    x._initialize?.();
    return '';
  });
  if (!x) return results;
  for (const c of CASES) {
    check(`answers ${c.name} with a well-formed response frame`, () => {
      const f = encodeFrame(c.head, c.body);
      const ptr = x!.alloc(f.length) >>> 0;
      if (ptr + f.length > x!.memory.buffer.byteLength) return `alloc(${f.length}) returned ${ptr}, outside memory`;
      new Uint8Array(x!.memory.buffer, ptr, f.length).set(f);
      const r = BigInt.asUintN(64, x!.handle(ptr, f.length));
      const rp = Number(r >> 32n), rl = Number(r & 0xffffffffn);
      if (rp + rl > x!.memory.buffer.byteLength) return `handle() returned ${rl} bytes at ${rp}, outside memory`;
      const { head } = decodeFrame<ResponseHead>(new Uint8Array(x!.memory.buffer, rp, rl));
      return checkResponseHead(head);
    });
  }
  check('keeps its memory bounded over 1,000 requests', () => {
    const before = x!.memory.buffer.byteLength;
    const f = encodeFrame(CASES[1]!.head, CASES[1]!.body);
    for (let i = 0; i < 1000; i++) {
      const ptr = x!.alloc(f.length) >>> 0;
      new Uint8Array(x!.memory.buffer, ptr, f.length).set(f);
      x!.handle(ptr, f.length);
    }
    const after = x!.memory.buffer.byteLength;
    return after > before + 16 * 65536 ? `memory grew from ${before} to ${after} bytes: the module leaks per request` : '';
  });
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node host-abi/edge-core-v1/conformance.ts module.wasm\n');
    process.exit(2);
  }
  const results = runConformance(readFileSync(file));
  for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? ` — ${r.detail}` : ''}\n`);
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  process.exitCode = failed ? 1 : 0;
}
