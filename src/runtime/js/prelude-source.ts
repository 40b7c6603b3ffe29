/**
 * The guest runtime's source, built once per thread: guest/NN_*.js in load order (their numbers),
 * inside one function that receives the host's callbacks and the op table, and returns the entry
 * points. One script, so isolate.ts can compile it with a V8 code cache (isolated-vm honours
 * code caches for scripts only).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ENTRY_POINTS, guestTable } from './bridge/ops.ts';

const DIR = new URL('./guest/', import.meta.url);

/** The runtime's files in load order; wasi-http.js is not one (the deployer bundles it into wasi:http scripts). */
export const GUEST_FILES = readdirSync(DIR).filter((f) => /^\d\d_[a-z_]+\.js$/.test(f)).sort();

/** What the guest builds `ns.ops` and its entry list from (guest/guest.d.ts, IsoedgeTable). */
export const GUEST_TABLE = { ops: guestTable(), entries: [...ENTRY_POINTS] };

// The callbacks come in through a global that 00_infra.js deletes first; the table is a literal,
// so it is part of the cached script and costs nothing per isolate.
export const PRELUDE_SOURCE = `(function (__isoedge_bridge, __isoedge_table) {
'use strict';
${GUEST_FILES.map((f) => readFileSync(new URL(f, DIR), 'utf8')).join('\n')}
return ns.api;
})(globalThis.__isoedge_host, ${JSON.stringify(GUEST_TABLE)});
`;
