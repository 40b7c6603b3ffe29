/** Shutdown and crash behaviour of the host process: SIGTERM drains, kill -9 during a deploy loses nothing committed. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, request, type ServeProcess } from './helpers/process.ts';

const dirs: string[] = [];
let host: ServeProcess | undefined;
afterAll(async () => {
  await host?.stop('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const args = (dir: string) => ['--edge-port', '0', '--admin-port', '0', '--data-dir', dir, '--no-examples', '--pool-warm-min', '1'];
const deploy = (h: ServeProcess, name: string, src: string) =>
  request(h.adminPort, '127.0.0.1', `/v1/functions/${name}/revisions`, { method: 'POST', body: src, headers: { 'content-type': 'application/javascript' } });

describe('process lifecycle', () => {
  it('SIGTERM stops accepting, finishes in-flight requests and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoedge-drain-'));
    dirs.push(dir);
    host = await serve(args(dir));
    expect((await deploy(host, 'slow', 'export default { async fetch() { await new Promise((r) => setTimeout(r, 400)); return new Response("finished"); } };')).status).toBe(201);
    const inflight = request(host.edgePort, 'slow.localhost', '/');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    host.child.kill('SIGTERM');
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('finished');
    // A new request is refused: by the closed listener, or on a kept-alive socket with 503 and a code.
    const late = await request(host.edgePort, 'slow.localhost', '/').catch((e: Error) => e);
    if (late instanceof Error) expect(late.message).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
    else expect([late.status, JSON.parse(late.body.toString()).code]).toEqual([503, 'EDGE_ERR_SHUTTING_DOWN']);
    expect(await host.stop()).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
    host = undefined;
  });

  it('kill -9 at any point of a deploy leaves the old or the new revision, and the host serves after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoedge-kill-'));
    dirs.push(dir);
    // A module big enough that bundling, validation and the code cache take a while.
    const filler = Array.from({ length: 4000 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i % 7}; }`).join('\n');
    for (let round = 0; round < 4; round++) {
      host = await serve(args(dir));
      expect((await request(host.edgePort, 'stable.localhost', '/')).status).toBe(round === 0 ? 404 : 200);
      if (round === 0) expect((await deploy(host, 'stable', 'export default { fetch() { return new Response("v0"); } };')).status).toBe(201);
      const pending = deploy(host, 'stable', `${filler}\nexport default { fetch() { return new Response("v${round + 1} " + f1(1)); } };`).catch(() => null);
      await new Promise((r) => setTimeout(r, [5, 40, 120, 400][round]));
      host.child.kill('SIGKILL');
      await pending;
      await host.stop();
      host = await serve(args(dir));
      const fn = JSON.parse((await request(host.adminPort, '127.0.0.1', '/v1/functions/stable')).body.toString()) as { revisions: { name: string }[] };
      const r = await request(host.edgePort, 'stable.localhost', '/');
      expect(r.status, `round ${round}: ${r.body.toString()}`).toBe(200);
      expect(r.body.toString()).toMatch(/^v\d( 2)?$/);
      expect(fn.revisions.length).toBeGreaterThanOrEqual(1);
      await host.stop();
      host = undefined;
    }
  }, 90_000);
});
