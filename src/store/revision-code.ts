/**
 * What each runtime stores under its digest, and how the code an executor needs is read
 * back: one codec over the generic ArtifactStore instead of a put/get pair per runtime.
 */
import type { ArtifactFiles, ArtifactStore, RuntimeKind } from './types.ts';

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Which world a component serves: edge:host/handler@0.1.0, or wasi:http/proxy (0.2.x); one definition for the deployer and the store. */
export type ComponentAbi = 'edge-host' | 'wasi-http';

/** The executable part of a revision: what executors load. */
export interface RevisionCode {
  /** The transformed script (JS, components); '' for core Wasm. */
  script: string;
  /** V8 code cache for `script`, or null. */
  cache: Uint8Array | null;
  /** A core module's bytes (runtime 'wasm'). */
  wasm?: Uint8Array;
  /** A component's core modules as jco named them, in order (runtime 'component'). */
  cores?: [string, Uint8Array][];
  abi?: ComponentAbi;
}

/**
 * A JS module: its source, the transformed script, its code cache and, when the compile pool said,
 * `handlers.json` (which handlers besides fetch the default export has: `{"scheduled": true|false}`).
 */
export function jsFiles(a: { source: Uint8Array; script: string; cache: Uint8Array | null; scheduled?: boolean }): ArtifactFiles {
  return {
    'source.js': a.source, 'script.js': utf8.encode(a.script), ...(a.cache ? { 'cache.bin': a.cache } : {}),
    ...(a.scheduled !== undefined ? { 'handlers.json': utf8.encode(JSON.stringify({ scheduled: a.scheduled })) } : {}),
  };
}

/** The handlers a stored JS module has besides fetch (jsFiles' handlers.json); undefined for one stored before they were recorded. */
export async function jsHandlers(store: ArtifactStore, digest: string): Promise<{ scheduled: boolean } | undefined> {
  const b = await store.get(digest, 'handlers.json');
  if (!b) return undefined;
  const h = JSON.parse(text.decode(b)) as { scheduled?: unknown };
  return { scheduled: h.scheduled === true };
}

/** A core module is stored as uploaded; executors compile it once per digest. */
export function wasmFiles(bytes: Uint8Array): ArtifactFiles {
  return { 'module.wasm': bytes };
}

/** A transpiled component: the original, the bundled script, its code cache, jco's core modules and, for wasi:http, its world. */
export function componentFiles(source: Uint8Array, a: { abi?: string; script: string; cache: Uint8Array | null; cores: [string, Uint8Array][] }): ArtifactFiles {
  const files: ArtifactFiles = { 'component.wasm': source, 'script.js': utf8.encode(a.script), 'cores.json': utf8.encode(JSON.stringify(a.cores.map(([n]) => n))) };
  for (const [n, bytes] of a.cores) {
    if (!/^[\w.-]+\.wasm$/.test(n)) throw new Error(`unexpected core module name ${n}`);
    files[`cores/${n}`] = bytes;
  }
  if (a.cache) files['cache.bin'] = a.cache;
  // Absent means edge:host/handler, as stored before there were two worlds.
  if (a.abi && a.abi !== 'edge-host') files.abi = utf8.encode(a.abi);
  return files;
}

async function need(store: ArtifactStore, digest: string, name: string): Promise<Uint8Array> {
  const b = await store.get(digest, name);
  if (!b) throw new Error(`artifact ${digest} has no ${name}`);
  return b;
}

export async function componentAbi(store: ArtifactStore, digest: string): Promise<ComponentAbi> {
  const b = await store.get(digest, 'abi');
  return b && text.decode(b) === 'wasi-http' ? 'wasi-http' : 'edge-host';
}

/** Whether the stored artifact of a digest is a component (the same bytes deploy as the same runtime). */
export async function isComponent(store: ArtifactStore, digest: string): Promise<boolean> {
  return (await store.get(digest, 'cores.json')) !== undefined;
}

export async function loadCode(store: ArtifactStore, runtime: RuntimeKind, digest: string): Promise<RevisionCode> {
  if (runtime === 'wasm') return { script: '', cache: null, wasm: await need(store, digest, 'module.wasm') };
  const script = text.decode(await need(store, digest, 'script.js'));
  const cache = (await store.get(digest, 'cache.bin')) ?? null;
  if (runtime === 'js') return { script, cache };
  const names = JSON.parse(text.decode(await need(store, digest, 'cores.json'))) as string[];
  const cores = await Promise.all(names.map(async (n) => [n, await need(store, digest, `cores/${n}`)] as [string, Uint8Array]));
  return { script, cache, cores, abi: await componentAbi(store, digest) };
}
