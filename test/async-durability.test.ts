/**
 * Async calls across crashes and shutdowns (issue 17, item 7), with the host as a child process:
 * kill -9 with 10,000 calls queued and 50 running loses none (the running ones run again), and
 * SIGTERM lets running calls finish and leaves the rest queued for the next start.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request, serve, type ServeProcess } from './helpers/process.ts';

const dirs: string[] = [];
let host: ServeProcess | undefined;
afterAll(async () => {
  await host?.stop('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const args = (dir: string, extra: string[] = []) => ['--edge-port', '0', '--admin-port', '0', '--data-dir', dir, '--no-examples', '--pool-warm-min', '1', '--log-level', 'warn', ...extra];
/** Sleeps env.SLEEP_MS, then answers: the same code drains fast once a config change sets it to 0. */
const SLEEPER = 'export default { async fetch(req, env) { await new Promise((r) => setTimeout(r, Number(env.SLEEP_MS))); return new Response("done " + req.headers.get("isoedge-attempt")); } };';

async function deploySleeper(h: ServeProcess, sleepMs: number): Promise<void> {
  const r = await request(h.adminPort, '127.0.0.1', `/v1/functions/sleeper/revisions?env.SLEEP_MS=${sleepMs}`, { method: 'POST', body: SLEEPER, headers: { 'content-type': 'application/javascript' } });
  expect(r.status, r.body.toString()).toBe(201);
}

async function gauge(h: ServeProcess, name: string): Promise<number> {
  const m = (await request(h.adminPort, '127.0.0.1', '/metrics')).body.toString();
  const line = m.split('\n').find((l) => l.startsWith(`${name}{function="sleeper"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Submits `n` async calls, `parallel` at a time; answers their ids. */
async function submit(h: ServeProcess, n: number, parallel: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) {
      next++;
      const r = await request(h.edgePort, 'sleeper.localhost', '/', { method: 'POST', headers: { prefer: 'respond-async' } });
      expect(r.status).toBe(202);
      ids.push(r.headers['isoedge-call-id'] as string);
    }
  }));
  return ids;
}

function statuses(dir: string): { byStatus: Record<string, number>; interrupted: number; total: number } {
  const db = new Database(join(dir, 'invocations.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT status, COUNT(*) AS n FROM calls GROUP BY status').all() as { status: string; n: number }[];
    const interrupted = (db.prepare("SELECT COUNT(*) AS n FROM calls WHERE attempts LIKE '%EDGE_ERR_EXECUTOR_LOST%'").get() as { n: number }).n;
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    return { byStatus, interrupted, total: rows.reduce((a, r) => a + r.n, 0) };
  } finally {
    db.close();
  }
}

describe('async calls survive the host', () => {
  it('kill -9 with 10,000 queued and 50 running loses none; the running ones run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoedge-async-kill-'));
    dirs.push(dir);
    const extra = ['--async-max-inflight', '50', '--async-concurrency', '50'];
    host = await serve(args(dir, extra));
    await deploySleeper(host, 600_000);
    const ids = await submit(host, 10_050, 50);
    expect(new Set(ids).size).toBe(10_050);
    await until('50 running', async () => (await gauge(host!, 'isoedge_async_running')) === 50, 20_000);
    expect(await gauge(host, 'isoedge_async_queued')).toBe(10_000);
    host.child.kill('SIGKILL');
    await host.stop();

    host = await serve(args(dir, extra));
    // The revision is chosen when a call runs: a new one without the sleep drains the backlog.
    await deploySleeper(host, 0);
    await until('the backlog drained', async () => (await gauge(host!, 'isoedge_async_queued')) + (await gauge(host!, 'isoedge_async_running')) === 0, 120_000);
    expect(await host.stop()).toBe(0);
    host = undefined;
    const s = statuses(dir);
    expect(s.total).toBe(10_050);
    expect(s.byStatus).toEqual({ succeeded: 10_050 });
    expect(s.interrupted).toBe(50);
  }, 240_000);

  it('SIGTERM lets running calls finish and leaves the rest queued for the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoedge-async-term-'));
    dirs.push(dir);
    const extra = ['--async-max-inflight', '5'];
    host = await serve(args(dir, extra));
    await deploySleeper(host, 500);
    await submit(host, 20, 5);
    await until('5 running', async () => (await gauge(host!, 'isoedge_async_running')) === 5, 10_000);
    expect(await host.stop('SIGTERM')).toBe(0);
    const after = statuses(dir);
    expect(after.byStatus.succeeded).toBeGreaterThanOrEqual(5);
    expect(after.byStatus.running).toBeUndefined();
    expect(after.byStatus.queued).toBe(20 - after.byStatus.succeeded!);
    expect(after.interrupted).toBe(0);

    host = await serve(args(dir, extra));
    await until('the rest ran', async () => (await gauge(host!, 'isoedge_async_queued')) + (await gauge(host!, 'isoedge_async_running')) === 0, 30_000);
    expect(await host.stop()).toBe(0);
    host = undefined;
    expect(statuses(dir)).toEqual({ byStatus: { succeeded: 20 }, interrupted: 0, total: 20 });
  }, 60_000);
});
