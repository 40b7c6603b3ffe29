import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildRouteTable, pick, validateTraffic, routedRevisions, trafficAfterDeploy } from '../src/router/index.ts';
import { labelFromHost, resolveLabel } from '../src/api/edge/host-name.ts';
import { seededRng } from '../src/core/rng.ts';

const known = new Set(['f-00001', 'f-00002', 'f-00003']);

describe('validateTraffic', () => {
  it.each([
    { name: 'empty', spec: [], msg: /non-empty array/ },
    { name: 'sum under 100', spec: [{ revision: 'f-00001', percent: 90 }], msg: /sum to 90, not 100/ },
    { name: 'unknown revision', spec: [{ revision: 'f-00009', percent: 100 }], msg: /"f-00009" is not a revision/ },
    { name: 'bad percent', spec: [{ revision: 'f-00001', percent: 100.5 }], msg: /must be an integer from 0 to 100/ },
    { name: 'duplicate tag', spec: [{ revision: 'f-00001', percent: 50, tag: 'a' }, { revision: 'f-00002', percent: 50, tag: 'a' }], msg: /"a" is used twice/ },
    { name: 'both targets', spec: [{ revision: 'f-00001', latestRevision: true, percent: 100 }], msg: /exactly one of/ },
  ])('refuses $name', ({ spec, msg }) => {
    expect(() => validateTraffic(spec, known)).toThrow(msg);
  });

  it('accepts a split with a tag and latest tracking', () => {
    expect(validateTraffic([{ revision: 'f-00001', percent: 90 }, { latestRevision: true, percent: 10, tag: 'canary' }], known)).toEqual([
      { revision: 'f-00001', percent: 90 },
      { latestRevision: true, percent: 10, tag: 'canary' },
    ]);
  });
});

describe('route table and pick', () => {
  it('resolves latestRevision and consolidates duplicate targets', () => {
    const t = buildRouteTable([{ revision: 'f-00002', percent: 30 }, { latestRevision: true, percent: 70 }], 'f-00002');
    expect(t.weighted).toEqual([{ revision: 'f-00002', percent: 100 }]);
  });

  it('sends a tagged request to its revision even at 0 %', () => {
    const t = buildRouteTable([{ revision: 'f-00001', percent: 100 }, { revision: 'f-00002', percent: 0, tag: 'preview' }], 'f-00002');
    expect(pick(t, seededRng(1), 'preview')).toBe('f-00002');
    expect(pick(t, seededRng(1), 'nope')).toBeUndefined();
    expect(routedRevisions(t)).toEqual(new Set(['f-00001', 'f-00002']));
  });

  const arbSpec = fc.array(fc.record({ rev: fc.constantFrom('f-00001', 'f-00002', 'f-00003', 'latest'), w: fc.nat(20) }), { minLength: 1, maxLength: 10 })
    .filter((xs) => xs.some((x) => x.w > 0))
    .map((xs) => {
      // Scale weights to percents summing to exactly 100.
      const total = xs.reduce((a, x) => a + x.w, 0);
      const ps = xs.map((x) => Math.floor((x.w * 100) / total));
      ps[ps.findIndex((_, i) => xs[i]!.w > 0)]! += 100 - ps.reduce((a, b) => a + b, 0);
      return xs.map((x, i) => (x.rev === 'latest' ? { latestRevision: true, percent: ps[i]! } : { revision: x.rev, percent: ps[i]! }));
    });

  it('percents sum to 100 after consolidation, one entry per revision', () => {
    fc.assert(fc.property(arbSpec, (spec) => {
      const t = buildRouteTable(validateTraffic(spec, known), 'f-00003');
      expect(t.weighted.reduce((a, w) => a + w.percent, 0)).toBe(100);
      expect(new Set(t.weighted.map((w) => w.revision)).size).toBe(t.weighted.length);
    }));
  });

  it('over many seeded picks each share stays within tolerance, and only routed revisions are picked', () => {
    fc.assert(fc.property(arbSpec, fc.integer(), (spec, seed) => {
      const t = buildRouteTable(spec, 'f-00003');
      const rng = seededRng(seed);
      const n = 4000;
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const r = pick(t, rng)!;
        counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      for (const w of t.weighted) {
        const p = w.percent / 100;
        const sd = Math.sqrt(n * p * (1 - p));
        expect(Math.abs((counts.get(w.revision) ?? 0) - n * p)).toBeLessThanOrEqual(5 * sd + 1);
      }
      for (const r of counts.keys()) expect(t.weighted.some((w) => w.revision === r)).toBe(true);
    }), { numRuns: 50 });
  });

  it('a tagged request never goes elsewhere, whatever the weights', () => {
    fc.assert(fc.property(arbSpec, fc.constantFrom('f-00001', 'f-00002', 'f-00003'), fc.integer(), (spec, tagged, seed) => {
      const t = buildRouteTable([...spec, { revision: tagged, percent: 0, tag: 'blue' }], 'f-00003');
      const rng = seededRng(seed);
      for (let i = 0; i < 200; i++) expect(pick(t, rng, 'blue')).toBe(tagged);
    }), { numRuns: 50 });
  });

  it('a revision removed from the table is never picked', () => {
    fc.assert(fc.property(arbSpec, fc.constantFrom('f-00001', 'f-00002'), fc.integer(), (spec, removed, seed) => {
      // Move the removed revision's share onto the latest revision.
      const kept = spec.map((t) => (t.revision === removed ? { latestRevision: true, percent: t.percent } : t));
      const t = buildRouteTable(validateTraffic(kept, known), 'f-00003');
      const rng = seededRng(seed);
      for (let i = 0; i < 500; i++) expect(pick(t, rng)).not.toBe(removed);
    }), { numRuns: 50 });
  });
});

