/**
 * The guest runtime's source, built once per thread: guest/NN_*.js in load order (their numbers),
 * inside one function that receives the host's callbacks and the op table, and returns the entry
 * points. One script, so isolate.ts can compile it with a V8 code cache (isolated-vm honours
 * code caches for scripts only). The third-party code it uses (VENDOR) is scripts of their own,
 * loaded on first use.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { buildSync, transformSync, version as esbuildVersion } from 'esbuild';
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

/**
 * The third-party code of the guest runtime, bundled from node_modules with esbuild. None of it is in
 * the prelude: each is a script of its own whose value is a factory function, compiled into an isolate
 * (with a per-thread code cache) the first time that isolate uses it, through the `vendor` op
 * (isolate.ts). An isolate that never makes a stream carries neither its source nor its code: loaded at
 * start they cost ~0.15 MiB of source per isolate, and run at start ~0.7 ms and ~190 KiB (streams) and
 * ~8 ms and ~120 KiB (fflate's tables).
 * - streams: web-streams-polyfill, built from the WHATWG reference implementation of the Streams
 *   standard. Its `Promise` and `queueMicrotask` are the ones 05_streams.js captured at start (the
 *   factory's argument), so a tenant's `Promise.prototype.then = …` before the first stream does not reach it.
 * - flate: fflate's streaming gzip / zlib / raw-deflate compressors and its raw inflater
 *   (CompressionStream, DecompressionStream; 05_streams.js reads the gzip and zlib containers itself).
 * - urlpattern: urlpattern-polyfill's URLPattern class (04_url.js). It runs in the guest, not on the
 *   host: matching runs regular expressions built from the tenant's patterns (their own regexp groups,
 *   and wildcards, which backtrack polynomially), and only the guest's CPU limit can stop a slow one.
 * A factory sees the global scope only, never the runtime's `ns`.
 */
const VENDOR = {
  streams: {
    entry: `export { ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamBYOBRequest,
  ReadableStreamDefaultController, ReadableByteStreamController, WritableStream, WritableStreamDefaultWriter,
  WritableStreamDefaultController, TransformStream, TransformStreamDefaultController, ByteLengthQueuingStrategy,
  CountQueuingStrategy } from 'web-streams-polyfill';`,
    define: { Promise: '__isoedge_intrinsics.Promise', queueMicrotask: '__isoedge_intrinsics.queueMicrotask' },
  },
  flate: { entry: `export { Gzip, Zlib, Deflate, Inflate } from 'fflate';`, define: {} },
  urlpattern: { entry: `export { URLPattern } from 'urlpattern-polyfill/urlpattern';`, define: {} },
} as const satisfies Record<string, { entry: string; define: Record<string, string> }>;

export type VendorName = keyof typeof VENDOR;
export const VENDOR_NAMES = Object.keys(VENDOR) as VendorName[];

/** The guest runtime's own files are minified too (whitespace and syntax, names kept): their comments and JSDoc types are half their bytes, and every isolate holds the source. */
const MINIFY_OPTIONS = { minifyWhitespace: true, minifySyntax: true, legalComments: 'none', target: 'es2022', logLevel: 'silent' } as const;

interface Built {
  prelude: string;
  vendor: Record<VendorName, string>;
}

/**
 * Each vendor module as a script whose value is `(__isoedge_intrinsics) => exports`. The parentheses
 * make V8 compile the factory eagerly, so the code cache isolate.ts keeps holds its code too.
 */
function bundleVendor(name: VendorName): string {
  const { entry, define } = VENDOR[name];
  const code = buildSync({ ...ESBUILD_OPTIONS, mainFields: [...ESBUILD_OPTIONS.mainFields], stdin: { contents: entry, resolveDir: new URL('.', import.meta.url).pathname }, define }).outputFiles[0]!.text;
  return `((__isoedge_intrinsics) => {\n${code}\nreturn __isoedge_exports;\n})`;
}

// The callbacks come in through a global that 00_infra.js deletes first; the table is a literal,
// so it is part of the cached script and costs nothing per isolate.
const PRELUDE_FULL = `(function (__isoedge_bridge, __isoedge_table) {
'use strict';
${GUEST_FILES.map((f) => readFileSync(new URL(f, DIR), 'utf8')).join('\n')}
return ns.api;
})(globalThis.__isoedge_host, ${JSON.stringify(GUEST_TABLE)});
`;

function build(): Built {
  const vendor = Object.fromEntries(VENDOR_NAMES.map((n) => [n, bundleVendor(n)])) as Record<VendorName, string>;
  return { prelude: transformSync(PRELUDE_FULL, MINIFY_OPTIONS).code, vendor };
}

/**
 * The built runtime, from a cache in this checkout (src/runtime/js/.vendor/, git-ignored) keyed by
 * everything that decides its bytes: the guest files, the packages' and esbuild's versions, the entries
 * and the options. Building costs ~0.5 s (esbuild's start), and every thread that loads the runtime
 * (executors, deploy workers) would pay it; with the cache only the first one after a change does.
 */
function built(): Built {
  const key = createHash('sha256')
    .update(JSON.stringify([PRELUDE_FULL, packageVersion('web-streams-polyfill'), packageVersion('fflate'), packageVersion('urlpattern-polyfill'), esbuildVersion, VENDOR, ESBUILD_OPTIONS, MINIFY_OPTIONS]))
    .digest('hex')
    .slice(0, 32);
  const dir = new URL('./.vendor/', import.meta.url);
  const name = `guest-${key}.json`;
  try {
    return JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Built;
  } catch {
    // not built yet
  }
  const out = build();
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = new URL(`${name}.${process.pid}.${threadId}.tmp`, dir);
    writeFileSync(tmp, JSON.stringify(out));
    renameSync(tmp, new URL(name, dir)); // atomic: another thread reads the whole file or none
    // Builds for other sources are stale: a checkout keeps one.
    for (const f of readdirSync(dir)) if (f !== name && !f.endsWith('.tmp')) rmSync(new URL(f, dir), { force: true });
  } catch {
    // a read-only checkout: every thread builds
  }
  return out;
}

const BUILT = built();

/** The prelude: guest/NN_*.js in load order, minified, inside one function that receives the host's callbacks and the op table and returns the entry points. */
export const PRELUDE_SOURCE = BUILT.prelude;

/** A vendor module's script (see VENDOR), or undefined for a name that is not one. */
export function vendorSource(name: string): string | undefined {
  return Object.hasOwn(BUILT.vendor, name) ? BUILT.vendor[name as VendorName] : undefined;
}
