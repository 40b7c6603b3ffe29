/**
 * Wasm inputs for the benches: the built examples (core module, component, and a wasi:http/proxy
 * component when one is built), the floor of a plain-Node `new WebAssembly.Instance` + one call,
 * and a 1 MiB module for deploy-to-first-response.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '../../host-abi/edge-core-v1/index.ts';
import { summarize, type Summary } from './stats.ts';

const require = createRequire(import.meta.url);
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
export const ECHO_WASM = fileURLToPath(new URL('../../examples/wasm-echo/build/echo.wasm', import.meta.url));
export const COMPONENT_WASM = fileURLToPath(new URL('../../examples/component-echo/build/echo.component.wasm', import.meta.url));
export const ECHO_WAT = fileURLToPath(new URL('../../examples/wasm-echo/echo.wat', import.meta.url));

/**
 * Hook for the third kind, a `wasi:http/proxy` component: the first built examples/wasi-http*\/build/*.wasm
 * (preferring a *.component.wasm), or undefined while no such example is built.
 */
export function wasiHttpComponent(): string | undefined {
  if (!existsSync(EXAMPLES)) return undefined;
  for (const d of readdirSync(EXAMPLES).filter((x) => x.startsWith('wasi-http')).sort()) {
    const build = `${EXAMPLES}${d}/build/`;
    if (!existsSync(build)) continue;
    const files = readdirSync(build).filter((f) => f.endsWith('.wasm')).sort((a, b) => Number(b.endsWith('.component.wasm')) - Number(a.endsWith('.component.wasm')));
    if (files[0]) return build + files[0];
  }
  return undefined;
}

interface WA {
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, i: object) => { exports: { memory: { buffer: ArrayBuffer }; alloc(n: number): number; handle(p: number, n: number): bigint } };
}
const WebAsm = (globalThis as unknown as { WebAssembly: WA }).WebAssembly;

/** The floor, in ms per sample: instantiate the compiled core example and serve one request frame, in this process. */
export function floorSamplesMs(n: number, deadline = Infinity): number[] {
  const mod = new WebAsm.Module(readFileSync(ECHO_WASM));
  const frame = encodeFrame({ method: 'GET', url: 'http://x.localhost/', headers: [['host', 'x.localhost']] }, null);
  const ms: number[] = [];
  for (let i = 0; i < n + 200 && performance.now() < deadline; i++) {
    const t0 = performance.now();
    const x = new WebAsm.Instance(mod, { env: { log: () => {} } }).exports;
    const p = x.alloc(frame.length);
    new Uint8Array(x.memory.buffer, p, frame.length).set(frame);
    x.handle(p, frame.length);
    if (i >= 200) ms.push(performance.now() - t0); // the first 200 warm up the JIT
  }
  return ms;
}

/** The same floor summarised in µs (bench/coldstart.bench.ts). */
export function plainNodeFloor(n: number): Summary {
  return summarize(floorSamplesMs(n).map((x) => x * 1000));
}

/** The example with a data segment that makes the module `bytes` long; `salt` changes its digest. */
export async function bigModule(bytes: number, salt: number): Promise<Uint8Array> {
  const wabt = await (require('wabt') as () => Promise<{ parseWat(n: string, s: string, f: object): { resolveNames(): void; validate(): void; toBinary(o: object): { buffer: Uint8Array } } }>)();
  const src = readFileSync(ECHO_WAT, 'utf8')
    .replace('(memory (export "memory") 1)', `(memory (export "memory") ${Math.ceil(bytes / 65536) + 2})`)
    .replace('(global $heap (mut i32) (i32.const 4096))', `(global $heap (mut i32) (i32.const ${(Math.ceil(bytes / 65536) + 1) * 65536}))`)
    .replace(/\(global\.set \$heap \(i32\.const 4096\)\)/, `(global.set $heap (i32.const ${(Math.ceil(bytes / 65536) + 1) * 65536}))`)
    .replace('(@custom', `(data (i32.const 65536) "${salt.toString(16).padStart(8, '0')}${'a'.repeat(bytes)}")\n  (@custom`);
  const m = wabt.parseWat('big.wat', src, { bulk_memory: true, annotations: true });
  m.resolveNames();
  m.validate();
  return m.toBinary({}).buffer;
}
