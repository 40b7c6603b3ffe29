/**
 * `isoedge serve --processes N`: a node per core on one machine. One gateway thread bounds what a
 * process serves, so N processes each run a whole node (gateway, executors, async worker) on the
 * same edge and admin ports, which the kernel balances between them (SO_REUSEPORT), over the same
 * store (SQLite in WAL mode shared by the processes, or NATS). This supervisor starts them, restarts
 * one that dies (after a second, so a crash loop does not spin), and stops them all on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { nodeId } from './nodes.ts';

/** Set in a child's environment: its number, 1…N. */
export const CHILD_ENV = 'ISOEDGE_PROCESS';

/** A port nobody listens on now on `host` (the kernel's pick, released before use). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The flag `--name` (and its value) removed from argv. */
function without(argv: string[], ...names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (names.includes(argv[i]!)) { i++; continue; }
    if (names.some((n) => argv[i]!.startsWith(`${n}=`))) continue;
    out.push(argv[i]!);
  }
  return out;
}

export async function superviseProcesses(config: Config, argv: string[], main: string, log: Logger): Promise<void> {
  const n = config.processes;
  // Port 0 means "any": every process must bind the same one, so it is picked here.
  const edgePort = config.edge.port || await freePort(config.edge.host);
  const adminPort = config.admin.port || await freePort(config.admin.host);
  const base = nodeId(config.node.name);
  const rest = without(argv, '--edge-port', '--admin-port', '--node-name', '--examples');
  const children = new Map<number, ChildProcess>();
  let stopping = false;
  let up = 0;

  const start = (k: number): void => {
    const args = [...process.execArgv, main, 'serve', ...rest, '--edge-port', String(edgePort), '--admin-port', String(adminPort), '--node-name', `${base}-${k}`,
      // One process deploys the examples; the others see them through the store.
      '--examples', String(k === 1 && config.examples)];
    const child = spawn(process.execPath, args, { env: { ...process.env, [CHILD_ENV]: String(k) }, stdio: ['ignore', 'inherit', 'pipe'] });
    children.set(k, child);
    let banner = false;
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      // The children's banners are replaced by one for the whole machine.
      if (!banner && text.includes('isoedge is up:')) {
        banner = true;
        if (++up === n) process.stderr.write(`isoedge is up: edge http://${config.edge.host}:${edgePort}  admin http://${config.admin.host}:${adminPort}  (${n} processes)\n`);
        const rest = text.slice(text.indexOf('\n', text.indexOf('isoedge is up:')) + 1);
        if (k === 1 && rest) process.stderr.write(rest);
        return;
      }
      process.stderr.write(d);
    });
    child.once('exit', (code, signal) => {
      children.delete(k);
      if (banner) up--;
      if (stopping) {
        if (children.size === 0) process.exit(0);
        return;
      }
      log.error({ process: k, code, signal }, 'a node process exited; starting it again in 1 s');
      setTimeout(() => { if (!stopping) start(k); }, 1000);
    });
  };
  for (let k = 1; k <= n; k++) start(k);

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, processes: children.size }, 'stopping the node processes');
    for (const c of children.values()) c.kill(signal);
    if (children.size === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
