/**
 * Three isoedge nodes over a three-server NATS JetStream cluster, every part real: `isoedge serve`
 * processes, nats-server processes, HTTP over loopback. Deploy on one node and serve from the
 * others, a 90/10 split on all three, async calls across nodes, and the failures of design §8: a
 * node killed, a NATS server killed, NATS gone altogether, a node started while NATS is down.
 *
 * `npm test` runs this file alone, after the rest: beside the other files' load on two cores, the
 * 1,000-call test left one or two calls queued for ever in three of five full runs (a bug in the
 * NATS queue under CPU starvation, not found yet: see the closing note of 2026-12-02). Alone it
 * passed every run. The test stays strict and prints the stuck calls' records when it fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, serve, until, type ServeProcess } from './helpers/process.ts';
import { freePort, NATS_INSTALL_HINT, natsServerPath, startNatsCluster, type NatsCluster } from './helpers/nats.ts';

const have = natsServerPath() !== undefined;
if (!have) console.log(`skipping the cluster tests: nats-server is not installed (${NATS_INSTALL_HINT})`);

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-cluster-')); dirs.push(d); return d; };
let nats: NatsCluster;
const nodes: Record<string, ServeProcess> = {};

const args = (name: string) => [
  '--store', nats.urls, '--store-nats-replicas', '3', '--store-nats-ack-wait-ms', '3000', '--node-name', name, '--node-heartbeat-ms', '250',
  '--edge-port', '0', '--admin-port', '0', '--data-dir', tempDir(), '--examples', 'false', '--executors-max', '1', '--pool-warm-min', '1', '--log-level', 'warn',
];

// JSON.parse answers `any`: these tests read the API's documented shapes.
const json = (r: { body: Buffer }) => JSON.parse(r.body.toString());
const admin = (n: ServeProcess, path: string, init?: Parameters<typeof request>[3]) => request(n.adminPort, '127.0.0.1', path, init);
const edge = (n: ServeProcess, fn: string, path = '/', init?: Parameters<typeof request>[3]) => request(n.edgePort, `${fn}.localhost`, path, init);
const deploy = (n: ServeProcess, fn: string, src: string) =>
  admin(n, `/v1/functions/${fn}/revisions`, { method: 'POST', body: src, headers: { 'content-type': 'application/javascript' } });
const say = (word: string) => `export default { fetch() { return new Response(${JSON.stringify(word)}); } };`;


beforeAll(async () => {
  if (!have) return;
  nats = await startNatsCluster(3);
  // One at a time: the first creates the replicated buckets and streams.
  for (const n of ['a', 'b', 'c']) nodes[n] = await serve(args(n));
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(nodes).map((n) => n.stop('SIGKILL')));
  await nats?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!have)('a three-node cluster on a three-server NATS cluster', () => {
  it('serves on B and C what was deployed on A, and holds a 90/10 split on all three', async () => {
    const { a, b, c } = nodes as Record<'a' | 'b' | 'c', ServeProcess>;
    expect((await deploy(a, 'shop', say('one'))).status).toBe(201);
    for (const n of [b, c]) await until('B and C serve the first revision', () => edge(n, 'shop'), (r) => r.status === 200 && r.body.toString() === 'one');
    // The second revision is deployed on B at 0 %, then split 90/10 from C, waiting for every node.
    const d2 = await deploy(b, 'shop', say('two'));
    expect(d2.status).toBe(201);
    const put = await admin(c, '/v1/functions/shop/traffic?wait=ready', {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ revision: 'shop-00001', percent: 90 }, { revision: 'shop-00002', percent: 10 }]),
    });
    expect(put.status).toBe(200);
    const ready = json(put).ready;
    expect(ready).toMatchObject({ ready: true, waiting: [] });
    expect(ready.nodes.map((n: { name: string }) => n.name).sort()).toEqual(['a', 'b', 'c']);
    let two = 0;
    const total = 600;
    for (let i = 0; i < total; i++) {
      const r = await edge([a, b, c][i % 3]!, 'shop');
      expect(r.status).toBe(200);
      if (r.body.toString() === 'two') two++;
    }
    // 10 % of 600 is 60 (σ ≈ 7.3): far outside 30–95 would be a broken split, not chance.
    expect(two).toBeGreaterThan(30);
    expect(two).toBeLessThan(95);
    const listed = json(await admin(a, '/v1/nodes'));
    expect(listed.self).toBe('a');
    expect(listed.nodes.map((n: { name: string }) => n.name)).toEqual(['a', 'b', 'c']);
    for (const n of listed.nodes) expect(n).toMatchObject({ store: 'nats', storeConnected: true, executors: 1 });
  });

  it('1,000 async calls submitted across the nodes all succeed; a node killed mid-call loses none', async () => {
    const { a, b, c } = nodes as Record<'a' | 'b' | 'c', ServeProcess>;
    const src = 'export default { async fetch(req) { const u = new URL(req.url); const ms = Number(u.searchParams.get("ms") || 0); if (ms) await new Promise((r) => setTimeout(r, ms)); return new Response("done " + u.searchParams.get("i")); } };';
    expect((await deploy(a, 'work', src)).status).toBe(201);
    for (const n of [b, c]) await until('the work function on every node', () => edge(n, 'work'), (r) => r.status === 200);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await edge([a, b, c][i % 3]!, 'work', `/?i=${i}`, { method: 'POST', headers: { prefer: 'respond-async' } });
      expect(r.status).toBe(202);
      ids.push(r.headers['isoedge-call-id'] as string);
    }
    // Slow calls on B, then B dies with some of them running: the others take them over after the ack wait.
    const slow: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await edge(b, 'work', `/?ms=1500&i=slow${i}`, { method: 'POST', headers: { prefer: 'respond-async' } });
      expect(r.status).toBe(202);
      slow.push(r.headers['isoedge-call-id'] as string);
    }
    await until('B runs some of the slow calls', async () => {
      const calls = json(await admin(a, '/v1/functions/work/invocations?status=running&limit=100')).invocations as unknown[];
      return calls.length;
    }, (n) => n > 0);
    await nodes.b!.stop('SIGKILL');
    delete nodes.b;
    // Each pass asks only about the calls that had not succeeded at the last one.
    let left = [...ids, ...slow];
    await until('every call succeeded', async () => {
      const still: string[] = [];
      for (const id of left) if (json(await admin(a, `/v1/invocations/${id}`)).status !== 'succeeded') still.push(id);
      left = still;
      return left.length;
    }, (n) => n === 0, 90_000).catch(async (e: Error) => {
      const records = await Promise.all(left.slice(0, 3).map(async (id) => JSON.stringify(json(await admin(a, `/v1/invocations/${id}`)))));
      throw new Error(`${e.message}\n${records.join('\n')}\n${nodes.a!.output().slice(-3000)}`);
    });
    const byAttempts = await Promise.all(slow.map(async (id) => (json(await admin(a, `/v1/invocations/${id}`)).attempts as unknown[]).length));
    // The calls B was running when it died were run again elsewhere (an interrupted attempt, then a success).
    expect(byAttempts.some((n) => n >= 2)).toBe(true);
    const r = json(await admin(c, `/v1/invocations/${ids[999]}`));
    expect(r.status).toBe('succeeded');
    // B is gone from the node list once its heartbeat entry expires (5 heartbeats).
    await until('B drops out of /v1/nodes', async () => json(await admin(a, '/v1/nodes')).nodes.map((n: { name: string }) => n.name) as string[], (names) => !names.includes('b'));
  }, 150_000);

  it('with one NATS server killed, deploys and async calls go on', async () => {
    const { a, c } = nodes as Record<'a' | 'c', ServeProcess>;
    await nats.servers[0]!.kill();
    try {
      // Raft elects new leaders for what n1 led: a write may be refused (503) for a moment, never lost.
      const d = await until('a deploy with n1 down', () => deploy(c, 'after', say('still here')), (r) => r.status === 201, 30_000);
      expect(json(d).revision).toBe('after-00001');
      // A reads the artifact from the Object Store, whose stream may still be electing a leader.
      for (const [name, n] of [['A', a], ['C', c]] as const) await until(`${name} serves it`, () => edge(n, 'after'), (r) => r.body.toString() === 'still here', 45_000);
      const sub = await until('an async call with n1 down', () => edge(a, 'work', '/?i=n1down', { method: 'POST', headers: { prefer: 'respond-async' } }), (r) => r.status === 202);
      const id = sub.headers['isoedge-call-id'] as string;
      await until('it succeeds', async () => json(await admin(c, `/v1/invocations/${id}`)).status, (s) => s === 'succeeded', 45_000);
    } finally {
      await nats.servers[0]!.start();
    }
  }, 150_000);

  it('with NATS gone, nodes serve what they knew and refuse admin writes with 503; they resync when it is back', async () => {
    const { a, c } = nodes as Record<'a' | 'c', ServeProcess>;
    await Promise.all(nats.servers.map((s) => s.kill()));
    try {
      await until('A sees NATS gone', () => deploy(a, 'shop', say('three')), (r) => r.status === 503, 10_000);
      const refused = await deploy(a, 'shop', say('three'));
      expect(refused.status).toBe(503);
      expect(json(refused).code).toBe('EDGE_ERR_STORE_UNAVAILABLE');
      for (const [name, n] of [['a', a], ['c', c]] as const) {
        const r = await edge(n, 'after');
        expect(`${name} ${r.status} ${r.body.toString()}`, n.output().slice(-2000)).toBe(`${name} 200 still here`);
      }
      expect((await admin(c, '/readyz')).status).toBe(200);
    } finally {
      await Promise.all(nats.servers.map((s) => s.start()));
    }
    // Back: a change made on A reaches C.
    await until('a deploy once NATS is back', () => deploy(a, 'after', say('back again')), (r) => r.status === 201, 60_000);
    await until('C serves it', () => edge(c, 'after'), (r) => r.body.toString() === 'back again', 30_000);
  }, 150_000);

  it('a node started while NATS is down waits, says so on /readyz, and serves once NATS is back', async () => {
    await Promise.all(nats.servers.map((s) => s.kill()));
    const adminPort = await freePort();
    const edgePort = await freePort();
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const a = args('d').map((x, i, all) => (all[i - 1] === '--admin-port' ? String(adminPort) : all[i - 1] === '--edge-port' ? String(edgePort) : x));
    const child = spawn(process.execPath, ['--no-node-snapshot', main, 'serve', ...a], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    child.stdout!.on('data', (x: Buffer) => { out += x.toString(); });
    child.stderr!.on('data', (x: Buffer) => { out += x.toString(); });
    try {
      const r = await until('D answers /readyz', () => request(adminPort, '127.0.0.1', '/readyz'), (x) => x.status === 503, 20_000);
      expect(json(r)).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/waiting for NATS/) });
      expect((await request(adminPort, '127.0.0.1', '/healthz')).status).toBe(200);
      await Promise.all(nats.servers.map((s) => s.start()));
      await until('D is ready', () => request(adminPort, '127.0.0.1', '/readyz'), (x) => x.status === 200, 60_000).catch((e: Error) => { throw new Error(`${e.message}\n${out}`); });
      const served = await until('D serves what the cluster has', () => request(edgePort, 'after.localhost', '/'), (x) => x.status === 200, 20_000);
      expect(served.body.toString()).toBe('back again');
      expect(out).toMatch(/waiting for NATS/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 150_000);
});
