/** The control plane on the real SQLite store, without a host: traffic writes compare-and-set on the function's generation. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../src/control/index.ts';
import { FileArtifactStore, SqliteStateStore } from '../src/store/index.ts';
import { newRevision } from './contracts/state-store.contract.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  dir = mkdtempSync(join(tmpdir(), 'isoedge-control-'));
  const state = new SqliteStateStore(dir);
  const cp = new ControlPlane({
    state, artifacts: new FileArtifactStore(dir), log: pino({ level: 'silent' }),
    compiler: { compileJs: () => Promise.reject(new Error('no compiles here')), compileWasm: () => Promise.reject(new Error('no compiles here')) },
    moduleBytes: 1024, memoryMb: 64, maximums: { cpuMs: 1, wallMs: 1, streamMs: 1, memoryMb: 1, wasmMemoryPages: 1, bodyBytes: 1, responseBytes: 1 },
  });
  return { state, cp };
}

describe('control plane', () => {
  it('two traffic updates racing on the same generation: one lands, the other gets EDGE_ERR_CONFLICT and changes nothing', async () => {
    const { state, cp } = setup();
    await state.createRevision(newRevision('f'));
    await state.createRevision(newRevision('f'));
    const a = cp.setTraffic('f', [{ revision: 'f-00001', percent: 100 }]);
    const b = cp.setTraffic('f', [{ revision: 'f-00002', percent: 100 }]);
    const [ra, rb] = await Promise.allSettled([a, b]);
    expect([ra.status, rb.status].sort()).toEqual(['fulfilled', 'rejected']);
    const lost = (ra.status === 'rejected' ? ra : rb) as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'EDGE_ERR_CONFLICT', statusCode: 409 });
    const won = ra.status === 'fulfilled' ? 'f-00001' : 'f-00002';
    expect((await state.getFunction('f'))!.traffic).toEqual([{ revision: won, percent: 100 }]);
    // Retried after reading again, the loser lands.
    await cp.setTraffic('f', [{ revision: won === 'f-00001' ? 'f-00002' : 'f-00001', percent: 100 }]);
    await state.close();
  });

  it('refuses to delete a revision that receives traffic, by percent, tag or as the latest', async () => {
    const { state, cp } = setup();
    await state.createRevision(newRevision('f'));
    await state.createRevision(newRevision('f'));
    await expect(cp.deleteRevision('f', 'f-00002')).rejects.toMatchObject({ code: 'EDGE_ERR_REVISION_HAS_TRAFFIC' });
    await cp.setTraffic('f', [{ revision: 'f-00001', percent: 100 }, { revision: 'f-00002', percent: 0, tag: 'next' }]);
    await expect(cp.deleteRevision('f', 'f-00002')).rejects.toMatchObject({ code: 'EDGE_ERR_REVISION_HAS_TRAFFIC' });
    await cp.setTraffic('f', [{ revision: 'f-00001', percent: 100 }]);
    await cp.deleteRevision('f', 'f-00002');
    expect((await cp.listRevisions('f')).map((r) => r.name)).toEqual(['f-00001']);
    await expect(cp.deleteRevision('f', 'f-00009')).rejects.toMatchObject({ code: 'EDGE_ERR_REVISION_NOT_FOUND' });
    await expect(cp.getFunction('nope')).rejects.toMatchObject({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND' });
    await state.close();
  });
});
