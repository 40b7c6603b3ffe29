import { Instance } from './src/runtime/js/index.ts';
import ivm from 'isolated-vm';
const log = (l: string, r: string, t: string) => console.log('LOG', l, r, t);
new Instance({ memoryMb: 32, log }).dispose(); const inst = new Instance({ memoryMb: 32, log, warmup: process.env.W === "1" });
console.log('created ms', inst.createdMs);
const script = `var __isoedge_module = (() => { return { default: { async fetch(req, env, ctx) {
  const u = new URL(req.url); console.log('hi', u.pathname, u.searchParams.get('x'));
  const body = await req.text();
  return Response.json({ method: req.method, path: u.pathname, q: Object.fromEntries(u.searchParams), body, env, h: req.headers.get('x-a'), uuid: crypto.randomUUID().length, b: btoa('hi'), s: structuredClone({a:[1,2]}) }, { status: 201, headers: [['set-cookie','a=1'],['set-cookie','b=2']] });
} } }; })();`;
const iso2 = new ivm.Isolate();
const s = iso2.compileScriptSync(script, { produceCachedData: true });
const cache = s.cachedData;
const rev = { id: 'x-00001', fn: 'x', digest: 'd', runtime: 'js' as const, script, cache: null, env: { A: '1' }, concurrency: 0, limits: { cpuMs: 50, wallMs: 1000, memoryMb: 32 } };
let t0 = performance.now();
inst.specialise(rev, cache);
console.log('specialise ms', performance.now() - t0);
for (let i = 0; i < 3; i++) {
  t0 = performance.now();
  const r = await inst.invoke({ reqId: 'r' + i, method: 'POST', url: 'http://x.localhost/a/b?x=1', headers: [['x-a', 'v']], body: new TextEncoder().encode('héllo') }, i);
  console.log(performance.now() - t0, r.ok ? [r.status, r.headers, r.body] : r);
}
const inst2 = new Instance({ memoryMb: 32, log });
inst2.specialise({ ...rev, script: `var __isoedge_module = { default: { fetch(req) { if (req.url.includes('loop')) while(true){}; if (req.url.includes('oom')) { const a=[]; while(true) a.push(new Array(1e6).fill(1)); } if (req.url.includes('timer')) return new Promise(r => setTimeout(() => r(new Response('late')), 20)); return 42 } } };` }, undefined);
for (const path of ['/bad', '/timer', '/loop']) { t0 = performance.now(); const r = await inst2.invoke({ reqId: 'q', method: 'GET', url: 'http://x.localhost' + path, headers: [], body: null }, 100); console.log(path, performance.now() - t0, r); }
const inst3 = new Instance({ memoryMb: 16, log });
inst3.specialise({ ...rev, script: `var __isoedge_module = { default: { fetch(req) { const a=[]; while(true) a.push(new Array(1e5).fill(1)); } } };`, limits: {cpuMs: 5000, wallMs: 10000, memoryMb: 16} }, undefined);
t0 = performance.now(); const r = await inst3.invoke({ reqId: 'q', method: 'GET', url: 'http://x.localhost/', headers: [], body: null }, 100); console.log('oom', performance.now() - t0, r);
inst.dispose(); inst2.dispose(); inst3.dispose(); iso2.dispose();
