/**
 * piscina task (deploy time, off the gateway thread): turns a Workers-style ES
 * module into a script that yields its default export, checks it in a real
 * isolate with the guest runtime, and builds the V8 code cache executors load
 * it from. Modules are transformed because isolated-vm consumes code caches
 * for scripts only (docs/architecture.md, "Why these choices").
 */
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { isMainThread } from 'node:worker_threads';
import { Instance, buildCodeCache, codeCacheFrom, collectReleasedHandles, type CodeCache } from '../runtime/js/index.ts';
import { BASE_LIMITS, type RevisionSpec } from '../runtime/types.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { ComponentAbi } from '../store/index.ts';
import { checkAbi, readModule, WasmFormatError } from '../../host-abi/edge-core-v1/index.ts';
import { WasmEngine } from '../../host-abi/wasm-engine.ts';
import { WRAPPER_END, wrapperStart } from '../bundle/no-node.ts';

/** CPU the deploy-time warm-up request may use on the compile thread (a first request compiles glue). */
const WARMUP_CPU_MS = 200;
/** The request a component serves once at deploy, so its code cache holds the glue a request runs. */
const WARMUP_REQUEST = { reqId: 'deploy-warmup', method: 'GET', url: 'http://deploy-warmup.invalid/', headers: [] as [string, string][], body: null };

/** The guest's WASI implementation, bundled into each wasi:http component's script. */
const WASI_HTTP_SOURCE = readFileSync(new URL('../runtime/js/guest/wasi-http.js', import.meta.url), 'utf8');

/**
 * A core module for edge-core-v1: read its sections, check the ABI, and compile it
 * once here (off the gateway) so a module that does not validate is refused at deploy.
 * No guest code runs: instantiation (and any start function) happens in an isolate.
 */
async function compileWasm(task: CompileWasmTask): Promise<CompileWasmResult> {
  const t0 = performance.now();
  let info;
  try {
    info = readModule(task.bytes);
  } catch (e) {
    return { ok: false, code: 'EDGE_ERR_WASM_INVALID', message: e instanceof WasmFormatError ? e.message : `not a WebAssembly module: ${(e as Error).message}` };
  }
  if (info.layer === 'component') return compileComponent(task, t0);
  try {
    new WasmEngine.Module(task.bytes);
  } catch (e) {
    return { ok: false, code: 'EDGE_ERR_WASM_INVALID', message: `the module does not validate: ${(e as Error).message}` };
  }
  const problems = checkAbi(info);
  if (problems.length) return { ok: false, code: 'EDGE_ERR_WASM_ABI', message: `the module does not fit edge-core-v1: ${problems.join('; ')}` };
  return { ok: true, ms: performance.now() - t0, layer: 'core' };
}

/**
 * A component: transpiled by jco (sync instantiation) into JS plus core modules, the JS
 * bundled into a script that yields `instantiate`, with a V8 code cache. Executors
 * compile the core modules and run the script in an isolate, like a JS revision. Two
 * worlds are served: edge:host/handler@0.1.0 (export `handle`) and, as a second tier,
 * wasi:http/proxy (export wasi:http/incoming-handler@0.2.x), whose WASI implementation
 * (guest/wasi-http.js) is bundled into the same script.
 */
