/**
 * workerd (Cloudflare's Workers runtime) as a baseline. It is not a dependency of the project
 * (its per-platform optional packages break `npm ci` elsewhere): the suite installs it once into
 * /tmp/isoedge-bench-workerd. Anything that goes wrong here makes the workerd rows "skipped"
 * with the reason, never a failed run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAgent, timedGet } from './client.ts';

export const WORKERD_VERSION = '1.20261117.1';
const PREFIX = process.env.ISOEDGE_WORKERD_PREFIX ?? join(tmpdir(), 'isoedge-bench-workerd');

/** The workerd binary, installing the package on first use; a string is the reason it is unavailable. */
export function workerdBinary(log: (m: string) => void): { bin: string } | string {
  const pkg = join(PREFIX, 'node_modules', 'workerd', 'package.json');
  if (!existsSync(pkg)) {
    log(`installing workerd@${WORKERD_VERSION} into ${PREFIX} (once)`);
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', PREFIX, `workerd@${WORKERD_VERSION}`], { stdio: 'ignore', timeout: 180_000 });
    if (r.status !== 0) return `npm could not install workerd@${WORKERD_VERSION} (exit ${r.status ?? r.signal})`;
  }
  try {
    const bin = join(createRequire(pkg).resolve('workerd/package.json'), '..', 'bin', 'workerd');
    return existsSync(bin) ? { bin } : 'the workerd package has no binary for this platform';
  } catch {
    return 'workerd is not installed';
  }
}

export interface Workerd { port: number; startMs: number; pid: number | undefined; stop(): Promise<void> }

let nextPort = 0;

/**
 * The plain Workers surface (design §9): without these, workerd from compatibility date 2026-08-04
 * on turns nodejs_compat on by default and `process`/`Buffer` appear.
 */
export const WORKERD_FLAGS = ['no_nodejs_compat', 'no_nodejs_compat_v2'] as const;
const capnpFlags = `[${WORKERD_FLAGS.map((f) => JSON.stringify(f)).join(', ')}]`;
/** A compatibility date this workerd release knows; the differential suite runs with it. */
export const WORKERD_COMPAT_DATE = '2026-11-01';

export interface WorkerdServices { ports: Record<string, number>; startMs: number; stop(): Promise<void> }

/**
 * One workerd process serving several ES module workers, each on its own loopback port (for the
 * differential suite: one start for every bundle). Ready when every socket answers an HTTP
 * request with any status. `stderr` collects workerd's own output (uncaught errors are logged there).
 */
export async function startWorkerdServices(bin: string, workers: { name: string; source: string }[], opts: { compatibilityDate?: string; timeoutMs?: number; stderr?: (s: string) => void } = {}): Promise<WorkerdServices> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-workerd-'));
  const ports: Record<string, number> = {};
  const services: string[] = [];
  const sockets: string[] = [];
  const defs: string[] = [];
  workers.forEach((w, i) => {
    nextPort = nextPort ? nextPort + 1 : 21000 + (process.pid % 5000) * 2;
    ports[w.name] = nextPort;
    writeFileSync(join(dir, `w${i}.js`), w.source);
    services.push(`(name = "s${i}", worker = .w${i})`);
    sockets.push(`(name = "h${i}", address = "127.0.0.1:${nextPort}", http = (), service = "s${i}")`);
    defs.push(`const w${i} :Workerd.Worker = ( modules = [ (name = "worker", esModule = embed "w${i}.js") ], compatibilityDate = "${opts.compatibilityDate ?? WORKERD_COMPAT_DATE}", compatibilityFlags = ${capnpFlags} );`);
  });
  writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ ${services.join(', ')} ], sockets = [ ${sockets.join(', ')} ] );
${defs.join('\n')}
`);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const t0 = performance.now();
  const child: ChildProcess = spawn(bin, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => opts.stderr?.(s));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); };
  const agent = makeAgent(1);
  try {
    for (const port of Object.values(ports)) {
      for (;;) {
        if (performance.now() - t0 > timeoutMs || child.exitCode !== null) {
          await stop();
          throw new Error(child.exitCode !== null ? `workerd exited with ${child.exitCode}` : `workerd did not answer within ${timeoutMs} ms`);
        }
        try {
          await timedGet(agent, port, 'x', '/__ready');
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }
  } finally {
    agent.destroy();
  }
  return { ports, startMs: performance.now() - t0, stop };
}

/** Starts workerd serving `source` (an ES module worker) on loopback; startMs is process start to the first 200. */
export async function startWorkerd(bin: string, source: string, timeoutMs = 10_000): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-workerd-'));
  // workerd cannot report a port it picked, so take one from a range no other bench uses; a clash shows as a timeout.
  nextPort = nextPort ? nextPort + 1 : 21000 + (process.pid % 5000) * 2;
  const port = nextPort;
  writeFileSync(join(dir, 'worker.js'), source);
  writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ], sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ] );
const w :Workerd.Worker = ( modules = [ (name = "worker", esModule = embed "worker.js") ], compatibilityDate = "2024-09-23", compatibilityFlags = ${capnpFlags} );`);
  const t0 = performance.now();
  const child: ChildProcess = spawn(bin, ['serve', join(dir, 'config.capnp')], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); };
  const agent = makeAgent(1);
  try {
    // Poll until it answers: connection refused until workerd listens. Bounded by the timeout.
    while (performance.now() - t0 < timeoutMs && child.exitCode === null) {
      try {
        if ((await timedGet(agent, port, 'x')).status === 200) return { port, startMs: performance.now() - t0, pid: child.pid, stop };
      } catch {
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  } finally {
    agent.destroy();
  }
  await stop();
  throw new Error(child.exitCode !== null ? `workerd exited with ${child.exitCode}` : `workerd did not answer within ${timeoutMs} ms`);
}
