/** End to end over real sockets: start the host process, deploy, call, restart, call again. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, request, type ServeProcess } from './helpers/process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'isoedge-e2e-'));
const ARGS = ['--edge-port', '0', '--admin-port', '0', '--data-dir', dataDir, '--pool-warm-min', '1'];
let host: ServeProcess | undefined;
afterAll(async () => {
  await host?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('isoedge serve', () => {
  it('serves the examples, deploys over HTTP, and serves the same functions after a restart', async () => {
    host = await serve(ARGS);
    const hello = await request(host.edgePort, 'hello.localhost', '/');
    expect(hello.status).toBe(200);
    expect(hello.body.toString()).toBe('Hello from isoedge! You asked for /\n');
    expect(hello.headers['server-timing']).toMatch(/start;desc="(warm|cold|hot)"/);

    const src = "export default { async fetch(req, env) { return new Response(`${req.method} ${new URL(req.url).pathname}${new URL(req.url).search} ${env.WHO}`); } };";
    const d = await request(host.adminPort, '127.0.0.1', '/v1/functions/myfn/revisions?env.WHO=e2e', { method: 'POST', body: src, headers: { 'content-type': 'application/javascript' } });
    expect(d.status).toBe(201);
    expect(JSON.parse(d.body.toString())).toMatchObject({ revision: 'myfn-00001', url: `http://myfn.localhost:${host.edgePort}/` });
    const first = await request(host.edgePort, `myfn.localhost:${host.edgePort}`, '/a/b?x=1', { method: 'DELETE' });
    expect(first.body.toString()).toBe('DELETE /a/b?x=1 e2e');
    const second = await request(host.edgePort, `myfn.localhost:${host.edgePort}`, '/a/b?x=1');
    expect(second.headers['server-timing']).toMatch(/start;desc="hot"/);

    expect(await host.stop('SIGTERM')).toBe(0);
    host = await serve(ARGS);
    const again = await request(host.edgePort, 'myfn.localhost', '/again');
    expect(again.status).toBe(200);
    expect(again.body.toString()).toBe('GET /again e2e');
    const list = await request(host.adminPort, '127.0.0.1', '/v1/functions/myfn');
    expect(JSON.parse(list.body.toString()).revisions).toHaveLength(1);
    // Examples are not redeployed when unchanged; Wasm and component revisions serve from their stored artifacts.
    const ex = await request(host.adminPort, '127.0.0.1', '/v1/functions/hello');
    expect(JSON.parse(ex.body.toString()).revisions).toHaveLength(1);
    for (const fn of ['wasm-echo', 'as-router', 'component-echo']) {
      const r = await request(host.edgePort, `${fn}.localhost`, '/', { method: 'POST', body: 'after restart' });
      expect(r.status, fn).toBe(200);
      expect(r.body.toString(), fn).toBe(fn === 'as-router' ? 'Hello from AssemblyScript on isoedge! Try /hello/your-name\n' : 'after restart');
    }
    expect(await host.stop('SIGTERM')).toBe(0);
    host = undefined;
  });

  it('a bad option stops the start with a message naming it', async () => {
    await expect(serve(['--edge-port', 'x', '--data-dir', dataDir])).rejects.toThrow(/exited with 2[\s\S]*invalid edge\.port \(flag --edge-port\): "x" is not an integer/);
    await expect(serve(['--data-dir', dataDir], { ISOEDGE_LOG_LEVEL: 'chatty' })).rejects.toThrow(/invalid logLevel \(environment ISOEDGE_LOG_LEVEL\): "chatty"/);
  });
});
