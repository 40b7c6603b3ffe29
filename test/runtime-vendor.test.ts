/**
 * The guest runtime's third-party modules (prelude-source.ts VENDOR) load on first use through the
 * `vendor` op (isolate.ts): not in the prelude, no global holding them, the same code cache reused
 * by later isolates on the thread, and an unknown name refused.
 */
import { describe, expect, it } from 'vitest';
import { PRELUDE_SOURCE, VENDOR_NAMES, vendorSource } from '../src/runtime/js/prelude-source.ts';
import { guestEval } from './helpers/guest.ts';

describe('vendor modules', () => {
  it('are scripts of their own, not in the prelude', () => {
    expect(VENDOR_NAMES).toEqual(['streams', 'flate', 'urlpattern']);
    for (const n of VENDOR_NAMES) {
      const src = vendorSource(n)!;
      expect(src.startsWith('((__isoedge_intrinsics) => {')).toBe(true);
      expect(PRELUDE_SOURCE.includes(src.slice(40, 400))).toBe(false);
    }
    expect(vendorSource('toString')).toBeUndefined();
    expect(vendorSource('nope')).toBeUndefined();
  });

  it('load in a guest on first use, in one isolate after another, with no global left behind', async () => {
    const body = `
      const before = ['ReadableStream', 'URLPattern'].map((n) => typeof Object.getOwnPropertyDescriptor(globalThis, n).get);
      const names = () => Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__isoedge')).sort();
      const leftBefore = names();
      const gz = await new Response(new Blob(['hello hello hello']).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
      const back = await new Response(new Response(gz).body.pipeThrough(new DecompressionStream('gzip'))).text();
      const m = new URLPattern({ pathname: '/u/:id' }).exec('https://x.test/u/42').pathname.groups.id;
      return [before, back, m, names().filter((n) => !leftBefore.includes(n)), (ReadableStream, typeof Object.getOwnPropertyDescriptor(globalThis, 'ReadableStream').value)];`;
    const expected = [['function', 'function'], 'hello hello hello', '42', [], 'function'];
    expect(await guestEval(body)).toEqual(expected);
    expect(await guestEval(body)).toEqual(expected);
  });

  it('a tenant cannot reach the loader or a factory', async () => {
    expect(await guestEval(`
      await new ReadableStream({ start(c) { c.close(); } }).getReader().read();
      return [typeof __isoedge_bridge, typeof __isoedge_streams, typeof __isoedge_host, typeof ns];`)).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
  });
});