async function compileComponent(task: CompileWasmTask, t0: number): Promise<CompileWasmResult> {
  const { transpile } = await import('@bytecodealliance/jco');
  let out: Awaited<ReturnType<typeof transpile>>;
  try {
    out = await transpile(task.bytes, { name: 'component', instantiation: 'sync', noTypescript: true, base64Cutoff: 0, quiet: true });
  } catch (e) {
    return { ok: false, code: 'EDGE_ERR_WASM_INVALID', message: `the component could not be transpiled: ${(e as Error).message}` };
  }
  const exported = new Map(out.exports);
  const incoming = [...exported.keys()].find((k) => k.startsWith('wasi:http/incoming-handler@'));
  let abi: ComponentAbi;
  if (incoming) {
    if (!/^wasi:http\/incoming-handler@0\.2\.\d+$/.test(incoming)) {
      return { ok: false, code: 'EDGE_ERR_WASM_ABI', message: `the component exports ${incoming}; this host serves wasi:http 0.2.x (wasi:http/incoming-handler@0.2.x)` };
    }
    const foreign = out.imports.filter((i) => !WASI_HTTP_IMPORTS.includes(i));
    if (foreign.length) {
      return { ok: false, code: 'EDGE_ERR_WASM_ABI', message: `the component imports ${foreign.join(', ')}, which the host does not provide (a wasi:http/proxy component may import ${WASI_HTTP_IMPORTS.join(', ')})` };
    }
    abi = 'wasi-http';
  } else {
    if (exported.get('handle') !== 'function') {
      return { ok: false, code: 'EDGE_ERR_WASM_ABI', message: `the component does not export handle: func(req: request) -> response of edge:host/handler@0.1.0, nor wasi:http/incoming-handler@0.2.x of wasi:http/proxy (exports: ${[...exported.keys()].join(', ') || 'none'})` };
    }
    const foreign = out.imports.filter((i) => !COMPONENT_IMPORTS.has(i));
    if (foreign.length) return { ok: false, code: 'EDGE_ERR_WASM_ABI', message: `the component imports ${foreign.join(', ')}, which the host does not provide (edge:host/handler@0.1.0 offers log)` };
    abi = 'edge-host';
  }
  const js = out.files['component.js'];
  if (!js) return { ok: false, code: 'EDGE_ERR_WASM_INVALID', message: 'jco produced no JavaScript for the component' };
  let script: string;
  try {
    script = await bundleComponent(new TextDecoder().decode(js), abi);
  } catch (e) {
    return { ok: false, code: 'EDGE_ERR_WASM_INVALID', message: `the transpiled component does not bundle: ${(e as Error).message}` };
  }
  const cores = Object.entries(out.files).filter(([n]) => n.endsWith('.wasm')) as [string, Uint8Array][];
  const cache = await exercisedCodeCache(task.name, script, cores);
  return { ok: true, ms: performance.now() - t0, layer: 'component', abi, script, cache, cores };
}

/**
 * The code cache of a component's script, made after the component has been instantiated and
 * has served one request (WARMUP_REQUEST; its answer is discarded, its log dropped). V8 compiles
 * functions lazily and a cache made at compile time holds little more than the top level (3 KB
 * for the 109 KB of jco glue of examples/component-echo), so every new instance compiled the glue
 * on its first request (~2.5 ms). Compiling the same source again in the same isolate reuses what
 * V8 compiled meanwhile, and the cache made then holds it. If the component cannot be exercised
 * here, the compile-time cache is kept: a component's first request may legitimately fail.
 */
async function exercisedCodeCache(name: string, script: string, cores: [string, Uint8Array][]): Promise<Uint8Array | null> {
  const filename = `${name}.component`;
  const inst = new Instance({ memoryMb: 64, log: () => {}, cachePrelude: false });
  try {
    let cache = buildCodeCache(inst, script, `${filename}.js`);
    try {
      const spec: RevisionSpec = { id: filename, fn: name, digest: '', runtime: 'component', script, cache: null, env: {}, concurrency: 0, limits: { ...BASE_LIMITS, cpuMs: WARMUP_CPU_MS, wallMs: 1000, memoryMb: 64 } };
      inst.specialiseComponent(spec, undefined, cores.map(([n]) => n), cores.map(([, b]) => new WasmEngine.Module(b)), BASE_LIMITS.wasmMemoryPages * 65536);
      await inst.invoke(WARMUP_REQUEST, 1);
      if (!inst.disposed) cache = buildCodeCache(inst, script, `${filename}.js`) ?? cache;
    } catch {
      // keep the compile-time cache
    }
    return cache;
  } finally {
    inst.dispose();
  }
}

/**
 * jco's module as a script that sets `__isoedge_component`. For wasi:http it also exports
 * `wasiHttp` (createWasiHttp), which the guest runtime's bindComponent takes as the sign
 * of the second tier: the stored script says which world it serves, so nothing else has to.
 */
