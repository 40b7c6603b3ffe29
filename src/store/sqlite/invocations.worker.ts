/**
 * The thread that owns invocations.db (invocations-thread.ts is its other end): every SQLite
 * statement and every fsync of the async queue runs here, never on the gateway, whose event loop
 * serves every tenant's edge requests (an fsync on this disk is 0.5–1.5 ms at p50 and up to 17 ms
 * at p99, measured by the async bench).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteInvocationStore } from './invocations.ts';
import type { CallRecord } from '../invocation-types.ts';
import type { FromStore, ToStore } from './invocations-thread.ts';

const port = parentPort!;
const send = (m: FromStore): void => port.postMessage(m);
const store = new SqliteInvocationStore((workerData as { dataDir: string }).dataDir);

store.watchQueued((fn, at) => send({ t: 'queued', fn, at }));

/** The functions whose queue depth a write may have changed (all of them for recover and expire). */
function touched(m: ToStore, value: unknown): Iterable<string> | 'all' {
  switch (m.op) {
    case 'submit': return [(m.args[0] as { fn: string }).fn];
    case 'claim': return [m.args[0] as string];
    case 'finish': case 'cancel': return value ? [(value as CallRecord).fn] : [];
    case 'recover': case 'expire': return 'all';
    default: return [];
  }
}

port.on('message', (m: ToStore) => {
  if (m.op === 'close') {
    void store.close().then(() => {
      send({ t: 'reply', id: m.id, ok: true, value: undefined, stats: [] });
      port.close();
    });
    return;
  }
  const op = store[m.op] as (...args: unknown[]) => Promise<unknown>;
  op.apply(store, m.args).then(
    (value) => {
      const fns = touched(m, value);
      // The depths travel with the reply, so the gateway's stats() agrees with the write it awaited.
      send({ t: 'reply', id: m.id, ok: true, value, stats: fns === 'all' ? [...store.stats()] : store.statsOf(fns), ...(fns === 'all' ? { all: true } : {}) });
    },
    (e: unknown) => send({ t: 'reply', id: m.id, ok: false, error: { message: (e as Error).message, code: (e as { code?: string }).code } }),
  );
});

send({ t: 'ready', stats: [...store.stats()] });
