/** The isoedge CLI as a user runs it: a child process against a host listening on real sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testHost, type TestHost } from './helpers/host.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const V1 = fileURLToPath(new URL('../examples/canary/v1.js', import.meta.url));
const V2 = fileURLToPath(new URL('../examples/canary/v2.js', import.meta.url));
const HELLO_DIR = fileURLToPath(new URL('../examples/hello', import.meta.url));

let h: TestHost;
let urls: string[] = [];
beforeAll(async () => {
  h = await testHost(['--admin-token', 'tok']);
  const b = await h.listen();
  urls = ['--admin-url', `http://127.0.0.1:${b.adminPort}`, '--edge-url', `http://127.0.0.1:${b.edgePort}`];
});
afterAll(async () => { await h.cleanup(); });

function cli(args: string[], env: Record<string, string> = { ISOEDGE_ADMIN_TOKEN: 'tok' }): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--no-node-snapshot', MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (e, out, err) => {
      resolve({ code: e ? (e as { code?: number }).code ?? 1 : 0, out, err });
    });
  });
}

describe('isoedge CLI', () => {
  it('deploys a file and a folder, lists, gets and invokes', async () => {
    const d = await cli(['deploy', V1, '--name', 'shop', '--env', 'COLOR=blue', ...urls]);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^Deployed shop-00001 \(sha256 [0-9a-f]{12}\)\nURL: +http:\/\/shop\.localhost:\d+\/\nTraffic: @latest=100%\n$/);
    const hello = await cli(['deploy', HELLO_DIR, '--json', ...urls]);
    expect(JSON.parse(hello.out)).toMatchObject({ name: 'hello', revision: 'hello-00001' });
    const ls = await cli(['ls', '--json', ...urls]);
    expect((JSON.parse(ls.out) as { name: string }[]).map((f) => f.name)).toEqual(['hello', 'shop']);
    const table = await cli([...urls, 'ls']);
    expect(table.out.split('\n')[0]).toMatch(/^NAME +LATEST +TRAFFIC +URL$/);
    expect((await cli(['invoke', 'shop', ...urls])).out).toBe('shop v1 (blue)\n');
    const get = await cli(['get', 'shop', ...urls]);
    expect(get.out).toMatch(/REVISION +TRAFFIC +TAGS +DESIRED +READY/);
    expect(get.out).toMatch(/shop-00001 +100%/);
  });

  it('stages, splits, rolls back and removes', async () => {
    expect((await cli(['deploy', V2, '--name', 'shop', '--env', 'COLOR=green', '--no-traffic', '--tag', 'preview', ...urls])).out).toMatch(/Traffic: shop-00001=100% shop-00002=0%\(preview\)/);
    expect((await cli(['invoke', 'shop', '-H', 'isoedge-tag: preview', ...urls])).out).toBe('shop v2 (green) with the new checkout\n');
    expect((await cli(['traffic', 'shop', 'shop-00001=50', 'shop-00002=50', ...urls])).out).toBe('Traffic of shop: shop-00001=50% shop-00002=50%\n');
    expect((await cli(['rollback', 'shop', ...urls])).out).toBe('Rolled shop back: shop-00001=100%\n');
    expect((await cli(['rm', 'shop', 'shop-00002', ...urls])).out).toBe('Deleted revision shop-00002\n');
  });

  it('shows logs, recent and followed', async () => {
    await cli(['invoke', 'shop', '--path', '/seen', ...urls]);
    const logs = await cli(['logs', 'shop', ...urls]);
    expect(logs.out).toMatch(/shop-00001 [0-9a-f-]{8} \[req\] GET \/seen 200 [\d.]+ ms \((hot|warm|cold)\)/);
    const follower = spawn(process.execPath, ['--no-node-snapshot', MAIN, 'logs', 'shop', '--follow', '--tail', '0', ...urls], { env: { PATH: process.env.PATH ?? '', ISOEDGE_ADMIN_TOKEN: 'tok' } });
    let seen = '';
    const got = new Promise<void>((resolve) => follower.stdout.on('data', (d: Buffer) => { seen += d.toString(); if (seen.includes('/followed')) resolve(); }));
    await new Promise((r) => setTimeout(r, 800));
    await cli(['invoke', 'shop', '--path', '/followed', ...urls]);
    await got;
    follower.kill();
    expect(seen).toMatch(/\[req\] GET \/followed 200/);
  });

  it('queues async calls and lists, shows, cancels and replays them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoedge-cli-'));
    const file = join(dir, 'jobs.js');
    // A 404 is not retried: /missing fails on its first attempt.
    writeFileSync(file, "export default { async fetch(req) { const u = new URL(req.url); return u.pathname === '/missing' ? new Response('no such job', { status: 404 }) : new Response(`${req.method} ${u.pathname} ${await req.text()}`); } };\n");
    try {
      expect((await cli(['deploy', file, ...urls])).code).toBe(0);
      const sent = await cli(['invoke', 'jobs', '/run', '--async', '--data', 'hi', '--idempotency-key', 'job-1', ...urls]);
      expect(sent.code).toBe(0);
      const id = sent.out.trim();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      let got = '';
      for (let i = 0; i < 20 && !/^Status: +succeeded$/m.test(got); i++) got = (await cli(['calls', 'get', id, ...urls])).out;
      expect(got).toMatch(/^Status: +succeeded$/m);
      expect(got).toMatch(/^Request: +POST http:\/\/jobs\.localhost:\d+\/run \(2 bytes\)$/m);
      expect(got).toMatch(/^1 +\S+ +\d+ ms +200$/m);
      expect(got).toMatch(/\nResult: HTTP 200\n[^]*\n\nPOST \/run hi\n$/);
      const [ls, again, cancel, failed, usage] = await Promise.all([
        cli(['calls', 'ls', 'jobs', '--status', 'succeeded', ...urls]),
        cli(['invoke', 'jobs', '/run', '--async', '--data', 'hi', '--idempotency-key', 'job-1', '--json', ...urls]),
        cli(['calls', 'cancel', id, ...urls]),
        cli(['invoke', 'jobs', '/missing', '--async', '--wait', ...urls]),
        cli(['calls', 'ls', 'jobs', '--wait', ...urls]),
      ]);
      expect(usage.code).toBe(2);
      expect(usage.err).toMatch(/^isoedge calls ls: unknown option --wait\nUsage: isoedge calls ls <name>/);
      expect(ls.out).toMatch(new RegExp(`^ID +STATUS +ATTEMPTS +CREATED +LAST\n${id} +succeeded +1 +\\S+ +200\n$`));
      expect(JSON.parse(again.out)).toMatchObject({ id, function: 'jobs', duplicate: true });
      expect(cancel.code).toBe(3);
      expect(cancel.err).toMatch(/^isoedge calls cancel: EDGE_ERR_INVOCATION_STATE \(HTTP 409\)/);
      expect(failed.code).toBe(3);
      expect(failed.out).toBe('no such job\n');
      const failedId = /call ([0-9a-f-]{36}) failed after 1 attempt: EDGE_ERR_FUNCTION_STATUS/.exec(failed.err)?.[1];
      expect(failedId, failed.err).toBeDefined();
      const replay = await cli(['calls', 'replay', failedId!, ...urls]);
      expect(replay.code).toBe(0);
      expect(replay.out).toMatch(/^[0-9a-f-]{36}\n$/);
      expect(replay.out.trim()).not.toBe(failedId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit codes tell usage (2), API (3) and network (4) errors apart', async () => {
    const usage = await cli(['deploy', ...urls]);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/missing the module file/);
    const api = await cli(['traffic', 'shop', 'shop-00009=100', ...urls]);
    expect(api.code).toBe(3);
    expect(api.err).toMatch(/EDGE_ERR_INVALID_CONFIG \(HTTP 400\)/);
    const auth = await cli(['ls', ...urls], {});
    expect(auth.code).toBe(3);
    expect(auth.err).toMatch(/EDGE_ERR_UNAUTHORIZED/);
    const net = await cli(['ls', '--admin-url', 'http://127.0.0.1:9']);
    expect(net.code).toBe(4);
    expect(net.err).toMatch(/cannot reach the admin API/);
  });

  it('has --help on every command', async () => {
    for (const c of ['deploy', 'ls', 'get', 'traffic', 'rollback', 'rm', 'logs', 'invoke', 'calls', 'calls ls', 'bench']) {
      const r = await cli([...c.split(' '), '--help']);
      expect(r.code, c).toBe(0);
      expect(r.out, c).toMatch(new RegExp(`^Usage: isoedge ${c}`));
    }
    expect((await cli(['--help'])).out).toMatch(/Commands:\n {2}serve/);
    expect((await cli(['serve', '--help'])).out).toMatch(/^Usage: isoedge serve/);
  });
});
