/**
 * The guest runtime's source, built once per thread: guest/NN_*.js in load order (their numbers),
 * inside one function that receives the host's callbacks and the op table, and returns the entry
 * points. One script, so isolate.ts can compile it with a V8 code cache (isolated-vm honours
 * code caches for scripts only).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { ENTRY_POINTS, guestTable } from './bridge/ops.ts';

const DIR = new URL('./guest/', import.meta.url);

/** The runtime's files in load order; wasi-http.js is not one (the deployer bundles it into wasi:http scripts). */
export const GUEST_FILES = readdirSync(DIR).filter((f) => /^\d\d_[a-z_]+\.js$/.test(f)).sort();

/** What the guest builds `ns.ops` and its entry list from (guest/guest.d.ts, IsoedgeTable). */
export const GUEST_TABLE = { ops: guestTable(), entries: [...ENTRY_POINTS] };

/** Bundles one vendor module into a factory function: `const name = (__isoedge_intrinsics) => exports`. */
function vendor(name: string, contents: string, define: Record<string, string> = {}): string {
  const code = buildSync({
    stdin: { contents, resolveDir: new URL('.', import.meta.url).pathname },
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
    define,
  }).outputFiles[0]!.text;
  return `const ${name} = (__isoedge_intrinsics) => {\n${code}\nreturn __isoedge_exports;\n};`;
}

/**
 * The third-party code of the guest runtime, bundled from node_modules when this module loads
 * (esbuild, ~0.2 s once per thread), each as a factory that 05_streams.js calls on first use
 * (no isolate pays for code it does not use: running them at start would cost ~0.7 ms and
 * ~190 KiB (streams) and ~8 ms (fflate's tables) per instance):
 * - web-streams-polyfill, built from the WHATWG reference implementation of the Streams standard.
 *   Its `Promise` and `queueMicrotask` are the ones 05_streams.js captured at start, so a tenant's
 *   `Promise.prototype.then = …` before the first stream does not reach it.
 * - fflate's streaming gzip / zlib / raw-deflate compressors and its raw inflater (CompressionStream,
 *   DecompressionStream; 05_streams.js reads the gzip and zlib containers itself).
 * Both live inside the prelude's function: no global ever holds them.
 */
export const VENDOR_SOURCE = [
  vendor('__isoedge_streams', `export { ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamBYOBRequest,
  ReadableStreamDefaultController, ReadableByteStreamController, WritableStream, WritableStreamDefaultWriter,
  WritableStreamDefaultController, TransformStream, TransformStreamDefaultController, ByteLengthQueuingStrategy,
  CountQueuingStrategy } from 'web-streams-polyfill';`, { Promise: '__isoedge_intrinsics.Promise', queueMicrotask: '__isoedge_intrinsics.queueMicrotask' }),
  vendor('__isoedge_flate', `export { Gzip, Zlib, Deflate, Inflate } from 'fflate';`),
].join('\n');

// The callbacks come in through a global that 00_infra.js deletes first; the table is a literal,
// so it is part of the cached script and costs nothing per isolate.
export const PRELUDE_SOURCE = `(function (__isoedge_bridge, __isoedge_table) {
'use strict';
${VENDOR_SOURCE}
${GUEST_FILES.map((f) => readFileSync(new URL(f, DIR), 'utf8')).join('\n')}
return ns.api;
})(globalThis.__isoedge_host, ${JSON.stringify(GUEST_TABLE)});
`;
