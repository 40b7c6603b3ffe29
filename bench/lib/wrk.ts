/**
 * Load at a fixed concurrency from wrk (Debian's `wrk`, C, one thread): on two shared cores the Node
 * client costs about as much CPU as the server it measures, which hides the gaps between servers.
 * Without wrk the Node client (client.ts) stands in and the row says so. While the load runs, the
 * server's CPU per request is read from /proc, by thread: the gateway (the main thread), the
 * executors (isoedge-executor-*), and the rest (V8's GC and compiler helpers, libuv's pool).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { load as nodeLoad } from './client.ts';

export interface LoadResult {
  rps: number;
  requests: number;
  errors: number;
  client: 'wrk' | 'node';
  /** Server CPU per request in µs, by thread kind (absent where /proc or the pid is not available). */
  cpuUs?: { total: number; main: number; executors: number; other: number };
}

let found: string | null | undefined;

/** wrk's path: on PATH, or installed from Debian's packages when running as root with apt (as the NATS tests do). */
export function wrkBinary(log: (m: string) => void = () => {}): string | null {
  if (found !== undefined) return found;
  const which = (): string | null => {
    const r = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  };
  found = which();
  if (found === null && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    log('installing wrk (apt-get install -y wrk) for the load scenarios');
    spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore', timeout: 120_000 });
    found = which();
  }
  if (found === null) log('wrk not found (apt-get install -y wrk): the load scenarios use the Node client');
  return found;
}

/** Clock ticks of CPU (user + system) per thread of `pid`, by thread name. */
function threadTicks(pid: number): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      // comm may hold spaces and parentheses: the fields after it start at the last ')'.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return out;
}

let hz: number | undefined;
const ticksPerSecond = (): number => (hz ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

function cpuPerRequest(before: Map<string, { name: string; ticks: number }>, after: Map<string, { name: string; ticks: number }>, requests: number, pid: number): LoadResult['cpuUs'] {
  const us = { total: 0, main: 0, executors: 0, other: 0 };
  if (requests === 0) return undefined;
  for (const [tid, a] of after) {
    const d = (a.ticks - (before.get(tid)?.ticks ?? 0)) * 1e6 / ticksPerSecond() / requests;
    us.total += d;
    if (Number(tid) === pid) us.main += d;
    else if (a.name.startsWith('isoedge-execut')) us.executors += d;
    else us.other += d;
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  return { total: r(us.total), main: r(us.main), executors: r(us.executors), other: r(us.other) };
}

function parseWrk(out: string): { requests: number; rps: number; errors: number } {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0);
  if (!Number.isFinite(requests) || !Number.isFinite(rps)) throw new Error(`wrk printed no result: ${out.slice(0, 300)}`);
  return { requests: requests - non2xx, rps: Math.round(rps * (requests - non2xx) / Math.max(1, requests)), errors };
}

function runWrk(bin: string, port: number, host: string, concurrency: number, durationMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // `Host` capitalised: wrk adds its own Host header unless one is given in exactly this case.
    const child = spawn(bin, ['-t1', `-c${concurrency}`, `-d${Math.max(1, Math.round(durationMs / 1000))}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), durationMs + 20_000);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', () => { clearTimeout(timer); resolve(out); });
  });
}

/** `concurrency` connections for `durationMs` against 127.0.0.1:port with `Host: host`; `pid` is the server's, for its CPU. */
export async function loadAt(port: number, host: string, concurrency: number, durationMs: number, pid: number | undefined, log?: (m: string) => void): Promise<LoadResult> {
  const bin = wrkBinary(log);
  const proc = pid !== undefined && existsSync(`/proc/${pid}/task`);
  const before = proc ? threadTicks(pid) : undefined;
  let got: { requests: number; rps: number; errors: number; client: 'wrk' | 'node' };
  if (bin) got = { ...parseWrk(await runWrk(bin, port, host, concurrency, durationMs)), client: 'wrk' };
  else got = { ...(await nodeLoad(port, host, concurrency, durationMs)), client: 'node' };
  const cpuUs = before && pid !== undefined ? cpuPerRequest(before, threadTicks(pid), got.requests, pid) : undefined;
  return { ...got, ...(cpuUs ? { cpuUs } : {}) };
}