async function bundleComponent(js: string, abi: ComponentAbi): Promise<string> {
  const entry = abi === 'wasi-http'
    ? "export { instantiate } from 'jco:component'; export { createWasiHttp as wasiHttp } from 'isoedge:wasi-http';"
    : "export { instantiate } from 'jco:component';";
  const b = await esbuild.build({
    stdin: { contents: entry, loader: 'js' },
    bundle: true, write: false, format: 'iife', globalName: '__isoedge_component', platform: 'neutral', target: 'es2023', logLevel: 'silent',
    plugins: [{
      name: 'isoedge-component',
      setup(build) {
        build.onResolve({ filter: /^(jco:component|isoedge:wasi-http)$/ }, (a) => ({ path: a.path, namespace: 'isoedge' }));
        build.onLoad({ filter: /.*/, namespace: 'isoedge' }, (a) => ({ contents: a.path === 'jco:component' ? js : WASI_HTTP_SOURCE, loader: 'js' }));
      },
    }],
  });
  return b.outputFiles[0]!.text;
}

export interface CompileWasmTask {
  kind: 'wasm';
  name: string;
  bytes: Uint8Array;
}

export type CompileWasmResult =
  | { ok: true; ms: number; layer: 'core' }
  | { ok: true; ms: number; layer: 'component'; abi: ComponentAbi; script: string; cache: Uint8Array | null; cores: [string, Uint8Array][] }
  | { ok: false; code: ErrorCode; message: string };


/**
 * The interfaces a wasi:http/proxy component may import, as jco names them (without version):
 * the keys of guest/wasi-http.js's `imports` (a test checks they agree). wasi:filesystem is
 * there because wasi-libc and StarlingMonkey import it: it offers no preopened directory.
 */
export const WASI_HTTP_IMPORTS = [
  'wasi:http/types', 'wasi:http/outgoing-handler',
  'wasi:io/error', 'wasi:io/poll', 'wasi:io/streams',
  'wasi:clocks/monotonic-clock', 'wasi:clocks/wall-clock',
  'wasi:random/random', 'wasi:random/insecure', 'wasi:random/insecure-seed',
  'wasi:cli/stdout', 'wasi:cli/stderr', 'wasi:cli/stdin', 'wasi:cli/environment', 'wasi:cli/exit',
  'wasi:cli/terminal-input', 'wasi:cli/terminal-output', 'wasi:cli/terminal-stdin', 'wasi:cli/terminal-stdout', 'wasi:cli/terminal-stderr',
  'wasi:filesystem/preopens', 'wasi:filesystem/types',
];

/** What a component for edge:host/handler@0.1.0 may import, as jco names the imports. */
const COMPONENT_IMPORTS = new Set(['log', 'edge:host/types', 'edge:host/types@0.1.0']);

export interface CompileJsTask {
  kind?: 'js';
  name: string;
  source: string;
  env: Record<string, string>;
  memoryMb: number;
}

export type CompileJsResult =
  /** `scheduled`: the default export also has a scheduled(controller, env, ctx) method (the deployer checks cron triggers against it). */
  | { ok: true; script: string; cache: Uint8Array | null; scheduled: boolean; ms: { bundle: number; validate: number } }
  | { ok: false; code: ErrorCode; message: string };

export const GLOBAL_NAME = '__isoedge_module';

/** The tenant's module, behind a specifier no file or package can have. */
const MODULE_SPECIFIER = 'isoedge:module';

/**
 * The module under a fixed path: the script (esbuild derives names such as `module_default` from it)
 * must depend on the source alone, since artifacts are stored by the source's digest and two
 * functions deploying the same bytes share one.
 */
function moduleSource(task: CompileJsTask): esbuild.Plugin {
  return {
    name: 'isoedge-module',
    setup(build) {
      build.onResolve({ filter: /^isoedge:module$/ }, () => ({ path: 'module.js', namespace: 'isoedge' }));
      build.onLoad({ filter: /.*/, namespace: 'isoedge' }, () => ({ contents: task.source, loader: 'js' }));
    },
  };
}

/**
 * piscina ends this thread without notice (idle for its idleTimeout, or when the host closes),
 * and isolated-vm aborts the process if the handles of finished tasks are not finalised by then
 * (collectReleasedHandles). Two full GCs after every task cost 5-7 ms each (--trace-gc during
 * 3,000 deploys), a third of a deploy's CPU; once the thread has been idle COLLECT_AFTER_IDLE_MS
 * is enough, and a burst of deploys pays once. Before ending the pool the host sends each thread a `collect` task.
 */
