/**
 * Workers' scheduled(controller, env, ctx) through the real dispatch pipeline (real executors and isolates), and the
 * deploy-time rule: a revision with cron triggers needs a scheduled handler (docs/host-abi.md, "Scheduled handlers").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { testHost, type TestHost } from './helpers/host.ts';
import type { DispatchResult } from '../src/dispatch/index.ts';

const require = createRequire(import.meta.url);
type Wabt = { parseWat(n: string, s: string, f: object): { resolveNames(): void; validate(): void; toBinary(o: object): { buffer: Uint8Array } } };

let h: TestHost;
let echoWasm: Uint8Array;
beforeAll(async () => {
  const wabt = await (require('wabt') as () => Promise<Wabt>)();
  const m = wabt.parseWat('echo.wat', readFileSync(new URL('../examples/wasm-echo/echo.wat', import.meta.url), 'utf8'), { bulk_memory: true, annotations: true });
  m.resolveNames();
  m.validate();
  echoWasm = m.toBinary({}).buffer;
  h = await testHost();
});
afterAll(async () => { await h.cleanup(); });

const CRON = '*/5 * * * *';
const AT = 1_700_000_000_000;
let n = 0;

/** A deploy through the admin API: the module and, when given, a config part (multipart, as `isoedge deploy` sends it). */
const deploy = (name: string, module: string | Uint8Array, config?: object) => {
  const wasm = typeof module !== 'string';
  if (!config) return h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': wasm ? 'application/wasm' : 'application/javascript' }, payload: wasm ? Buffer.from(module) : module });
  const b = 'sched-boundary';
  const part = (head: string[], body: Buffer) => Buffer.concat([Buffer.from([`--${b}`, ...head, '', ''].join('\r\n')), body, Buffer.from('\r\n')]);
  const payload = Buffer.concat([
    part(['Content-Disposition: form-data; name="config"'], Buffer.from(JSON.stringify(config))),
    part(['Content-Disposition: form-data; name="module"; filename="m"', `Content-Type: ${wasm ? 'application/wasm' : 'application/javascript'}`], wasm ? Buffer.from(module) : Buffer.from(module)),
    Buffer.from(`--${b}--\r\n`),
  ]);
  return h.admin.inject({ method: 'POST', url: `/v1/functions/${name}/revisions`, headers: { 'content-type': `multipart/form-data; boundary=${b}` }, payload });
};

/** What the cron scheduler and the async worker send: a scheduled run through dispatcher.dispatch. */
const runScheduled = (fn: string, cron = CRON): Promise<DispatchResult> =>
  h.dispatcher.dispatch({ fn }, { id: `sched-${++n}`, method: 'GET', url: `http://${fn}.internal/__scheduled`, headers: [], body: null, scheduled: { cron, scheduledTime: AT } });

const failure = (r: DispatchResult) => {
  if (r.ok) throw new Error(`expected a failure, got status ${r.status}`);
  return { code: r.error.code, message: r.error.message, details: r.error.details };
};

/** The function's guest console lines (the log hub, through the admin API), once `want` is among them. */
async function guestLines(fn: string, want: (lines: string[]) => boolean): Promise<string[]> {
  for (let i = 0; ; i++) {
    const r = await h.admin.inject({ method: 'GET', url: `/v1/functions/${fn}/logs` });
    const lines = (r.json() as { logs: { source: string; msg: string }[] }).logs.filter((l) => l.source === 'guest').map((l) => l.msg);
    if (want(lines) || i === 50) return lines;
    await new Promise((res) => setTimeout(res, 10));
  }
}

