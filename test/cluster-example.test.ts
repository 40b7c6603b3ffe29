/**
 * examples/cluster/run.sh for real: nats-server, three isoedge nodes and nginx on free loopback
 * ports, and the session of its README through nginx (a 90/10 split applied by every node, the loss
 * of node b unseen by clients, an async call). Then SIGTERM to run.sh's process group leaves nothing
 * running or listening. Needs nats-server and nginx; skips with a line saying so without them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, NATS_INSTALL_HINT, natsServerPath } from './helpers/nats.ts';

const DIR = join(import.meta.dirname, '..', 'examples', 'cluster');
const hasNats = natsServerPath() !== undefined;
const hasNginx = spawnSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' }).status === 0;
const have = hasNats && hasNginx;
if (!have) {
  const missing = [hasNats ? '' : 'nats-server', hasNginx ? '' : 'nginx'].filter(Boolean);
  const hint = hasNats ? 'apt-get install -y nginx' : `${NATS_INSTALL_HINT}${hasNginx ? '' : ' nginx'}`;
  console.log(`skipping the cluster example test: ${missing.join(' and ')} not installed (${hint})`);
}

/** Whether something accepts connections on 127.0.0.1:port. */
const listening = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});
/** Whether port can be bound on loopback now. */
const bindable = (port: number) => new Promise<boolean>((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});
const portsOf = (base: number) => [0, 1, 2, 3].flatMap((i) => [base + i, base + 100 + i]);
/** A base under the ephemeral range whose eight ports (base+0..3, base+100..103) are all free. */
async function freeBase(avoid: number): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 120) * 100;
    const ports = portsOf(base);
    if (ports.includes(avoid)) continue;
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) return base;
  }
  throw new Error('no free port base found');
}

const agent = new Agent({ keepAlive: true });
interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }
function http(port: number, path: string, init: { host?: string; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', agent, headers: { ...(init.host ? { host: init.host } : {}), ...init.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.once('error', reject);
    req.end(init.body);
  });
}

let base = 0;
let natsPort = 0;
let run: ChildProcess | undefined;
let out = '';
const exited = () => new Promise<void>((resolve) => {
  if (!run || run.exitCode !== null || run.signalCode !== null) resolve(); else run.once('exit', () => resolve());
});
const edge = (path: string, init: Parameters<typeof http>[2] = {}) => http(base, path, { host: `greet.localhost:${base}`, ...init });
const admin = (path: string, init: Parameters<typeof http>[2] = {}) => http(base + 100, path, init);

