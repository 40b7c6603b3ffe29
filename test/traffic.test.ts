/** Revisions and the weighted-revision router through the API and the edge (issue 5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHost, type TestHost } from './helpers/host.ts';
import { seededRng } from '../src/core/rng.ts';

let h: TestHost;
beforeAll(async () => { h = await testHost([], undefined, { rng: seededRng(42) }); });
afterAll(async () => { await h.cleanup(); });

const v = (n: number, delayMs = 0) => `export default { async fetch(req, env) {
  if (${delayMs} > 0 && new URL(req.url).pathname === '/slow') await new Promise((r) => setTimeout(r, ${delayMs}));
  return new Response('v${n} ' + (env.COLOR ?? '-'));
} };`;
const deploy = async (src: string, query = '') => {
  const r = await h.admin.inject({ method: 'POST', url: `/v1/functions/shop/revisions${query}`, headers: { 'content-type': 'application/javascript' }, payload: src });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as { revision: string; traffic: unknown[] };
};
const traffic = (body: unknown) => h.admin.inject({ method: 'PUT', url: '/v1/functions/shop/traffic', payload: body as object });
const call = (host = 'shop.localhost', headers: Record<string, string> = {}, url = '/') => h.edge.inject({ url, headers: { host, ...headers } });
const getFn = async () => (await h.admin.inject({ url: '/v1/functions/shop' })).json();

describe('revisions and traffic', () => {
  it('new revisions follow latestRevision', async () => {
    expect((await deploy(v(1))).revision).toBe('shop-00001');
    expect((await deploy(v(2))).revision).toBe('shop-00002');
    const r = await call();
    expect(r.body).toBe('v2 -');
    expect(r.headers['isoedge-revision']).toBe('shop-00002');
  });

  it('splits 90/10 by weight, routes a tag even at 0 %, and answers with the table in force', async () => {
    const r = await traffic([{ revision: 'shop-00001', percent: 90 }, { revision: 'shop-00002', percent: 10, tag: 'canary' }, { revision: 'shop-00001', percent: 0, tag: 'stable' }]);
    expect(r.statusCode).toBe(200);
    expect(r.json().traffic).toEqual([{ revision: 'shop-00001', percent: 90 }, { revision: 'shop-00002', percent: 10, tag: 'canary' }, { revision: 'shop-00001', percent: 0, tag: 'stable' }]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const rev = String((await call()).headers['isoedge-revision']);
      counts[rev] = (counts[rev] ?? 0) + 1;
    }
    // Binomial(1000, 0.1): sd ≈ 9.5; 5 sd either side.
    expect(counts['shop-00002']).toBeGreaterThan(100 - 48);
    expect(counts['shop-00002']).toBeLessThan(100 + 48);
    expect(counts['shop-00001']! + counts['shop-00002']!).toBe(1000);
    for (let i = 0; i < 20; i++) {
      expect((await call('canary-shop.localhost:8080')).headers['isoedge-revision']).toBe('shop-00002');
      expect((await call('shop.localhost', { 'isoedge-tag': 'canary' })).body).toBe('v2 -');
      expect((await call('stable-shop.localhost')).headers['isoedge-revision']).toBe('shop-00001');
    }
    expect((await call('nope-shop.localhost')).json()).toMatchObject({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND' });
    expect((await call('shop.localhost', { 'isoedge-tag': 'nope' })).json()).toMatchObject({ code: 'EDGE_ERR_REVISION_NOT_FOUND' });
  });

  it.each([
    { name: 'an unknown revision', body: [{ revision: 'shop-00009', percent: 100 }], msg: /not a revision/ },
    { name: 'a duplicate tag', body: [{ revision: 'shop-00001', percent: 50, tag: 'x' }, { revision: 'shop-00002', percent: 50, tag: 'x' }], msg: /used twice/ },
    { name: 'a bad percent', body: [{ revision: 'shop-00001', percent: -10 }, { revision: 'shop-00002', percent: 110 }], msg: /integer from 0 to 100/ },
    { name: 'a sum that is not 100', body: [{ revision: 'shop-00001', percent: 50 }], msg: /sum to 50/ },
  ])('refuses $name with 400 and changes nothing', async ({ body, msg }) => {
    const before = (await getFn()).traffic;
    const r = await traffic(body);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringMatching(msg) });
    expect((await getFn()).traffic).toEqual(before);
  });

  it('consolidates duplicate targets', async () => {
    const r = await traffic([{ revision: 'shop-00001', percent: 30 }, { revision: 'shop-00001', percent: 70 }]);
    expect(r.json().traffic).toEqual([{ revision: 'shop-00001', percent: 100 }]);
  });

  it('stages a deploy with no traffic and a tag, then promotes it and rolls back', async () => {
    await traffic([{ latestRevision: true, percent: 100 }]);
    const staged = await deploy(v(3), '?noTraffic=true&tag=preview');
    expect(staged.revision).toBe('shop-00003');
    expect(staged.traffic).toEqual([{ revision: 'shop-00002', percent: 100 }, { revision: 'shop-00003', percent: 0, tag: 'preview' }]);
    expect((await call()).body).toBe('v2 -');
    expect((await call('preview-shop.localhost')).body).toBe('v3 -');
    await traffic([{ revision: 'shop-00003', percent: 100 }]);
    expect((await call()).body).toBe('v3 -');
    await traffic([{ revision: 'shop-00002', percent: 100 }]);
    expect((await call()).body).toBe('v2 -');
  });

  it('a configuration change makes a new revision of the same code', async () => {
    await traffic([{ latestRevision: true, percent: 100 }]);
    const before = (await getFn()).revisions.at(-1);
    const r = await h.admin.inject({ method: 'PATCH', url: '/v1/functions/shop/config', payload: { env: { COLOR: 'blue' } } });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ revision: 'shop-00004', digest: before.digest, config: { env: { COLOR: 'blue' } } });
    expect((await call()).body).toBe('v3 blue');
    const bad = await h.admin.inject({ method: 'PATCH', url: '/v1/functions/shop/config', payload: { concurrency: -1 } });
    expect(bad.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG' });
    expect((await getFn()).revisions).toHaveLength(4);
  });

  it('in-flight requests finish on the revision they started on', async () => {
    await deploy(v(5, 150));
    const slow = call('shop.localhost', {}, '/slow');
    await new Promise((r) => setTimeout(r, 30));
    await traffic([{ revision: 'shop-00001', percent: 100 }]);
    const r = await slow;
    expect(r.headers['isoedge-revision']).toBe('shop-00005');
    expect(r.body).toBe('v5 -');
    expect((await call()).headers['isoedge-revision']).toBe('shop-00001');
  });

  it('refuses to delete a revision with traffic', async () => {
    const r = await h.admin.inject({ method: 'DELETE', url: '/v1/functions/shop/revisions/shop-00001' });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_REVISION_HAS_TRAFFIC' });
  });

  it('tables survive a restart', async () => {
    await traffic([{ revision: 'shop-00001', percent: 50 }, { revision: 'shop-00005', percent: 50, tag: 'new' }]);
    const dir = h.dataDir;
    await h.cleanup(true);
    h = await testHost([], dir, { rng: seededRng(7) });
    expect((await getFn()).traffic).toEqual([{ revision: 'shop-00001', percent: 50 }, { revision: 'shop-00005', percent: 50, tag: 'new' }]);
    expect((await call('new-shop.localhost')).body).toBe('v5 -');
  });
});