const MODULE = `
export default {
  fetch() { return new Response('fetch still here'); },
  async scheduled(controller, env, ctx) {
    const mode = controller.cron.split(' ')[1] === '*' ? 'plain' : controller.cron.split(' ')[1];
    console.log(JSON.stringify({ cron: controller.cron, scheduledTime: controller.scheduledTime, type: controller.type, who: env.WHO,
      frozen: Object.isFrozen(controller), keys: Object.keys(controller), waitUntil: typeof ctx.waitUntil, noRetry: typeof controller.noRetry }));
    if (mode === '1') controller.noRetry();
    if (mode === '2') throw new TypeError('boom');
    if (mode === '3') { controller.noRetry(); await new Promise((r) => setTimeout(r, 5)); throw new Error('gave up'); }
    if (mode === '4') { await new Promise((r) => setTimeout(r, 40)); console.log('timer fired'); }
    if (mode === '5') { await scheduler.wait(20); throw new Error('late'); }
    if (mode === '6') return Promise.reject('a string');
    if (mode === '7') { controller.noRetry(); throw new RangeError('sync after noRetry'); }
    return 'ignored';
  },
};`;

describe('scheduled handlers through dispatcher.dispatch', () => {
  beforeAll(async () => {
    const r = await deploy('cron', MODULE, { env: { WHO: 'tenant' }, triggers: { crons: [CRON] } });
    expect(r.statusCode, r.body).toBe(201);
  });

  it('calls scheduled(controller, env, ctx) with a frozen controller and answers 204 with no body', async () => {
    const r = await runScheduled('cron');
    expect(r).toMatchObject({ ok: true, revision: 'cron-00001', status: 204, headers: [], body: null });
    const lines = await guestLines('cron', (l) => l.some((x) => x.includes('"scheduledTime"')));
    expect(JSON.parse(lines.find((x) => x.includes('"scheduledTime"'))!)).toEqual({
      cron: CRON, scheduledTime: AT, type: 'scheduled', who: 'tenant', frozen: true, keys: ['cron', 'scheduledTime', 'type', 'noRetry'], waitUntil: 'function', noRetry: 'function',
    });
    // The same revision's fetch handler is untouched.
    const e = await h.edge.inject({ method: 'GET', url: '/', headers: { host: 'cron.localhost' } });
    expect(e.body).toBe('fetch still here');
  });

  it('noRetry() called by a handler that settles: 204 with isoedge-no-retry: 1', async () => {
    expect(await runScheduled('cron', '0 1 * * *')).toMatchObject({ ok: true, status: 204, headers: [['isoedge-no-retry', '1']], body: null });
  });

  it('a throw, a rejection: EDGE_ERR_FUNCTION_THREW as for fetch, with the message and no details', async () => {
    expect(failure(await runScheduled('cron', '0 2 * * *'))).toEqual({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'TypeError: boom', details: undefined });
    expect(failure(await runScheduled('cron', '0 6 * * *'))).toEqual({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'non-Error thrown: a string', details: undefined });
  });

  it('noRetry() then a throw (sync or after a timer): the failure carries details.noRetry', async () => {
    expect(failure(await runScheduled('cron', '0 3 * * *'))).toEqual({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'Error: gave up', details: { noRetry: true } });
    expect(failure(await runScheduled('cron', '0 7 * * *'))).toEqual({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'RangeError: sync after noRetry', details: { noRetry: true } });
  });

  it('an async handler is awaited: the answer comes after its timers, and a later rejection is its failure', async () => {
    const t0 = performance.now();
    const r = await runScheduled('cron', '0 4 * * *');
    expect(r).toMatchObject({ ok: true, status: 204 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    expect(await guestLines('cron', (l) => l.includes('timer fired'))).toContain('timer fired');
    expect(failure(await runScheduled('cron', '0 5 * * *'))).toMatchObject({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'Error: late' });
  });

  it('the CPU limit applies as for fetch', async () => {
    const src = 'export default { fetch() { return new Response("ok"); }, scheduled() { for (;;) {} } };';
    expect((await deploy('spin', src, { limits: { cpuMs: 20 }, triggers: { crons: [CRON] } })).statusCode).toBe(201);
    expect(failure(await runScheduled('spin')).code).toBe('EDGE_ERR_CPU_LIMIT');
    // The instance was dropped; a new one serves fetch.
    expect((await h.edge.inject({ method: 'GET', url: '/', headers: { host: 'spin.localhost' } })).body).toBe('ok');
  });

  it('a revision without a scheduled handler (a JS module, a Wasm module): EDGE_ERR_MODULE_NO_SCHEDULED', async () => {
    expect((await deploy('nosched', 'export default { fetch() { return new Response("hi"); } };')).statusCode).toBe(201);
    const js = failure(await runScheduled('nosched'));
    expect(js.code).toBe('EDGE_ERR_MODULE_NO_SCHEDULED');
    expect(js.message).toMatch(/no scheduled\(controller, env, ctx\) method/);
    expect((await h.edge.inject({ method: 'GET', url: '/', headers: { host: 'nosched.localhost' } })).body).toBe('hi');
    const w = await deploy('wsched', echoWasm);
    expect(w.statusCode, w.body).toBe(201);
    expect(failure(await runScheduled('wsched')).code).toBe('EDGE_ERR_MODULE_NO_SCHEDULED');
  });
});

describe('deploys with cron triggers', () => {
  it('refuses a JS module without scheduled, storing no revision', async () => {
    const r = await deploy('nocron', 'export default { fetch() { return new Response("x"); } };', { triggers: { crons: [CRON, '0 0 * * *'] } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED' });
    expect(r.json().message).toMatch(/"\*\/5 \* \* \* \*", "0 0 \* \* \*".*export scheduled\(controller, env, ctx\)/);
    expect((await h.admin.inject({ method: 'GET', url: '/v1/functions/nocron' })).statusCode).toBe(404);
  });

  it('refuses a config patch that adds crons to code without scheduled, keeping the revisions as they were', async () => {
    expect((await deploy('patchme', 'export default { fetch() { return new Response("x"); } };')).statusCode).toBe(201);
    const r = await h.admin.inject({ method: 'PATCH', url: '/v1/functions/patchme/config', payload: { triggers: { crons: [CRON] } } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED' });
    const revs = await h.admin.inject({ method: 'GET', url: '/v1/functions/patchme/revisions' });
    expect((revs.json() as { revisions: { name: string }[] }).revisions.map((x) => x.name)).toEqual(['patchme-00001']);
    // A patch without crons still goes through.
    expect((await h.admin.inject({ method: 'PATCH', url: '/v1/functions/patchme/config', payload: { env: { A: 'b' } } })).statusCode).toBe(201);
  });

  it('refuses a Wasm module with crons, at deploy and by config patch', async () => {
    const r = await deploy('wcron', echoWasm, { triggers: { crons: [CRON] } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED', message: expect.stringMatching(/WebAssembly modules and components have none/) });
    expect((await h.admin.inject({ method: 'GET', url: '/v1/functions/wcron' })).statusCode).toBe(404);
    expect((await deploy('wcron', echoWasm)).statusCode).toBe(201);
    const p = await h.admin.inject({ method: 'PATCH', url: '/v1/functions/wcron/config', payload: { triggers: { crons: [CRON] } } });
    expect(p.statusCode).toBe(400);
    expect(p.json()).toMatchObject({ code: 'EDGE_ERR_MODULE_NO_SCHEDULED' });
  });

  it('accepts a JS module with scheduled and crons, and a patch changing its crons; the stored code is reused', async () => {
    const src = 'export default { fetch() { return new Response("y"); }, scheduled(c) { if (c.cron !== "0 12 * * *") throw new Error(c.cron); } };';
    const r = await deploy('withcron', src, { triggers: { crons: [CRON] } });
    expect(r.statusCode, r.body).toBe(201);
    const p = await h.admin.inject({ method: 'PATCH', url: '/v1/functions/withcron/config', payload: { triggers: { crons: ['0 12 * * *'] } } });
    expect(p.statusCode, p.body).toBe(201);
    expect(await runScheduled('withcron', '0 12 * * *')).toMatchObject({ ok: true, revision: 'withcron-00002', status: 204 });
    // The same bytes deployed again under another name with crons: stored code, still accepted.
    expect((await deploy('withcron2', src, { triggers: { crons: [CRON] } })).statusCode).toBe(201);
  });
});
