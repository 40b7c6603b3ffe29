/** Runs `isoedge serve` as a child process (real sockets) and reads the bound ports from its log. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServeProcess {
  child: ChildProcess;
  edgePort: number;
  adminPort: number;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export function serve(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--single-threaded-gc', MAIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`host did not start in 20 s:\n${out}`)); }, 20_000);
    // The banner on stderr is printed at every log level: "isoedge is up: edge http://h:P  admin http://h:P".
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /isoedge is up: edge http:\/\/\S+:(\d+)\s+admin http:\/\/\S+:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.stderr!.on('data', (x: Buffer) => { out += x.toString(); });
      resolve({
        child, edgePort: Number(m[1]), adminPort: Number(m[2]), output: () => out,
        async stop(signal = 'SIGTERM') { if (child.exitCode === null) child.kill(signal); return exited; },
      });
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`host exited with ${code} before listening:\n${out}`)); });
  });
}

/** An HTTP request over a real socket to 127.0.0.1 with a chosen Host header. */
export async function request(port: number, host: string, path: string, init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {}) {
  const { request: httpRequest } = await import('node:http');
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: { host, ...init.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** Polls `f` every 50 ms until `ok` holds; after `ms`, throws with what it saw last. */
export async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try { const v = await f(); if (ok(v)) return v; last = v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}
