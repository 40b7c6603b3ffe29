/**
 * `isoedge serve --processes 2` on one data directory (SQLite shared by the processes): one port,
 * two nodes behind it, a deploy and a traffic change applied by both, async calls that all finish
 * when a process is killed mid-run (the supervisor starts it again, and it recovers its own calls).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request, serve, until, type ServeProcess } from './helpers/process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'isoedge-procs-'));
let host: ServeProcess | undefined;
afterAll(async () => {
  await host?.stop('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

// JSON.parse answers `any`: these tests read the API's documented shapes.
const json = (r: { body: Buffer }) => JSON.parse(r.body.toString());


describe('isoedge serve --processes 2', () => {
  it('runs two nodes on one port over one data directory', async () => {
    host = await serve(['--processes', '2', '--edge-port', '0', '--admin-port', '0', '--data-dir', dataDir, '--examples', 'false', '--executors-max', '1', '--pool-warm-min', '1', '--node-name', 'box', '--node-heartbeat-ms', '200']);
    const h = host;
    const admin = (path: string, init?: Parameters<typeof request>[3]) => request(h.adminPort, '127.0.0.1', path, init);
    const nodes = await until('both processes listed', async () => json(await admin('/v1/nodes')).nodes as { name: string; store: string }[], (n) => n.length === 2);
    expect(nodes.map((n) => n.name)).toEqual(['box-1', 'box-2']);

    const src = (w: string) => `export default { async fetch(req) { const u = new URL(req.url); const ms = Number(u.searchParams.get("ms") || 0); if (ms) await new Promise((r) => setTimeout(r, ms)); return new Response(${JSON.stringify(w)}); } };`;
    for (const w of ['one', 'two']) {
      const d = await admin('/v1/functions/pf/revisions', { method: 'POST', body: src(w), headers: { 'content-type': 'application/javascript' } });
      expect(d.status).toBe(201);
    }
    const put = await admin('/v1/functions/pf/traffic?wait=ready', {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ revision: 'pf-00001', percent: 100 }]),
    });
    expect(put.status).toBe(200);
    expect(json(put).ready).toMatchObject({ ready: true, waiting: [] });
    expect(json(put).ready.nodes).toHaveLength(2);
    // New connections land on either process (SO_REUSEPORT): every one serves the table both applied.
    for (let i = 0; i < 40; i++) {
      const r = await request(h.edgePort, 'pf.localhost', '/', { headers: { connection: 'close' } });
      expect(r.body.toString()).toBe('one');
    }

    // Async calls from both processes; one process is killed while it runs some (the last 20 are slow, so
    // they still run when the submissions end, however long those took).
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await request(h.edgePort, 'pf.localhost', `/?i=${i}&ms=${i >= 180 ? 3000 : 0}`, { method: 'POST', headers: { prefer: 'respond-async', connection: 'close' } });
      expect(r.status).toBe(202);
      ids.push(r.headers['isoedge-call-id'] as string);
    }
    const running = await until('some calls running', async () => json(await admin('/v1/functions/pf/invocations?status=running&limit=100')).invocations as unknown[], (c) => c.length > 0);
    expect(running.length).toBeGreaterThan(0);
    const pids = (await until('node pids', async () => json(await admin('/v1/nodes')).nodes as { name: string }[], (n) => n.length === 2)).length;
    expect(pids).toBe(2);
    // Kill one child (the supervisor's output names them by pid in `ps`; kill the newest node process).
    const { execSync } = await import('node:child_process');
    const children = execSync(`pgrep -P ${h.child.pid}`).toString().trim().split('\n').map(Number);
    expect(children).toHaveLength(2);
    process.kill(children[1]!, 'SIGKILL');
    await until('every call succeeded', async () => {
      let left = 0;
      for (const id of ids) if (json(await admin(`/v1/invocations/${id}`)).status !== 'succeeded') left++;
      return left;
    }, (left) => left === 0, 60_000);
    // The killed process came back.
    await until('two nodes again', async () => (json(await admin('/v1/nodes')).nodes as unknown[]).length, (n) => n === 2);
  }, 120_000);
});
