/** AsyncService's refusals that need a failing store: a store that cannot take the write is a coded 503, and nothing is promised. */
import { describe, expect, it } from 'vitest';
import { AsyncService } from '../src/async/index.ts';
import type { InvocationStore } from '../src/store/index.ts';

describe('async submissions when the store fails', () => {
  it('answers 503 EDGE_ERR_STORE_UNAVAILABLE naming the cause', async () => {
    // The store is the boundary here: one whose write fails, as a full disk or a dead store thread would.
    const store = { submit: () => Promise.reject(new Error('database or disk is full')) } as unknown as InvocationStore;
    const s = new AsyncService({ store, hasFunction: () => true, outboundDenied: () => '', wallNow: () => 0, limits: { maxBodyBytes: 1024, maxQueued: 10, dedupeWindowS: 60 } });
    const e = await s.submit({ fn: 'f', method: 'POST', url: 'http://f.localhost/', headers: [], body: null }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'EDGE_ERR_STORE_UNAVAILABLE', statusCode: 503 });
    expect((e as Error).message).toBe('the async call was not stored: database or disk is full');
  });
});
