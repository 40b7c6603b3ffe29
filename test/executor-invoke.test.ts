import { describe, expect, it } from 'vitest';
import { Invoker } from '../src/executor/invoke.ts';
import type { InvokeError, InvokeMessage, InvokeResponse } from '../src/executor/index.ts';
import type { InvokeResult } from '../src/runtime/types.ts';
import { fakeLifecycle, revision } from './helpers/executor-fakes.ts';

const msg = (rev: string, id = 1): InvokeMessage => ({ t: 'invoke', id, rev, reqId: 'q', method: 'GET', url: 'http://x/', headers: [], body: null });

function setup() {
  const f = fakeLifecycle();
  const replies: (InvokeResponse | InvokeError)[] = [];
  const invoker = new Invoker(f.life, f.clock, (m) => { if (m.t === 'res' || m.t === 'err') replies.push(m); });
  return { ...f, replies, invoker };
}

describe('Invoker (the executor request path)', () => {
  it('answers res with its timing, and err for an unknown revision or an instance that cannot start', async () => {
    const { life, invoker, replies } = setup();
    life.load(revision('a'));
    life.load(revision('b', { fn: 'broken' }));
    await invoker.invoke(msg('a', 1));
    await invoker.invoke(msg('a', 2));
    await invoker.invoke(msg('nope', 3));
    await invoker.invoke(msg('b', 4));
    expect(replies).toEqual([
      { t: 'res', id: 1, status: 200, headers: [], body: null, tier: 'cold', startMs: 0, execMs: 0 },
      { t: 'res', id: 2, status: 200, headers: [], body: null, tier: 'hot', startMs: 0, execMs: 0 },
      { t: 'err', id: 3, code: 'EDGE_ERR_REVISION_NOT_FOUND', message: 'revision nope is not loaded in this executor' },
      expect.objectContaining({ t: 'err', id: 4, code: 'EDGE_ERR_INSTANCE_START', tier: 'cold' }),
    ]);
    expect(life.inflight).toBe(0);
  });

  it('turns a response over the revision limits into EDGE_ERR_RESPONSE_TOO_LARGE, and keeps the instance', async () => {
    const { life, invoker, replies, factory } = setup();
    const r = revision('a');
    r.spec.limits.responseBytes = 4;
    life.load(r);
    await invoker.invoke(msg('a'));
    const inst = factory.made[0]!;
    inst.invoke = (): Promise<InvokeResult> => Promise.resolve({ ok: true, status: 200, headers: [], body: 'too long', cpuMs: 0 });
    await invoker.invoke(msg('a', 2));
    expect(replies[1]).toMatchObject({ t: 'err', id: 2, code: 'EDGE_ERR_RESPONSE_TOO_LARGE', tier: 'hot' });
    expect(inst.ended).toBe(false);
  });
});
