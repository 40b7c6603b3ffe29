/** The SQLite invocation store against the InvocationStore contract, plus what only it promises. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteInvocationStore, ThreadedInvocationStore, type InvocationStore } from '../src/store/index.ts';
import { invocationStoreContract, newCall } from './contracts/invocation-store.contract.ts';

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'isoedge-invocations-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Each store's directory, so a closed one can be opened again. */
const dirOf = new WeakMap<InvocationStore, string>();
const openAt = (dir: string) => { const s = new SqliteInvocationStore(dir); dirOf.set(s, dir); return s; };

invocationStoreContract('SQLite', async () => openAt(tempDir()), async (closed) => openAt(dirOf.get(closed)!));

// The host's store: the same SQLite store on a thread of its own, reached by messages.
const openThreaded = async (dir: string) => { const s = new ThreadedInvocationStore(dir); await s.opened; dirOf.set(s, dir); return s; };
invocationStoreContract('SQLite on its own thread', async () => openThreaded(tempDir()), async (closed) => openThreaded(dirOf.get(closed)!));

describe('SQLite invocation store', () => {
  it('makes one group commit of the writes asked for in one turn: none is visible before it, all are after', async () => {
    const s = openAt(tempDir());
    try {
      const calls = Array.from({ length: 5 }, (_, i) => newCall('f', { createdAt: i }));
      const pending = calls.map((c) => s.submit(c, { dedupeMs: 1000, maxQueued: 100 }));
      // Asked for, not yet committed: the counts move only with the commit.
      expect(s.stats().get('f')).toBeUndefined();
      expect(await s.get(calls[0]!.id)).toBeUndefined();
      await Promise.all(pending);
      expect(s.stats().get('f')?.queued).toBe(5);
    } finally {
      await s.close();
    }
  });

  it('a write that fails fails alone: the rest of its batch is committed', async () => {
    const s = openAt(tempDir());
    try {
      const c = newCall('f');
      await s.submit(c, { dedupeMs: 0, maxQueued: 100 });
      const other = newCall('f');
      // The same id again breaks the UNIQUE constraint: that write is refused, its neighbour is not.
      const [dup, ok] = await Promise.allSettled([s.submit({ ...c }, { dedupeMs: 0, maxQueued: 100 }), s.submit(other, { dedupeMs: 0, maxQueued: 100 })]);
      expect(dup.status).toBe('rejected');
      expect(ok.status).toBe('fulfilled');
      expect(await s.get(other.id)).toMatchObject({ status: 'queued' });
      expect(s.stats().get('f')?.queued).toBe(2);
    } finally {
      await s.close();
    }
  });
});

describe('the store thread', () => {
  it('says why it is gone once closed, refuses calls, and tells onFail only of a failure, not of close()', async () => {
    const failures: Error[] = [];
    const s = new ThreadedInvocationStore(tempDir(), (e) => failures.push(e));
    await s.opened;
    expect(s.failure).toBeUndefined();
    await s.close();
    expect(s.failure?.message).toMatch(/closed/);
    await expect(s.get('x')).rejects.toThrow(/closed/);
    expect(failures).toEqual([]);
  });
});
