/**
 * isoedge hosts for the benches: start `isoedge serve` as a child process on loopback, deploy
 * functions through the admin API (a few in flight), and measure first calls and hot calls over
 * real HTTP. Shared by bench/suite.bench.ts and bench/coldstart.bench.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServeProcess } from '../../test/helpers/process.ts';
import { makeAgent, tierOf, timedGet } from './client.ts';
import { mapBounded } from './bounded.ts';
import { summarize, type Summary } from './stats.ts';

export interface Host { host: ServeProcess; edge: number; stop(): Promise<void> }

export async function startHost(args: string[]): Promise<Host> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-bench-'));
  const host = await serve(['--edge-port', '0', '--admin-port', '0', '--data-dir', dir, '--no-examples', '--log-level', 'warn', ...args]);
  return { host, edge: host.edgePort, stop: async () => { await host.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function admin(h: Host, method: string, path: string, body?: string | Uint8Array, type = 'application/javascript'): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${h.host.adminPort}${path}`, { method, body, headers: body ? { 'content-type': type } : {} });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A module: JS source (a string) or Wasm bytes (core module or component; the host tells them apart). */
export type Code = string | Uint8Array;

/** initialScale=0: no instance at deploy, so the first request measures the start tier under test. */
export function deploy(h: Host, name: string, code: Code): Promise<unknown> {
  return admin(h, 'POST', `/v1/functions/${name}/revisions?initialScale=0`, code, typeof code === 'string' ? 'application/javascript' : 'application/wasm');
}

/**
 * Deploys `names` with at most `inFlight` requests at a time (the host bundles and code-caches on
 * its compile pool, so a few in flight overlap the HTTP and SQLite work with compilation).
 * `code(i)` gives each function its module; `onDone` reports progress. Throws if the deadline
 * cut the batch short: a scenario must not silently measure fewer functions than it says.
 */
export async function deployAll(h: Host, names: string[], code: (i: number) => Code, opts: { inFlight?: number; deadline: number; onDone?: (done: number) => void }): Promise<void> {
  let done = 0;
  const got = await mapBounded(names, opts.inFlight ?? 8, opts.deadline, async (name, i) => {
    await deploy(h, name, code(i));
    opts.onDone?.(++done);
    return true;
  });
  if (got.some((x) => !x)) throw new Error(`deploy: only ${done}/${names.length} functions deployed before the deadline`);
}

export interface HostStatus { rss: number; executors: number; hot: number; starts: { hot: number; warm: number; cold: number } }

export async function status(h: Host): Promise<HostStatus> {
  const s = (await admin(h, 'GET', '/v1/status')) as { memory: { rss: number }; executors: { hot: number; starts: { hot: number; warm: number; cold: number } }[] };
  const starts = { hot: 0, warm: 0, cold: 0 };
  for (const e of s.executors) for (const k of ['hot', 'warm', 'cold'] as const) starts[k] += e.starts[k];
  return { rss: s.memory.rss, executors: s.executors.length, hot: s.executors.reduce((a, e) => a + e.hot, 0), starts };
}

/** Waits (bounded) until every executor's warm pool is back at its target, so a refill is not still running when the request lands. */
export async function waitWarm(h: Host, timeoutMs = 2000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const s = (await admin(h, 'GET', '/v1/status')) as { executors: { warm: number; warmTarget: number }[] };
    if (s.executors.every((e) => e.warm >= Math.max(1, e.warmTarget))) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

export interface FirstCalls { ms: number[]; tiers: Record<string, number>; serverStartMs: Summary }

/** The first request to each function (its start tier is what the host's pool gives it), in order, bounded by the deadline. */
export async function firstCalls(h: Host, names: string[], deadline: number, beforeEach: () => Promise<void> = async () => {}, onDone?: (i: number) => void): Promise<FirstCalls> {
  const agent = makeAgent(1);
  const ms: number[] = [];
  const tiers: Record<string, number> = {};
  const server: number[] = [];
  try {
    for (let i = 0; i < names.length && performance.now() < deadline; i++) {
      await beforeEach();
      const r = await timedGet(agent, h.edge, `${names[i]}.localhost`, '/');
      if (r.status !== 200) throw new Error(`${names[i]}: ${r.status} ${r.body}`);
      const tier = tierOf(r.headers) ?? 'unknown';
      tiers[tier] = (tiers[tier] ?? 0) + 1;
      ms.push(r.ms);
      const st = /start;desc="\w+";dur=([\d.]+)/.exec(String(r.headers['server-timing']))?.[1];
      if (st) server.push(Number(st));
      onDone?.(i + 1);
    }
  } finally {
    agent.destroy();
  }
  return { ms, tiers, serverStartMs: summarize(server) };
}

/** Back-to-back requests at concurrency 1 after `warmup` unmeasured ones (JIT, sockets, the hot instance). */
/** One request every `gapMs` on a kept-alive connection (a few unmeasured first); `tick` reports progress. */
export async function pacedCalls(port: number, hostHeader: string, n: number, gapMs: number, deadline: number, tick: (i: number) => void = () => {}): Promise<{ ms: number[] }> {
  const agent = makeAgent(1);
  try {
    for (let i = 0; i < 5; i++) await timedGet(agent, port, hostHeader);
    const ms: number[] = [];
    for (let i = 0; i < n && performance.now() < deadline; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      const r = await timedGet(agent, port, hostHeader);
      if (r.status !== 200) throw new Error(`${hostHeader}: ${r.status} ${r.body}`);
      ms.push(r.ms);
      tick(i + 1);
    }
    return { ms };
  } finally {
    agent.destroy();
  }
}

export async function hotCalls(port: number, hostHeader: string, n: number, deadline: number, warmup = 200): Promise<{ ms: number[]; rps: number }> {
  const agent = makeAgent(1);
  try {
    for (let i = 0; i < warmup && performance.now() < deadline; i++) await timedGet(agent, port, hostHeader);
    const ms: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n && performance.now() < deadline; i++) {
      const r = await timedGet(agent, port, hostHeader);
      if (r.status !== 200) throw new Error(`${hostHeader}: ${r.status} ${r.body}`);
      ms.push(r.ms);
    }
    return { ms, rps: Math.round(ms.length / ((performance.now() - t0) / 1000)) };
  } finally {
    agent.destroy();
  }
}
