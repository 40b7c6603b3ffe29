/**
 * The guest runtime's source, built once per thread: guest/NN_*.js in load order (their numbers),
 * inside one function that receives the host's callbacks and the op table, and returns the entry
 * points. One script, so isolate.ts can compile it with a V8 code cache (isolated-vm honours
 * code caches for scripts only).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { buildSync, version as esbuildVersion } from 'esbuild';
import { ENTRY_POINTS, guestTable } from './bridge/ops.ts';

const DIR = new URL('./guest/', import.meta.url);

/** The runtime's files in load order; wasi-http.js is not one (the deployer bundles it into wasi:http scripts). */
export const GUEST_FILES = readdirSync(DIR).filter((f) => /^\d\d_[a-z_]+\.js$/.test(f)).sort();

/** What the guest builds `ns.ops` and its entry list from (guest/guest.d.ts, IsoedgeTable). */
export const GUEST_TABLE = { ops: guestTable(), entries: [...ENTRY_POINTS] };

const require = createRequire(import.meta.url);

/** An installed package's version (its package.json, found above its main file: not every package exports it). */
function packageVersion(name: string): string {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name) return pkg.version ?? '';
  }
  return '';
}

const ESBUILD_OPTIONS = {
  bundle: true,
  write: false,
  format: 'iife',
  globalName: '__isoedge_exports',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2022',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'silent',
} as const;

const VENDOR: { name: string; entry: string; define: Record<string, string> }[] = [
  {
    name: '__isoedge_streams',
    entry: `export { ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamBYOBRequest,
  ReadableStreamDefaultController, ReadableByteStreamController, WritableStream, WritableStreamDefaultWriter,
  WritableStreamDefaultController, TransformStream, TransformStreamDefaultController, ByteLengthQueuingStrategy,
  CountQueuingStrategy } from 'web-streams-polyfill';`,
    define: { Promise: '__isoedge_intrinsics.Promise', queueMicrotask: '__isoedge_intrinsics.queueMicrotask' },
  },
  { name: '__isoedge_flate', entry: `export { Gzip, Zlib, Deflate, Inflate } from 'fflate';`, define: {} },
];

/** Each vendor module bundled into a factory function: `const name = (__isoedge_intrinsics) => exports`. */
function bundleVendor(): string {
  return VENDOR.map(({ name, entry, define }) => {
    const code = buildSync({ ...ESBUILD_OPTIONS, mainFields: [...ESBUILD_OPTIONS.mainFields], stdin: { contents: entry, resolveDir: new URL('.', import.meta.url).pathname }, define }).outputFiles[0]!.text;
    return `const ${name} = (__isoedge_intrinsics) => {\n${code}\nreturn __isoedge_exports;\n};`;
  }).join('\n');
}

/**
 * The bundle, from a cache in this checkout (src/runtime/js/.vendor/, git-ignored) keyed by everything
 * that decides its bytes: the packages' and esbuild's versions, the entries and the options. Bundling
 * costs ~0.4 s (esbuild's start), and every thread that loads the runtime (executors, deploy workers)
 * would pay it; with the cache only the first one after a dependency change does.
 */
function vendorSource(): string {
  const key = createHash('sha256')
    .update(JSON.stringify([packageVersion('web-streams-polyfill'), packageVersion('fflate'), esbuildVersion, VENDOR, ESBUILD_OPTIONS]))
    .digest('hex')
    .slice(0, 32);
  const dir = new URL('./.vendor/', import.meta.url);
  const file = new URL(`guest-vendor-${key}.js`, dir);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // not built yet
  }
  const source = bundleVendor();
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = new URL(`guest-vendor-${key}.js.${process.pid}.${threadId}.tmp`, dir);
    writeFileSync(tmp, source);
    renameSync(tmp, file); // atomic: another thread reads the whole file or none
  } catch {
    // a read-only checkout: every thread bundles
  }
  return source;
}

/**
 * The third-party code of the guest runtime, bundled from node_modules with esbuild, each as a factory
 * that 05_streams.js calls on first use (no isolate pays for code it does not use: running them at
 * start would cost ~0.7 ms and ~190 KiB (streams) and ~8 ms and ~120 KiB (fflate's tables) per instance):
 * - web-streams-polyfill, built from the WHATWG reference implementation of the Streams standard.
 *   Its `Promise` and `queueMicrotask` are the ones 05_streams.js captured at start, so a tenant's
 *   `Promise.prototype.then = …` before the first stream does not reach it.
 * - fflate's streaming gzip / zlib / raw-deflate compressors and its raw inflater (CompressionStream,
 *   DecompressionStream; 05_streams.js reads the gzip and zlib containers itself).
 * Both live inside the prelude's function: no global ever holds them.
 */
export const VENDOR_SOURCE = vendorSource();

// The callbacks come in through a global that 00_infra.js deletes first; the table is a literal,
// so it is part of the cached script and costs nothing per isolate.
export const PRELUDE_SOURCE = `(function (__isoedge_bridge, __isoedge_table) {
'use strict';
${VENDOR_SOURCE}
${GUEST_FILES.map((f) => readFileSync(new URL(f, DIR), 'utf8')).join('\n')}
return ns.api;
})(globalThis.__isoedge_host, ${JSON.stringify(GUEST_TABLE)});
`;