const COLLECT_AFTER_IDLE_MS = 100;
let collectTimer: ReturnType<typeof setTimeout> | undefined;
function collectWhenIdle(): void {
  // Called directly (tests, scripts), not on a piscina thread: the caller's process may end at once.
  if (isMainThread) return collectReleasedHandles();
  clearTimeout(collectTimer);
  collectTimer = setTimeout(collectReleasedHandles, COLLECT_AFTER_IDLE_MS);
  collectTimer.unref();
}

/** Finalise this thread's isolated-vm handles now: the host sends one to each thread before it ends the pool. */
export interface CollectTask {
  kind: 'collect';
}

export default async function compileTask(task: CompileJsTask | CompileWasmTask | CollectTask): Promise<CompileJsResult | CompileWasmResult | { ok: true }> {
  if (task.kind === 'collect') {
    clearTimeout(collectTimer);
    collectReleasedHandles();
    return { ok: true };
  }
  try {
    return task.kind === 'wasm' ? await compileWasm(task) : await compile(task);
  } finally {
    collectWhenIdle();
  }
}

async function compile(task: CompileJsTask): Promise<CompileJsResult> {
  const t0 = performance.now();
  let script: string;
  try {
    const out = await esbuild.build({
      // The entry is a CommonJS stub that returns the module's namespace, bundled to CommonJS: with any
      // other output format esbuild rewrites a free `require` into its `__require` shim, a function, so
      // `typeof require === 'function'` would hold in the guest. The wrapper's parameters shadow the
      // Node names (docs/host-abi.md: "Nothing of Node").
      stdin: { contents: `return require(${JSON.stringify(MODULE_SPECIFIER)});`, loader: 'js', sourcefile: 'entry.js' },
      plugins: [moduleSource(task)],
      bundle: true,
      write: false,
      format: 'cjs',
      banner: { js: wrapperStart(`var ${GLOBAL_NAME}`) },
      footer: { js: WRAPPER_END },
      platform: 'neutral',
      target: 'es2023',
      logLevel: 'silent',
      legalComments: 'none',
    });
    script = out.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors ?? [];
    const first = errors[0];
    const where = first?.location ? ` at line ${first.location.line}, column ${first.location.column + 1}` : '';
    const text = first ? first.text.replace(/^Could not resolve/, 'cannot import') : String(e);
    return { ok: false, code: 'EDGE_ERR_MODULE_PARSE', message: `the module does not parse${where}: ${text}${first?.text.startsWith('Could not resolve') ? ' (deploy one self-contained module; bundle dependencies first)' : ''}` };
  }
  const t1 = performance.now();
  // Evaluate it once, as an executor would, so a module without fetch or one that throws at top level is refused now
  // (and whether it has a scheduled handler is known: bind answers it).
  // piscina ends its threads without notice: keep no isolated-vm handle alive between tasks.
  const inst = new Instance({ memoryMb: task.memoryMb, log: () => {}, cachePrelude: false });
  let cache: Uint8Array | null = null;
  let cacheCopy: CodeCache | undefined;
  let scheduled = false;
  try {
    cache = buildCodeCache(inst, script, `${task.name}.js`);
    const spec: RevisionSpec = { id: `${task.name}-validate`, fn: task.name, digest: '', runtime: 'js', script, cache: null, env: task.env, concurrency: 0, limits: { ...BASE_LIMITS, cpuMs: 1000, wallMs: 1000, memoryMb: task.memoryMb } };
    cacheCopy = cache ? codeCacheFrom(cache) : undefined;
    ({ scheduled } = inst.specialise(spec, cacheCopy));
  } catch (e) {
    const code = (e as { code?: ErrorCode }).code ?? 'EDGE_ERR_MODULE_INIT';
    return { ok: false, code, message: (e as Error).message };
  } finally {
    cacheCopy?.release();
    inst.dispose();
  }
  return { ok: true, script, cache, scheduled, ms: { bundle: t1 - t0, validate: performance.now() - t1 } };
}

