/** The isoedge CLI as a user runs it: a child process against a host listening on real sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
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
    for (const c of ['deploy', 'ls', 'get', 'traffic', 'rollback', 'rm', 'logs', 'invoke', 'bench']) {
      const r = await cli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.out, c).toMatch(new RegExp(`^Usage: isoedge ${c}`));
    }
    expect((await cli(['--help'])).out).toMatch(/Commands:\n {2}serve/);
    expect((await cli(['serve', '--help'])).out).toMatch(/^Usage: isoedge serve/);
  });
});
