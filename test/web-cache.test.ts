import { expect, test } from 'vitest';
import { guestEval } from './helpers/guest.ts';
import { CacheStore } from '../src/executor/cache-store.ts';
import { manualClock } from '../src/core/clock.ts';
test('smoke', async () => {
  const cache = new CacheStore({ maxBytes: 1 << 20, clock: manualClock(0) });
  const r = await guestEval(`
    const c = caches.default;
    await c.put('http://x/a', new Response('hello', { headers: { 'cache-control': 'max-age=60' } }));
    const a = await c.match('http://x/a'); const b = await c.match('http://x/a');
    return [a === b, await a.text(), await b.text(), a.headers.get('cf-cache-status'), (await c.match('http://x/b')) === undefined, await c.delete('http://x/a'), await c.match('http://x/a')];
  `, { cache });
  console.log(r, cache.bytes, cache.drainCounts());
});
