/**
 * One cron run per tick per cluster: two hosts on one NATS store both schedule a function's crons,
 * and both fire each tick; the tick's key is claimed in the KV by compare-and-set (kv.create), so
 * exactly one call is stored and run. The hosts' clocks are set 4 s before a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/store/index.ts';
import { testHost, type TestHost } from './helpers/host.ts';
import { NATS_INSTALL_HINT, natsServerPath, startNats, type NatsServer } from './helpers/nats.ts';

const have = natsServerPath() !== undefined;
if (!have) console.log(`skipping the cluster cron test: nats-server is not installed (${NATS_INSTALL_HINT})`);

let nats: NatsServer & { close(): Promise<void> };
const hosts: TestHost[] = [];
beforeAll(async () => { if (have) nats = await startNats(); });
afterAll(async () => {
  for (const h of hosts) await h.cleanup();
  await nats?.close();
});

describe.skipIf(!have)('cron triggers on two nodes', () => {
  it('a tick fired by both nodes is one call', async () => {
    let offset = 0;
    const args = ['--store-kind', 'nats', '--store-nats-servers', nats.url, '--examples', 'false', '--executors-max', '1'];
    for (let i = 0; i < 2; i++) hosts.push(await testHost([...args, '--node-name', `n${i}`], undefined, { wallNow: () => Date.now() + offset }));
    const [a, b] = hosts as [TestHost, TestHost];
    offset = 60_000 - (Date.now() % 60_000) - 4000;
    const src = `export default { fetch() { return new Response('x'); }, async scheduled(controller) { console.log('tick', controller.scheduledTime); } };`;
    await a.functions.deploy('ticker', { bytes: new TextEncoder().encode(src), kind: 'js' }, { env: {}, concurrency: 0, limits: {}, triggers: { crons: ['* * * * *'] } });
    // B learned of the trigger through the KV watch: both nodes will fire the tick.
    await expect.poll(() => b.async.cron.upcoming().map((u) => u.fn)).toEqual(['ticker']);
    const tick = a.async.cron.upcoming()[0]!.next;
    expect(b.async.cron.upcoming()[0]!.next).toBe(tick);
    let calls: CallRecord[] = [];
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      calls = await a.invocations.list('ticker', 'succeeded', 10, undefined);
      if (calls.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(calls).toHaveLength(1);
    // Both had their go at the tick by now; still one call, seen the same from either node.
    await new Promise((r) => setTimeout(r, 1500));
    for (const h of [a, b]) {
      const all = await h.invocations.list('ticker', undefined, 10, undefined);
      expect(all.filter((c) => c.request.scheduled?.scheduledTime === tick)).toHaveLength(1);
    }
  }, 60_000);
});
