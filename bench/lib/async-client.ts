/**
 * Clients for the async bench (bench/async.bench.ts): async submissions (`POST` with
 * `Prefer: respond-async`) from wrk with a Lua script, for a time or until N responses (the script
 * prints a line and stops; the bench then ends wrk), or from the Node client when wrk is missing;
 * the host's async gauges and counters from the admin `/metrics`; the host's CPU by thread from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAgent } from './client.ts';
import { wrkBinary } from './wrk.ts';

export const PREFER_ASYNC = 'respond-async';

export interface Run {
  /** Responses wrk (or the Node client) counted as answered, less the 4xx/5xx ones. */
  ok: number;
  errors: number;
  rps: number;
  /** How long the load ran (ms): wrk's own clock, or the Node client's. */
  ms: number;
  client: 'wrk' | 'node';
  /** The client's own latency distribution (wrk --latency; the Node client keeps every sample). */
  latencyMs?: { p50: number; p90: number; p99: number };
}

/** One async submission on a kept-alive connection: its status, call id and client-side latency. */
export function submit(agent: http.Agent, port: number, host: string, path = '/'): Promise<{ status: number; id: string | undefined; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { host, prefer: PREFER_ASYNC, 'content-length': '0' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, id: res.headers['isoedge-call-id'] as string | undefined, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

const REACHED = 'isoedge-bench: reached';

/** wrk's Lua: POST with Prefer: respond-async; with `stopAfter`, it prints a line at the Nth response and stops. */
function luaScript(async: boolean, stopAfter?: number): string {
  const lines = async ? ['wrk.method = "POST"', `wrk.headers["Prefer"] = "${PREFER_ASYNC}"`] : [];
  // A response() callback costs wrk some Lua per response: only the fixed-count runs define one.
  if (stopAfter !== undefined) {
    lines.push('local n = 0', 'function response(status, headers, body)', '  n = n + 1',
      `  if n == ${stopAfter} then io.write("${REACHED}\\n"); io.flush(); wrk.thread:stop() end`, 'end');
  }
  return lines.join('\n') + '\n';
}

const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function parseWrk(out: string): Omit<Run, 'client'> {
  const head = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  const requests = Number(head?.[1] ?? NaN);
  // wrk's own clock, from its start to its last response (or to the SIGINT of a stopped run).
  const ms = head ? Number(head[2]) * UNIT[head[3]!]! : NaN;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!Number.isFinite(requests) || !Number.isFinite(ms)) throw new Error(`wrk printed no result: ${out.slice(0, 300)}`);
  const pct = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? Math.round(Number(m[1]) * UNIT[m[2]!]! * 1000) / 1000 : NaN;
  };
  const ok = requests - non2xx;
  return { ok, errors: non2xx + (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0), rps: Math.round(ok / (ms / 1000)), ms: Math.round(ms),
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99) } };
}

/**
 * wrk at `concurrency` against 127.0.0.1:port with `Host: host`, for `durationMs` or (with `stopAfter`)
 * until that many responses (then it is sent SIGINT, on which it prints its summary over the time it ran).
 */