describe('trafficAfterDeploy', () => {
  it('keeps the table by default: latestRevision follows the new revision', () => {
    expect(trafficAfterDeploy([{ latestRevision: true, percent: 100 }], 'f-00001', 'f-00002')).toEqual([{ latestRevision: true, percent: 100 }]);
  });
  it('the first revision takes the traffic even when staged', () => {
    expect(trafficAfterDeploy(undefined, undefined, 'f-00001', { noTraffic: true })).toEqual([{ latestRevision: true, percent: 100 }]);
  });
  it('staging pins latestRevision to the previous revision and moves a tag', () => {
    expect(trafficAfterDeploy([{ latestRevision: true, percent: 90 }, { revision: 'f-00001', percent: 10, tag: 'preview' }], 'f-00002', 'f-00003', { noTraffic: true, tag: 'preview' }))
      .toEqual([{ revision: 'f-00002', percent: 90 }, { revision: 'f-00001', percent: 10 }, { revision: 'f-00003', percent: 0, tag: 'preview' }]);
  });
});

describe('host names', () => {
  it.each([
    ['shop.localhost', 'shop'], ['Shop.LocalHost:8080', 'shop'], ['shop.localhost.', 'shop'], ['a.b.localhost', undefined], ['localhost', undefined], ['shop.example.com', undefined],
  ])('%s → %s', (host, label) => expect(labelFromHost(host, 'localhost')).toBe(label));

  it('a full function name wins over a tag route; tag routes need the tag', () => {
    const fns = new Set(['shop', 'canary-shop']);
    const tags = new Map([['shop', new Set(['canary', 'blue'])]]);
    const resolve = (l: string) => resolveLabel(l, (f) => fns.has(f), (f, t) => tags.get(f)?.has(t) ?? false);
    expect(resolve('canary-shop')).toEqual({ fn: 'canary-shop' });
    expect(resolve('blue-shop')).toEqual({ fn: 'shop', tag: 'blue' });
    expect(resolve('green-shop')).toBeUndefined();
    expect(resolve('shop')).toEqual({ fn: 'shop' });
  });
});
