/** The JetStream state and artifact stores against the store contracts, on a real nats-server, plus what only they promise. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNatsLink, type NatsLink } from '../src/store/nats/connection.ts';
import { NatsStateStore } from '../src/store/nats/state.ts';
import { NatsArtifactStore } from '../src/store/nats/artifacts.ts';
import type { StateChange } from '../src/store/index.ts';
import { artifactStoreContract } from './contracts/artifact-store.contract.ts';
import { newRevision, stateStoreContract } from './contracts/state-store.contract.ts';
import { NATS_INSTALL_HINT, natsServerPath, startNats, type NatsServer } from './helpers/nats.ts';

const have = natsServerPath() !== undefined;
if (!have) console.log(`skipping the NATS store tests: nats-server is not installed (${NATS_INSTALL_HINT})`);

let server: NatsServer & { close(): Promise<void> };
const links: NatsLink[] = [];
const dirs: string[] = [];
let n = 0;
const prefix = () => `t${++n}_${Math.random().toString(36).slice(2, 8)}`;
const link = async () => { const l = await openNatsLink({ servers: [server.url], name: 'test' }); links.push(l); return l; };
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-natsart-')); dirs.push(d); return d; };

beforeAll(async () => { if (have) server = await startNats(); });
afterAll(async () => {
  for (const l of links.splice(0)) await l.close();
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!have)('JetStream stores', () => {
  stateStoreContract('JetStream KV', async () => NatsStateStore.open(await link(), { prefix: prefix() }));
  artifactStoreContract('JetStream Object Store', async () => NatsArtifactStore.open(await link(), { prefix: prefix(), dataDir: tempDir() }));

  it('two nodes deploying one function at once both succeed, with distinct revision numbers', async () => {
    const p = prefix();
    const [a, b] = await Promise.all([NatsStateStore.open(await link(), { prefix: p }), NatsStateStore.open(await link(), { prefix: p })]);
    const made = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).createRevision(newRevision('f'))));
    const seqs = made.map((m) => m.revision.seq).sort((x, y) => x - y);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Each node's mirror converges on the same function (the last write may have been the other's).
    for (const s of [a, b]) await expect.poll(async () => (await s.getFunction('f'))?.generation).toBe(10);
    expect((await a.getFunction('f'))!.latestRevision).toBe('f-00010');
    expect((await b.listRevisions('f')).map((r) => r.seq)).toEqual(seqs);
    await a.close(); await b.close();
  });

  it('two conflicting traffic writes from two nodes: one wins, the other gets EDGE_ERR_CONFLICT', async () => {
    const p = prefix();
    const a = await NatsStateStore.open(await link(), { prefix: p });
    const b = await NatsStateStore.open(await link(), { prefix: p });
    await a.createRevision(newRevision('f'));
    const { function: f } = await a.createRevision(newRevision('f'));
    await expect.poll(async () => (await b.getFunction('f'))?.generation).toBe(f.generation);
    const results = await Promise.allSettled([
      a.setTraffic('f', [{ revision: 'f-00001', percent: 100 }], f.generation),
      b.setTraffic('f', [{ revision: 'f-00002', percent: 100 }], f.generation),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'EDGE_ERR_CONFLICT', statusCode: 409 });
    await a.close(); await b.close();
  });

  it('a change on one node reaches another node\'s watchers, level-triggered', async () => {
    const p = prefix();
    const a = await NatsStateStore.open(await link(), { prefix: p });
    const b = await NatsStateStore.open(await link(), { prefix: p });
    const seen: StateChange[] = [];
    b.watch((c) => seen.push(c));
    const { function: f } = await a.createRevision(newRevision('g'));
    await expect.poll(() => seen.length).toBe(2);
    expect(seen.map((c) => `${c.kind}:${c.name}`)).toEqual(['revision:g-00001', 'function:g']);
    await a.setTraffic('g', [{ revision: 'g-00001', percent: 100, tag: 'x' }], f.generation);
    await a.deleteFunction('g');
    await expect.poll(() => seen.at(-1)).toEqual({ kind: 'function', name: 'g', function: undefined });
    await a.close(); await b.close();
  });

  it('a node reads an artifact another node stored, byte for byte, across chunks, and keeps a copy', async () => {
    const p = prefix();
    const a = await NatsArtifactStore.open(await link(), { prefix: p, dataDir: tempDir() });
    const bDir = tempDir();
    const b = await NatsArtifactStore.open(await link(), { prefix: p, dataDir: bDir });
    const big = new Uint8Array(700_000).map((_, i) => (i * 7) % 251);
    const d = 'e'.repeat(64);
    await a.put(d, { 'module.wasm': big, 'small.txt': new TextEncoder().encode('hi') });
    expect(await b.has(d)).toBe(true);
    expect(Buffer.from((await b.get(d, 'module.wasm'))!).equals(Buffer.from(big))).toBe(true);
    expect(new TextDecoder().decode(await b.get(d, 'small.txt'))).toBe('hi');
    expect(await b.get(d, 'absent.bin')).toBeUndefined();
    expect(readdirSync(join(bDir, 'artifacts', d)).sort()).toEqual(['manifest.json', 'module.wasm', 'small.txt']);
  });

  it('a node whose link is down refuses writes at once with 503 and still answers reads', async () => {
    const p = prefix();
    const l = await link();
    const a = await NatsStateStore.open(l, { prefix: p });
    await a.createRevision(newRevision('f'));
    await server.stop();
    try {
      await expect.poll(() => l.connected).toBe(false);
      const t0 = Date.now();
      await expect(a.createRevision(newRevision('f'))).rejects.toMatchObject({ code: 'EDGE_ERR_STORE_UNAVAILABLE', statusCode: 503 });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect((await a.getFunction('f'))?.latestRevision).toBe('f-00001');
    } finally {
      await server.start();
    }
    await expect.poll(() => l.connected, { timeout: 10_000 }).toBe(true);
    expect((await a.createRevision(newRevision('f'))).revision.name).toBe('f-00002');
    await a.close();
  });
});
