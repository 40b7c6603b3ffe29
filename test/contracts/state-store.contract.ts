/**
 * The contract every StateStore passes (SQLite today, a JetStream KV next): run it with
 * `stateStoreContract(name, open)` from an implementation's test file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { trafficAfterDeploy } from '../../src/router/index.ts';
import type { NewRevision, StateChange, StateStore } from '../../src/store/index.ts';

const DIGEST = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

export function newRevision(fn: string, over: Partial<NewRevision> = {}): NewRevision {
  return {
    function: fn, digest: DIGEST, runtime: 'js', config: { env: { A: '1' }, concurrency: 0, limits: {} }, createdAt: 1_700_000_000_000,
    traffic: (rev, current, previous) => trafficAfterDeploy(current, previous, rev), ...over,
  };
}

export function stateStoreContract(name: string, open: () => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    const opened: StateStore[] = [];
    const store = async () => { const s = await open(); opened.push(s); return s; };
    afterEach(async () => { for (const s of opened.splice(0)) await s.close(); });

    it('names revisions {fn}-{00001} in order and makes the function with the first', async () => {
      const s = await store();
      const a = await s.createRevision(newRevision('shop'));
      const b = await s.createRevision(newRevision('shop', { digest: OTHER, runtime: 'wasm' }));
      expect(a.revision).toMatchObject({ name: 'shop-00001', function: 'shop', seq: 1, digest: DIGEST, runtime: 'js', config: { env: { A: '1' } } });
      expect(b.revision).toMatchObject({ name: 'shop-00002', seq: 2, digest: OTHER, runtime: 'wasm' });
      expect(b.function).toMatchObject({ name: 'shop', latestRevision: 'shop-00002', traffic: [{ latestRevision: true, percent: 100 }] });
      expect((await s.listRevisions('shop')).map((r) => r.name)).toEqual(['shop-00001', 'shop-00002']);
      expect(await s.getRevision('shop-00002')).toEqual(b.revision);
      expect(await s.getFunction('shop')).toEqual(b.function);
      expect(await s.getFunction('nope')).toBeUndefined();
      expect(await s.getRevision('shop-00009')).toBeUndefined();
    });

    it('lists functions by name and revisions of all functions', async () => {
      const s = await store();
      await s.createRevision(newRevision('zeta'));
      await s.createRevision(newRevision('alpha'));
      expect((await s.listFunctions()).map((f) => f.name)).toEqual(['alpha', 'zeta']);
      expect((await s.listRevisions()).map((r) => r.name).sort()).toEqual(['alpha-00001', 'zeta-00001']);
    });

    it('hands the traffic rule the current table and the previous latest revision', async () => {
      const s = await store();
      const seen: unknown[] = [];
      await s.createRevision(newRevision('f', { traffic: (rev, cur, prev) => { seen.push([rev, cur, prev]); return [{ revision: rev, percent: 100 }]; } }));
      await s.createRevision(newRevision('f', { traffic: (rev, cur, prev) => { seen.push([rev, cur, prev]); return [{ revision: 'f-00001', percent: 100 }, { revision: rev, percent: 0, tag: 'next' }]; } }));
      expect(seen).toEqual([['f-00001', undefined, undefined], ['f-00002', [{ revision: 'f-00001', percent: 100 }], 'f-00001']]);
      expect((await s.getFunction('f'))!.traffic).toEqual([{ revision: 'f-00001', percent: 100 }, { revision: 'f-00002', percent: 0, tag: 'next' }]);
    });

    it('moves the generation on with every change and compare-and-sets traffic on it', async () => {
      const s = await store();
      const g1 = (await s.createRevision(newRevision('f'))).function.generation;
      const g2 = (await s.createRevision(newRevision('f'))).function.generation;
      expect(g2).toBeGreaterThan(g1);
      const t = await s.setTraffic('f', [{ revision: 'f-00001', percent: 100 }], g2);
      expect(t.generation).toBeGreaterThan(g2);
      expect(t.traffic).toEqual([{ revision: 'f-00001', percent: 100 }]);
      // A writer that read g2 lost the race: refused, and nothing of its table is kept.
      await expect(s.setTraffic('f', [{ revision: 'f-00002', percent: 100 }], g2)).rejects.toMatchObject({ code: 'EDGE_ERR_CONFLICT', statusCode: 409 });
      expect((await s.getFunction('f'))!.traffic).toEqual([{ revision: 'f-00001', percent: 100 }]);
      await expect(s.setTraffic('gone', [], 1)).rejects.toMatchObject({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND' });
    });

    it('deletes a revision by compare-and-set, and the latest revision follows', async () => {
      const s = await store();
      await s.createRevision(newRevision('f'));
      const { function: f } = await s.createRevision(newRevision('f', { digest: OTHER }));
      await expect(s.deleteRevision('f-00002', f.generation - 1)).rejects.toMatchObject({ code: 'EDGE_ERR_CONFLICT' });
      expect(await s.getRevision('f-00002')).toBeDefined();
      await s.deleteRevision('f-00002', f.generation);
      expect(await s.getRevision('f-00002')).toBeUndefined();
      const after = (await s.getFunction('f'))!;
      expect(after.latestRevision).toBe('f-00001');
      expect(after.generation).toBeGreaterThan(f.generation);
      expect(await s.isDigestUsed(OTHER)).toBe(false);
      expect(await s.isDigestUsed(DIGEST)).toBe(true);
      // Sequence numbers are never reused.
      expect((await s.createRevision(newRevision('f'))).revision.name).toBe('f-00003');
    });

    it('deletes a function with its revisions and returns them', async () => {
      const s = await store();
      await s.createRevision(newRevision('f'));
      await s.createRevision(newRevision('f'));
      const removed = await s.deleteFunction('f');
      expect(removed.map((r) => r.name)).toEqual(['f-00001', 'f-00002']);
      expect(await s.getFunction('f')).toBeUndefined();
      expect(await s.listRevisions('f')).toEqual([]);
      expect(await s.isDigestUsed(DIGEST)).toBe(false);
      expect(await s.deleteFunction('f')).toEqual([]);
      // A function made again starts over.
      expect((await s.createRevision(newRevision('f'))).revision.name).toBe('f-00001');
    });

    it('feeds every committed change to watchers, in order, before the write resolves', async () => {
      const s = await store();
      const seen: StateChange[] = [];
      const stop = s.watch((c) => seen.push(c));
      const { function: f } = await s.createRevision(newRevision('f'));
      expect(seen.map((c) => `${c.kind}:${c.name}:${c.kind === 'function' ? c.function?.generation : c.revision?.seq}`)).toEqual(['revision:f-00001:1', `function:f:${f.generation}`]);
      const t = await s.setTraffic('f', [{ revision: 'f-00001', percent: 100, tag: 'x' }], f.generation);
      expect(seen.at(-1)).toEqual({ kind: 'function', name: 'f', function: t });
      await s.deleteFunction('f');
      expect(seen.slice(-2)).toEqual([{ kind: 'revision', name: 'f-00001', fn: 'f', revision: undefined }, { kind: 'function', name: 'f', function: undefined }]);
      stop();
      await s.createRevision(newRevision('g'));
      expect(seen.some((c) => c.name.startsWith('g'))).toBe(false);
    });

    it('restores a function as exported: its revisions, names and seqs kept; never over one that exists', async () => {
      const s = await store();
      const revs = [2, 5].map((seq) => ({ name: `f-0000${seq}`, function: 'f', seq, digest: seq === 2 ? DIGEST : OTHER, runtime: 'js' as const, config: { env: { N: String(seq) }, concurrency: 3, limits: {} }, createdAt: 1_700_000_000_000 + seq }));
      const traffic = [{ revision: 'f-00002', percent: 90 }, { revision: 'f-00005', percent: 10, tag: 'canary' }];
      const seen: StateChange[] = [];
      s.watch((c) => seen.push(c));
      const f = await s.restoreFunction({ name: 'f', createdAt: 1_600_000_000_000, traffic }, revs);
      expect(f).toMatchObject({ name: 'f', createdAt: 1_600_000_000_000, traffic, latestRevision: 'f-00005' });
      expect(await s.getFunction('f')).toEqual(f);
      expect(await s.listRevisions('f')).toEqual(revs);
      // Watchers hear of it before it resolves, revisions first, as of any write.
      expect(seen.map((c) => `${c.kind}:${c.name}`)).toEqual(['revision:f-00002', 'revision:f-00005', 'function:f']);
      expect(seen.at(-1)).toEqual({ kind: 'function', name: 'f', function: f });
      expect(await s.isDigestUsed(OTHER)).toBe(true);
      // The next deploy follows the highest number restored.
      expect((await s.createRevision(newRevision('f'))).revision.name).toBe('f-00006');
      const before = await s.getFunction('f');
      seen.length = 0;
      await expect(s.restoreFunction({ name: 'f', createdAt: 1, traffic: [] }, [])).rejects.toMatchObject({ code: 'EDGE_ERR_CONFLICT' });
      expect(await s.getFunction('f')).toEqual(before);
      expect(seen).toEqual([]);
    });

    it('a refused write changes nothing and notifies nobody', async () => {
      const s = await store();
      const { function: f } = await s.createRevision(newRevision('f'));
      const seen: StateChange[] = [];
      s.watch((c) => seen.push(c));
      await expect(s.setTraffic('f', [], f.generation + 5)).rejects.toMatchObject({ code: 'EDGE_ERR_CONFLICT' });
      await expect(s.createRevision(newRevision('f', { traffic: () => { throw new Error('rule refused'); } }))).rejects.toThrow('rule refused');
      expect(seen).toEqual([]);
      expect(await s.listRevisions('f')).toHaveLength(1);
      expect(await s.getFunction('f')).toEqual(f);
    });
  });
}
