/**
 * The gateway → executor → isolate hop without HTTP: an in-process ExecutorGroup
 * and a hot instance. Round trip as the gateway sees it, at concurrency 1 and in
 * batches of 50 (one postMessage carries the whole batch), with the executor's own
 * exec time for the isolate call; plus the isolate call alone on this thread.
 */
import { ExecutorGroup } from '../../src/executor/index.ts';
import { Instance } from '../../src/runtime/js/index.ts';
import { BASE_LIMITS, type RevisionSpec } from '../../src/runtime/types.ts';
import { summarize, type Summary } from './stats.ts';

const SCRIPT = `var __isoedge_module = { default: { async fetch(request) { return new Response('Hello from isoedge! You asked for ' + new URL(request.url).pathname + '\\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } }); } } };`;
const SPEC: RevisionSpec = { id: 'hop-00001', fn: 'hop', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {}, limits: { ...BASE_LIMITS, cpuMs: 50, wallMs: 5000, memoryMb: 64 }, script: SCRIPT };
const REQ = { reqId: 'r', method: 'GET', url: 'http://hop.localhost:8080/a/b', headers: [['host', 'hop.localhost:8080'], ['user-agent', 'bench'], ['accept', '*/*']] as [string, string][], body: null };

export interface HopResult { isolateCallUs: Summary; roundTripC1Us: Summary; execC1Us: Summary; batch50PerRequestUs: Summary }

export async function measureHop(n: number): Promise<HopResult> {
  // The isolate call alone (what every path pays).
  const inst = new Instance({ memoryMb: 64, warmup: true, log: () => {} });
  inst.specialise(SPEC, undefined);
  for (let i = 0; i < 2000; i++) await inst.invoke(REQ, i);
  const direct: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await inst.invoke(REQ, 10_000 + i);
    direct.push((performance.now() - t0) * 1000);
  }
  inst.dispose();

  const g = new ExecutorGroup(1, { memoryMb: 64, warmMin: 1, warmMax: 2, hotMax: 10, hotBudgetMb: 1024, idleTtlMs: 600_000, wasmMaxBytes: 16 * 2 ** 20, cacheMaxBytes: 0, wasmCacheMb: 64, fetch: { allow: [], timeoutMs: 1000, maxBytes: 1 << 20 } }, { onLog: () => {}, onExecutorExit: () => {} });
  await g.ready();
  for (let i = 0; i < 2000; i++) await g.invoke(SPEC, REQ);
  const rt: number[] = [];
  const exec: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const m = await g.invoke(SPEC, REQ);
    rt.push((performance.now() - t0) * 1000);
    if (m.t === 'res') exec.push(m.execMs * 1000);
  }
  const batch: number[] = [];
  for (let i = 0; i < Math.max(10, n / 50); i++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 50 }, () => g.invoke(SPEC, REQ)));
    batch.push(((performance.now() - t0) * 1000) / 50);
  }
  await g.close();
  return { isolateCallUs: summarize(direct), roundTripC1Us: summarize(rt), execC1Us: summarize(exec), batch50PerRequestUs: summarize(batch) };
}