function runWrk(bin: string, port: number, host: string, o: { async: boolean; concurrency: number; durationMs: number; stopAfter?: number }): Promise<Omit<Run, 'client'>> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-bench-wrk-'));
  const script = join(dir, 'async.lua');
  writeFileSync(script, luaScript(o.async, o.stopAfter));
  return new Promise((resolve, reject) => {
    let reached = false;
    // `Host` capitalised: wrk adds its own Host header unless one is given in exactly this case.
    const child = spawn(bin, ['-t1', `-c${o.concurrency}`, `-d${Math.max(1, Math.round(o.durationMs / 1000))}s`, '--latency', '-s', script, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!reached && out.includes(REACHED)) {
        reached = true;
        child.kill('SIGINT'); // wrk prints its summary on SIGINT
      }
    });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.durationMs + 20_000);
    const done = () => { clearTimeout(timer); rmSync(dir, { recursive: true, force: true }); };
    child.once('error', (e) => { done(); reject(e); });
    child.once('exit', () => {
      done();
      try {
        resolve(parseWrk(out));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** The Node client's stand-in for wrk: `concurrency` loops of GET or async POST, for a time or a count. */
async function runNode(port: number, host: string, o: { async: boolean; concurrency: number; durationMs: number; stopAfter?: number }): Promise<Omit<Run, 'client'>> {
  const agent = makeAgent(o.concurrency);
  const end = performance.now() + o.durationMs;
  const ms: number[] = [];
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (performance.now() < end && (o.stopAfter === undefined || started < o.stopAfter)) {
      started++;
      try {
        const r = o.async ? await submit(agent, port, host) : await get(agent, port, host);
        if (r.status < 400) ms.push(r.ms);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const wall = performance.now() - t0;
  agent.destroy();
  const s = ms.sort((a, b) => a - b);
  const at = (p: number) => Math.round((s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN) * 1000) / 1000;
  return { ok: s.length, errors, rps: Math.round(s.length / (wall / 1000)), ms: Math.round(wall), latencyMs: { p50: at(50), p90: at(90), p99: at(99) } };
}

function get(agent: http.Agent, port: number, host: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** Load from wrk when present (the low-CPU client), else the Node client; `async` sends Prefer: respond-async. */
export async function loadRun(port: number, host: string, o: { async: boolean; concurrency: number; durationMs: number; stopAfter?: number }, log?: (m: string) => void): Promise<Run> {
  const bin = wrkBinary(log);
  if (bin) return { ...(await runWrk(bin, port, host, o)), client: 'wrk' };
  return { ...(await runNode(port, host, o)), client: 'node' };
}

/** The host's async gauges and finished-call counters (summed over functions), from the admin /metrics. */
export interface AsyncGauges { queued: number; running: number; finished: number; succeeded: number }

export async function asyncGauges(adminPort: number): Promise<AsyncGauges> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const out: AsyncGauges = { queued: 0, running: 0, finished: 0, succeeded: 0 };
  // A function with nothing queued or running has no gauge line at all: absent reads as 0.
  for (const m of (await res.text()).matchAll(/^(isoedge_async_queued|isoedge_async_running|isoedge_async_calls_total)\{([^}]*)\}\s+(\S+)$/gm)) {
    const v = Number(m[3]);
    if (m[1] === 'isoedge_async_queued') out.queued += v;
    else if (m[1] === 'isoedge_async_running') out.running += v;
    else {
      out.finished += v;
      if (/status="succeeded"/.test(m[2]!)) out.succeeded += v;
    }
  }
  return out;
}

/**
 * Polls the gauges every `everyMs` until nothing is queued or running (or the timeout); returns when
 * that was seen (performance.now()), so the drain time is known to within one poll.
 */
export async function waitDrained(adminPort: number, timeoutMs: number, everyMs = 50): Promise<{ at: number; drained: boolean; polls: number; last: AsyncGauges }> {
  const end = performance.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    const g = await asyncGauges(adminPort);
    polls++;
    if (g.queued + g.running === 0) return { at: performance.now(), drained: true, polls, last: g };
    if (performance.now() > end) return { at: performance.now(), drained: false, polls, last: g };
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** CPU clock ticks (user + system) of each thread of `pid`, with its name; undefined without /proc. */
export type Ticks = Map<string, { name: string; ticks: number; sys: number }>;

export function threadTicks(pid: number | undefined): Ticks | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/task`)) return undefined;
  const out: Ticks = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      // comm may hold spaces and parentheses: the fields after it start at the last ')'.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]), sys: Number(f[12]) });
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return out;
}

let hz: number | undefined;
const ticksPerSecond = (): number => (hz ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/**
 * Host CPU between two readings in ms, by thread kind: the gateway (main thread), the executors, the
 * rest; `mainSys` is the gateway's kernel time within `main` (socket I/O, and the store's WAL writes and fsyncs).
 */
export interface CpuMs { total: number; main: number; mainSys: number; executors: number; other: number }

export function cpuBetween(before: Ticks | undefined, after: Ticks | undefined, pid: number | undefined): CpuMs | undefined {
  if (!before || !after || pid === undefined) return undefined;
  const ms = { total: 0, main: 0, mainSys: 0, executors: 0, other: 0 };
  for (const [tid, a] of after) {
    const d = ((a.ticks - (before.get(tid)?.ticks ?? 0)) * 1000) / ticksPerSecond();
    ms.total += d;
    if (Number(tid) === pid) {
      ms.main += d;
      ms.mainSys += ((a.sys - (before.get(tid)?.sys ?? 0)) * 1000) / ticksPerSecond();
    } else if (a.name.startsWith('isoedge-execut')) ms.executors += d;
    else ms.other += d;
  }
  return ms;
}

/**
 * What bounds a phase: the host's CPU by thread; where the gateway thread spent the wall time (on a
 * CPU, runnable but waiting for one, or off CPU: idle in epoll or blocked, as in an fsync), from
 * /proc/<pid>/task/<pid>/schedstat; what the whole machine did (its 2 cores are shared with other
 * work), from /proc/stat; and the host's storage writes, from /proc/<pid>/io.
 */
export interface Snapshot { at: number; ticks: Ticks | undefined; sched: [number, number] | undefined; machine: number[] | undefined; io: { syscw: number; writeBytes: number } | undefined }

export interface Window {
  wallMs: number;
  hostCpuMs: CpuMs | undefined;
  /** Shares of the wall time, %. */
  gateway?: { onCpu: number; runqueueWait: number; offCpu: number };
  /** Cores' worth of the machine over the window: busy (everything, this host and the client included), iowait, steal. */
  machineCores?: { busy: number; iowait: number; steal: number };
  io?: { writeSyscalls: number; writeMiB: number };
}

const readOr = <T>(f: () => T): T | undefined => { try { return f(); } catch { return undefined; } };

export function snapshot(pid: number | undefined): Snapshot {
  return {
    at: performance.now(),
    ticks: threadTicks(pid),
    sched: pid === undefined ? undefined : readOr(() => readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').slice(0, 2).map(Number) as [number, number]),
    // cpu  user nice system idle iowait irq softirq steal …
    machine: readOr(() => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)),
    io: pid === undefined ? undefined : readOr(() => {
      const t = readFileSync(`/proc/${pid}/io`, 'utf8');
      return { syscw: Number(/syscw: (\d+)/.exec(t)?.[1]), writeBytes: Number(/^write_bytes: (\d+)/m.exec(t)?.[1]) };
    }),
  };
}

export function window(a: Snapshot, b: Snapshot, pid: number | undefined): Window {
  const wallMs = b.at - a.at;
  const pct = (x: number) => Math.round(x * 1000) / 10;
  const out: Window = { wallMs: Math.round(wallMs), hostCpuMs: cpuBetween(a.ticks, b.ticks, pid) };
  if (out.hostCpuMs) for (const k of Object.keys(out.hostCpuMs) as (keyof CpuMs)[]) out.hostCpuMs[k] = Math.round(out.hostCpuMs[k]);
  if (a.sched && b.sched && wallMs > 0) {
    const on = (b.sched[0] - a.sched[0]) / 1e6 / wallMs, wait = (b.sched[1] - a.sched[1]) / 1e6 / wallMs;
    out.gateway = { onCpu: pct(on), runqueueWait: pct(wait), offCpu: pct(Math.max(0, 1 - on - wait)) };
  }
  if (a.machine && b.machine && wallMs > 0) {
    const d = b.machine.map((x, i) => x - (a.machine![i] ?? 0));
    const cores = (t: number) => Math.round((t / ticksPerSecond() / (wallMs / 1000)) * 100) / 100;
    const [user = 0, nice = 0, system = 0, , iowait = 0, irq = 0, softirq = 0, steal = 0] = d;
    out.machineCores = { busy: cores(user + nice + system + irq + softirq), iowait: cores(iowait), steal: cores(steal) };
  }
  if (a.io && b.io) out.io = { writeSyscalls: b.io.syscw - a.io.syscw, writeMiB: Math.round(((b.io.writeBytes - a.io.writeBytes) / 2 ** 20) * 100) / 100 };
  return out;
}

/** `cpu` divided over `n` (µs each, one decimal). */
export function perCallUs(cpu: CpuMs | undefined, n: number): CpuMs | undefined {
  if (!cpu || n <= 0) return undefined;
  const r = (x: number) => Math.round((x * 1000 * 10) / n) / 10;
  return { total: r(cpu.total), main: r(cpu.main), mainSys: r(cpu.mainSys), executors: r(cpu.executors), other: r(cpu.other) };
}