beforeAll(async () => {
  if (!have) return;
  natsPort = await freePort();
  base = await freeBase(natsPort);
  run = spawn('bash', [join(DIR, 'run.sh')], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLUSTER_PORT_BASE: String(base), NATS_PORT: String(natsPort) } });
  run.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  run.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 30_000;
  while (!out.includes('cluster up:')) {
    if (run.exitCode !== null) throw new Error(`run.sh exited (${run.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`run.sh not up in 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 35_000);

afterAll(async () => {
  agent.destroy();
  if (run?.pid && run.exitCode === null && run.signalCode === null) {
    try { process.kill(-run.pid, 'SIGKILL'); } catch { /* gone */ }
    await exited();
  }
  if (base) {
    rmSync(join(DIR, 'tmp', String(base)), { recursive: true, force: true });
    rmSync(join(DIR, 'logs', String(base)), { recursive: true, force: true });
    // The folders themselves when no other run uses them.
    for (const d of ['tmp', 'logs']) try { rmdirSync(join(DIR, d)); } catch { /* not empty, or absent */ }
  }
});

describe.skipIf(!have)('examples/cluster: run.sh and its README session', () => {
  it('says where it is up', () => {
    expect(out).toContain(`cluster up: edge http://127.0.0.1:${base}  admin http://127.0.0.1:${base + 100}  (nodes a, b, c; nats 127.0.0.1:${natsPort}; logs in ${join(DIR, 'logs', String(base))})`);
  });

  it('deploys two revisions through nginx and splits 90/10 once every node applied it', async () => {
    const worker = readFileSync(join(DIR, 'worker.js'), 'utf8');
    const js = { 'content-type': 'application/javascript' };
    const r1 = await admin('/v1/functions/greet/revisions?env.GREETING=hello', { method: 'POST', headers: js, body: worker });
    expect(r1.status).toBe(201);
    expect(JSON.parse(r1.body)).toMatchObject({ revision: 'greet-00001', traffic: [{ latestRevision: true, percent: 100 }] });
    expect((await edge('/')).body).toBe('hello from the cluster\n');
    const r2 = await admin('/v1/functions/greet/revisions?env.GREETING=bonjour&noTraffic=true', { method: 'POST', headers: js, body: worker });
    expect(JSON.parse(r2.body)).toMatchObject({ revision: 'greet-00002', traffic: [{ revision: 'greet-00001', percent: 100 }] });

    const split = await admin('/v1/functions/greet/traffic?wait=ready', { method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ revision: 'greet-00001', percent: 90 }, { revision: 'greet-00002', percent: 10 }]) });
    expect(split.status).toBe(200);
    const { ready, effectiveTraffic } = JSON.parse(split.body);
    expect(effectiveTraffic).toEqual([{ revision: 'greet-00001', percent: 90, tags: [] }, { revision: 'greet-00002', percent: 10, tags: [] }]);
    expect(ready).toMatchObject({ ready: true, waiting: [] });
    expect(ready.nodes.map((n: { name: string; applied: number }) => n.name).sort()).toEqual(['a', 'b', 'c']);
    expect(ready.nodes.every((n: { applied: number }) => n.applied >= ready.seq)).toBe(true);

    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const a = await edge('/');
      expect(a.status).toBe(200);
      counts.set(a.body, (counts.get(a.body) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['bonjour from the cluster\n', 'hello from the cluster\n']);
    expect(counts.get('bonjour from the cluster\n')).toBeGreaterThanOrEqual(5);
    expect(counts.get('bonjour from the cluster\n')).toBeLessThanOrEqual(45);
  }, 15_000);

  it('GET /v1/nodes lists the three nodes on NATS', async () => {
    const { nodes } = JSON.parse((await admin('/v1/nodes')).body);
    expect(nodes.map((n: { name: string }) => n.name).sort()).toEqual(['a', 'b', 'c']);
    for (const n of nodes) expect(n).toMatchObject({ store: 'nats', storeConnected: true, edge: `http://127.0.0.1:${base + n.name.charCodeAt(0) - 96}` });
    // What a node reports is its last heartbeat (every second): the deploy shows up within a few.
    await expect.poll(async () => JSON.parse((await admin('/v1/nodes')).body).nodes.map((n: { functions: number }) => n.functions), { timeout: 5000 }).toEqual([1, 1, 1]);
  }, 10_000);

  it('node b stopped: 100 of 100 requests through nginx still answer 200, and run.sh keeps running', async () => {
    // The README's `pkill -f 'node-name b'`, narrowed to this run's node b.
    const found = spawnSync('pgrep', ['-f', '--', `--node-name b --edge-port ${base + 2} `], { encoding: 'utf8' });
    const pids = found.stdout.trim().split('\n').filter(Boolean).map(Number);
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGTERM');
    const statuses = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const { status } = await edge('/');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 100 });
    await expect.poll(() => listening(base + 2), { timeout: 10_000 }).toBe(false);
    await expect.poll(async () => JSON.parse((await admin('/v1/nodes')).body).nodes.map((n: { name: string }) => n.name).sort(), { timeout: 10_000 }).toEqual(['a', 'c']);
    expect(run!.exitCode).toBe(null);
  }, 25_000);

  it('an async call through nginx runs, and its status is on the admin API', async () => {
    const r = await edge('/', { method: 'POST', headers: { prefer: 'respond-async' } });
    expect(r.status).toBe(202);
    const id = r.headers['isoedge-call-id'] as string;
    expect(r.headers.location).toBe(`/v1/invocations/${id}`);
    expect(JSON.parse(r.body)).toMatchObject({ id, function: 'greet', status: 'queued' });
    let view = JSON.parse((await admin(`/v1/invocations/${id}`)).body);
    for (let i = 0; i < 100 && view.status !== 'succeeded'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      view = JSON.parse((await admin(`/v1/invocations/${id}`)).body);
    }
    expect(view).toMatchObject({ status: 'succeeded', attempts: [{ n: 1, status: 200 }], result: { status: 200 } });
    expect(view.result.body).toMatch(/^(hello|bonjour) from the cluster\n$/);
  }, 10_000);

  it('SIGTERM to its process group stops everything: nothing is left running or listening', async () => {
    agent.destroy();
    process.kill(-run!.pid!, 'SIGTERM');
    await exited();
    for (const port of [natsPort, ...portsOf(base)]) expect([port, await listening(port)]).toEqual([port, false]);
    // nats-server's and nginx's command lines, and the nodes' --data-dir, name this run's tmp/ folder.
    const left = spawnSync('pgrep', ['-af', join(DIR, 'tmp', String(base))], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  }, 15_000);
});
