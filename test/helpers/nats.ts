/**
 * Real nats-server processes for the cluster tests and the cluster bench: one JetStream server, or a
 * three-server JetStream cluster, on free loopback ports with data in a temporary directory. Debian's
 * nats-server (2.9.x) is what CI installs; where it is missing, `natsServerPath()` is undefined and
 * the suites that need it skip with a line saying how to install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NATS_INSTALL_HINT = 'apt-get install -y nats-server';

let found: string | null | undefined;
/** The nats-server binary on PATH, or undefined. */
export function natsServerPath(): string | undefined {
  if (found === undefined) {
    const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
    found = r.status === 0 ? r.stdout.trim() : null;
  }
  return found ?? undefined;
}

import { freePort } from '../../src/cluster/processes.ts';

export { freePort };

export interface NatsServer {
  name: string;
  port: number;
  url: string;
  /** Starts it again (same ports, same data) after stop() or kill(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  running(): boolean;
  output(): string;
}

export interface NatsCluster {
  servers: NatsServer[];
  /** Every server's URL, comma-separated (what `--store` takes). */
  urls: string;
  close(): Promise<void>;
}

interface Spec { name: string; port: number; clusterPort?: number; routes?: number[]; dir: string }

function configText(s: Spec): string {
  const lines = [
    `server_name: ${s.name}`,
    `listen: 127.0.0.1:${s.port}`,
    `jetstream { store_dir: ${JSON.stringify(join(s.dir, s.name))} }`,
  ];
  if (s.clusterPort !== undefined) {
    lines.push('cluster {', '  name: isoedge-test', `  listen: 127.0.0.1:${s.clusterPort}`,
      `  routes: [${(s.routes ?? []).map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`, '}');
  }
  return `${lines.join('\n')}\n`;
}

function server(spec: Spec): NatsServer {
  const bin = natsServerPath();
  if (!bin) throw new Error(`nats-server is not installed (${NATS_INSTALL_HINT})`);
  const conf = join(spec.dir, `${spec.name}.conf`);
  writeFileSync(conf, configText(spec));
  let child: ChildProcess | undefined;
  let out = '';
  const exited = (c: ChildProcess) => new Promise<void>((res) => { if (c.exitCode !== null || c.signalCode !== null) res(); else c.once('exit', () => res()); });
  const self: NatsServer = {
    name: spec.name, port: spec.port, url: `nats://127.0.0.1:${spec.port}`,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      const c = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      c.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nats-server ${spec.name} did not start in 15 s:\n${out}`)), 15_000);
        const poll = setInterval(() => {
          if (out.includes('Server is ready')) { clearTimeout(timer); clearInterval(poll); resolve(); }
          if (c.exitCode !== null) { clearTimeout(timer); clearInterval(poll); reject(new Error(`nats-server ${spec.name} exited:\n${out}`)); }
        }, 20);
      });
    },
    async stop() { if (child) { const c = child; c.kill('SIGTERM'); await exited(c); } },
    async kill() { if (child) { const c = child; c.kill('SIGKILL'); await exited(c); } },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    output: () => out,
  };
  return self;
}

/** One JetStream server. */
export async function startNats(): Promise<NatsServer & { close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-nats-'));
  const s = server({ name: 'n1', port: await freePort(), dir });
  await s.start();
  return Object.assign(s, { async close() { await s.kill(); rmSync(dir, { recursive: true, force: true }); } });
}

/** Three JetStream servers routed to each other (R3 streams and buckets can live on it). */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'isoedge-natsc-'));
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const cports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const servers = ports.map((port, i) => server({ name: `n${i + 1}`, port, clusterPort: cports[i], routes: cports.filter((_, j) => j !== i), dir }));
  await Promise.all(servers.map((s) => s.start()));
  return {
    servers,
    urls: servers.map((s) => s.url).join(','),
    async close() { await Promise.all(servers.map((s) => s.kill())); rmSync(dir, { recursive: true, force: true }); },
  };
}
