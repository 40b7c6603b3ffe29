/**
 * Runs code inside a real guest isolate (the runtime as deployed functions see it), for the
 * Web API conformance tests: `guestEval(body)` runs `body` as an async function in a fetch
 * handler and returns what it returns, JSON-encoded across the bridge.
 */
import { afterAll } from 'vitest';
import { Instance } from '../../src/runtime/js/index.ts';
import { BASE_LIMITS, type EdgeCache, type InvokeResult, type RevisionSpec } from '../../src/runtime/types.ts';

const live: Instance[] = [];
afterAll(() => { for (const i of live.splice(0)) i.dispose(); });

let n = 0;

/** A fresh instance whose fetch handler runs `body` (an async function body) and answers its result as JSON. */
export function guestInstance(body: string, opts: { cpuMs?: number; cache?: EdgeCache; fn?: string } = {}): Instance {
  const inst = new Instance({ memoryMb: 64, warmup: true, log: () => {}, ...(opts.cache ? { cache: opts.cache } : {}) });
  live.push(inst);
  const spec: RevisionSpec = {
    id: `${opts.fn ?? 'w'}-00001`, fn: opts.fn ?? 'w', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {},
    script: `var __isoedge_module = { default: { async fetch(request, env, ctx) {
      const __result = await (async () => { ${body} })();
      return new Response(JSON.stringify(__result === undefined ? null : __result));
    } } };`,
    limits: { ...BASE_LIMITS, cpuMs: opts.cpuMs ?? 1000, wallMs: 10_000, memoryMb: 64 },
  };
  inst.specialise(spec, undefined);
  return inst;
}

/** Runs `body` in a new guest instance and returns its JSON result; a guest failure throws with its code. */
export async function guestEval(body: string, opts: { cpuMs?: number; cache?: EdgeCache; fn?: string } = {}): Promise<unknown> {
  const inst = guestInstance(body, opts);
  const r: InvokeResult = await inst.invoke({ reqId: `g-${++n}`, method: 'GET', url: 'http://w.localhost/', headers: [], body: null }, n);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return JSON.parse(typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body as Uint8Array));
}
