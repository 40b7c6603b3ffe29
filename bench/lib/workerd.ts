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
const PREFIX = join(tmpdir(), 'isoedge-bench-workerd');

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

export interface Workerd { port: number; startMs: number; stop(): Promise<void> }

let nextPort = 0;

/** Starts workerd serving `source` (an ES module worker) on loopback; startMs is process start to the first 200. */
export async function startWorkerd(bin: string, source: string, timeoutMs = 10_000): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-workerd-'));
  // workerd cannot report a port it picked, so take one from a range no other bench uses; a clash shows as a timeout.
  nextPort = nextPort ? nextPort + 1 : 21000 + (process.pid % 5000) * 2;
  const port = nextPort;
  writeFileSync(join(dir, 'worker.js'), source);
  writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ], sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ] );
const w :Workerd.Worker = ( modules = [ (name = "worker", esModule = embed "worker.js") ], compatibilityDate = "2024-09-23" );`);
  const t0 = performance.now();
  const child: ChildProcess = spawn(bin, ['serve', join(dir, 'config.capnp')], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); };
  const agent = makeAgent(1);
  try {
    // Poll until it answers: connection refused until workerd listens. Bounded by the timeout.
    while (performance.now() - t0 < timeoutMs && child.exitCode === null) {
      try {
        if ((await timedGet(agent, port, 'x')).status === 200) return { port, startMs: performance.now() - t0, stop };
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
