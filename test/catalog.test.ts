/** The catalog follows the state store's change feed: a write by anyone (another node, a script) reaches routing. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/index.ts';
import { pick } from '../src/router/index.ts';
import { seededRng } from '../src/core/rng.ts';
import { BASE_LIMITS } from '../src/runtime/types.ts';
import { FileArtifactStore, SqliteStateStore, jsFiles } from '../src/store/index.ts';
import { newRevision } from './contracts/state-store.contract.ts';

const DIGEST = 'a'.repeat(64);
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'isoedge-catalog-'));
  const state = new SqliteStateStore(dir);
  const artifacts = new FileArtifactStore(dir);
  await artifacts.put(DIGEST, jsFiles({ source: new Uint8Array([1]), script: 'globalThis.x = 1', cache: null }));
  const events: string[] = [];
  const catalog = new Catalog(artifacts, BASE_LIMITS, {
    revisionReady: (s) => events.push(`ready ${s.id}`),
    revisionRemoved: (r) => events.push(`removed ${r}`),
    functionRemoved: (f) => events.push(`gone ${f}`),
  });
  return { state, artifacts, catalog, events };
}

describe('catalog', () => {
  it('loads what exists at start without touching artifacts, then loads specs on first use', async () => {
    const { state, catalog, events } = await setup();
    await state.createRevision(newRevision('f'));
    await catalog.follow(state);
    expect(catalog.route('f')?.latest).toBe('f-00001');
    expect(catalog.specNow('f-00001')).toBeUndefined();
    const spec = await catalog.spec('f-00001');
    expect(spec).toMatchObject({ id: 'f-00001', fn: 'f', script: 'globalThis.x = 1', env: { A: '1' }, limits: BASE_LIMITS });
    expect(catalog.specNow('f-00001')).toBe(spec);
    expect(events).toEqual([]);
    catalog.close();
    await state.close();
  });

  it('applies new revisions, traffic and deletions from the feed, with no refresh call', async () => {
    const { state, catalog, events } = await setup();
    await catalog.follow(state);
    const { function: f } = await state.createRevision(newRevision('f'));
    // The route table changes before the write resolves; the spec follows off the request path.
    expect(pick(catalog.route('f')!.table, seededRng(1))).toBe('f-00001');
    for (let i = 0; i < 500 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['ready f-00001']);
    expect(catalog.specNow('f-00001')).toBeDefined();
    const { function: f2 } = await state.createRevision(newRevision('f', { traffic: (rev, cur) => [...(cur ?? []), { revision: rev, percent: 0, tag: 'next' }] }));
    expect(catalog.route('f')!.table.tags.get('next')).toBe('f-00002');
    await state.setTraffic('f', [{ revision: 'f-00002', percent: 100 }], f2.generation);
    expect(pick(catalog.route('f')!.table, seededRng(1))).toBe('f-00002');
    expect(catalog.route('f')!.generation).toBeGreaterThan(f.generation);
    await state.deleteFunction('f');
    expect(catalog.route('f')).toBeUndefined();
    expect(catalog.revision('f-00001')).toBeUndefined();
    expect(events.slice(-3)).toEqual(['removed f-00001', 'removed f-00002', 'gone f']);
    catalog.close();
    await state.close();
  });

  it('never goes back to an older generation of a function', async () => {
    const { state, catalog } = await setup();
    await catalog.follow(state);
    const { function: f } = await state.createRevision(newRevision('f'));
    const newer = await state.setTraffic('f', [{ revision: 'f-00001', percent: 100, tag: 't' }], f.generation);
    catalog.apply({ kind: 'function', name: 'f', function: f }); // a stale, late delivery
    expect(catalog.route('f')!.generation).toBe(newer.generation);
    expect(catalog.route('f')!.table.tags.has('t')).toBe(true);
    catalog.close();
    await state.close();
  });
});
