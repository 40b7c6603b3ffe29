/**
 * The same module deployed under many names at once, through the admin API, then called: every
 * function answers as itself. (Artifacts are stored by the source's digest; concurrent deploys of
 * one digest once mixed one deploy's script with another's code cache, and some functions failed
 * to start with "w0_2_default is not defined".)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
beforeAll(async () => { h = await testHost(['--examples', 'false']); });
afterAll(async () => { await h.cleanup(); });

const SOURCE = 'export default { async fetch(req, env) { return new Response(new URL(req.url).hostname.split(".")[0] + " " + env.N); } };';

describe('concurrent deploys of one module', () => {
  it('24 functions deployed 8 at a time from the same bytes all start and answer as themselves', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `same-${i}`);
    for (let i = 0; i < names.length; i += 8) {
      const batch = await Promise.all(names.slice(i, i + 8).map((n) => h.admin.inject({
        method: 'POST', url: `/v1/functions/${n}/revisions?env.N=${n.length}`, headers: { 'content-type': 'application/javascript' }, payload: SOURCE,
      })));
      for (const r of batch) expect(r.statusCode, r.body).toBe(201);
    }
    const digests = new Set<string>();
    for (const n of names) {
      const r = await h.edge.inject({ url: '/', headers: { host: `${n}.localhost` } });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.body).toBe(`${n} ${n.length}`);
      digests.add(JSON.parse((await h.admin.inject({ url: `/v1/functions/${n}` })).body).revisions[0].digest);
    }
    expect(digests.size).toBe(1);
  });
});
