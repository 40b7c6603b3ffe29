/** Nothing of Node in a function (design §9, issue 14 item 5): the five names are undefined whatever the module mentions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
beforeAll(async () => { h = await testHost(); });
afterAll(async () => { await h.cleanup(); });

const deploy = (name: string, source: string) =>
  h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': 'application/javascript' }, payload: source });
const get = async (name: string) => (await h.edge.inject({ url: '/', headers: { host: `${name}.localhost:8080` } })).json();

const FIVE = "{ require: typeof require, process: typeof process, module: typeof module, Buffer: typeof Buffer, global: typeof global }";
const UNDEFINED = { require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined', global: 'undefined' };

describe('no Node globals', () => {
  it('a module that checks all five, at top level and in fetch', async () => {
    const src = `const top = ${FIVE};
      export default { fetch() { return Response.json({ top, inFetch: ${FIVE}, viaGlobalThis: ['require', 'process', 'module', 'Buffer', 'global'].filter((k) => k in globalThis) }); } };`;
    expect((await deploy('five', src)).statusCode).toBe(201);
    expect(await get('five')).toEqual({ top: UNDEFINED, inFetch: UNDEFINED, viaGlobalThis: [] });
  });

  it('a bundle whose code takes a guarded require branch, as libraries do, takes the other branch', async () => {
    // The shapes libraries ship: a dynamic require behind typeof, a UMD header, a Buffer/process probe.
    const src = `
      const name = globalThis.__nothing || 'crypto';
      const viaRequire = typeof require === 'function' ? require(name) : 'no require';
      const nodeish = typeof process !== 'undefined' && process.versions && process.versions.node ? 'node' : 'not node';
      const bytes = typeof Buffer !== 'undefined' ? Buffer.from('x') : new TextEncoder().encode('x');
      let umd = 'unset';
      (function (root, factory) {
        if (typeof exports === 'object' && typeof module !== 'undefined') { module.exports = factory(); umd = 'commonjs'; }
        else { umd = 'global ' + typeof root; }
      })(typeof global !== 'undefined' ? global : globalThis, function () { return 1; });
      export default { fetch() { return Response.json({ viaRequire, nodeish, bytes: bytes.constructor.name, umd, five: ${FIVE} }); } };`;
    expect((await deploy('guarded', src)).statusCode).toBe(201);
    expect(await get('guarded')).toEqual({ viaRequire: 'no require', nodeish: 'not node', bytes: 'Uint8Array', umd: 'global object', five: UNDEFINED });
  });

  it('a module that calls require anyway fails at the call, not with a shim', async () => {
    const src = `export default { fetch() { try { const n = 'fs'; require(n); return new Response('ran'); } catch (e) { return new Response(e.constructor.name); } } };`;
    expect((await deploy('calls', src)).statusCode).toBe(201);
    expect((await h.edge.inject({ url: '/', headers: { host: 'calls.localhost:8080' } })).body).toBe('TypeError');
  });
});
