/**
 * The thread that owns invocations.db (invocations-thread.ts is its other end): every SQLite
 * statement and every fsync of the async queue runs here, never on the gateway, whose event loop
 * serves every tenant's edge requests (an fsync on this disk is 0.5–1.5 ms at p50 and up to 17 ms
 * at p99, measured by the async bench). What one group commit answers goes back in one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteInvocationStore } from './invocations.ts';
import type { CallRecord, NewCall } from '../invocation-types.ts';
import type { FromStore, Op, Reply, SubmitReply, ToStore } from './invocations-thread.ts';

const port = parentPort!;
const send = (m: FromStore): void => port.postMessage(m);
const data = workerData as { dataDir: string; owner?: string };
// Shared by processes: another process's commits change every depth, so the whole map goes back.
const store = new SqliteInvocationStore(data.dataDir, data.owner === undefined ? {} : { shared: { owner: data.owner, onExternal: () => send({ t: 'stats', stats: [...store.stats()] }) } });
let replies: Reply[] = [];
let queued: [string, number][] = [];

function flush(): void {
  const out = replies;
  const notices = queued;
  replies = [];
  queued = [];
  if (out.length || notices.length) send({ t: 'replies', replies: out, queued: notices });
}
function answer(r: Reply): void {
  if (replies.push(r) === 1 && queued.length === 0) setImmediate(flush);
}
// A commit's notices run before its replies' callbacks, as with the store in-thread; they travel together.
store.watchQueued((fn, at) => {
  if (queued.push([fn, at]) === 1 && replies.length === 0) setImmediate(flush);
});

/** The functions whose queue depth a write may have changed (all of them for recover and expire). */
function touched(m: Op, value: unknown): Iterable<string> | 'all' {
  switch (m.op) {
    case 'submit': return [(m.args[0] as NewCall).fn];
    case 'claim': case 'cancelFunction': return [m.args[0] as string];
    case 'finish': case 'cancel': return value ? [(value as CallRecord).fn] : [];
    case 'recover': case 'expire': return 'all';
    default: return [];
  }
}

/** What crosses back: a submission's outcome only (the gateway has the call it sent). */
function wire(m: Op, value: unknown): unknown {
  if (m.op !== 'submit') return value;
  const r = value as Awaited<ReturnType<SqliteInvocationStore['submit']>>;
  if ('refused' in r) return r satisfies SubmitReply;
  return (r.duplicate ? { duplicate: r.call } : { stored: true }) satisfies SubmitReply;
}

port.on('message', (ops: ToStore) => {
  for (const m of ops) {
    if (m.op === 'close') {
      void store.close().then(() => {
        answer({ id: m.id, ok: true, value: undefined, stats: [] });
        flush();
        port.close();
      });
      continue;
    }
    const op = store[m.op] as (...args: unknown[]) => Promise<unknown>;
    op.apply(store, m.args).then(
      (value) => {
        const fns = touched(m, value);
        // The depths travel with the reply, so the gateway's stats() agrees with the write it awaited.
        answer({ id: m.id, ok: true, value: wire(m, value), stats: fns === 'all' ? [...store.stats()] : store.statsOf(fns), ...(fns === 'all' ? { all: true } : {}) });
      },
      (e: unknown) => answer({ id: m.id, ok: false, error: { message: (e as Error).message, code: (e as { code?: string }).code } }),
    );
  }
});

send({ t: 'ready', stats: [...store.stats()] });
