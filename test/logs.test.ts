/** Live logs: the ring per function and the server-sent event stream over a real socket. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { testHost, type TestHost } from './helpers/host.ts';
import { LogHub } from '../src/logging/index.ts';

let h: TestHost;
let adminPort = 0;
let edgePort = 0;
beforeAll(async () => {
  h = await testHost();
  const b = await h.listen();
  adminPort = b.adminPort;
  edgePort = b.edgePort;
  await h.admin.inject({ method: 'POST', url: '/v1/functions/chatty/revisions', headers: { 'content-type': 'application/javascript' },
    payload: "export default { fetch(req) { console.log('hello from', new URL(req.url).pathname); return new Response('ok'); } };" });
});
afterAll(async () => { await h.cleanup(); });

const get = (port: number, host: string, path: string) => new Promise<string>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b)); }).on('error', reject);
});

describe('LogHub', () => {
  it('keeps the most recent entries per function, oldest first', () => {
    const hub = new LogHub(3);
    for (let i = 0; i < 5; i++) hub.push({ time: '', level: 'info', source: 'guest', function: 'f', revision: 'f-00001', reqId: String(i), msg: `m${i}` });
    expect(hub.recent('f').map((e) => e.msg)).toEqual(['m2', 'm3', 'm4']);
    expect(hub.recent('f', 2).map((e) => e.msg)).toEqual(['m3', 'm4']);
    expect(hub.recent('g')).toEqual([]);
  });

  it('bounds the lines of all functions together: the oldest go first, whichever function wrote them', () => {
    const hub = new LogHub(3, 5);
    const line = (fn: string, msg: string) => hub.push({ time: '', level: 'info', source: 'guest', function: fn, revision: `${fn}-00001`, reqId: '', msg });
    line('a', 'a1'); line('a', 'a2'); line('b', 'b1'); line('a', 'a3'); line('a', 'a4'); // a1 falls to a's own bound
    expect(hub.size).toBe(4);
    line('c', 'c1'); line('c', 'c2'); // 6 lines > 5: the oldest overall (a2) goes
    expect(hub.size).toBe(5);
    expect(hub.recent('a').map((e) => e.msg)).toEqual(['a3', 'a4']);
    expect(hub.recent('b').map((e) => e.msg)).toEqual(['b1']);
    line('c', 'c3'); // b1 is now the oldest
    expect(hub.recent('b')).toEqual([]);
    expect(hub.recent('c').map((e) => e.msg)).toEqual(['c1', 'c2', 'c3']);
    hub.forget('c');
    expect(hub.size).toBe(2);
  });

  it('stays bounded over many functions and many lines', () => {
    const hub = new LogHub(10, 1000);
    for (let i = 0; i < 50_000; i++) hub.push({ time: '', level: 'info', source: 'host', function: `f${i % 3000}`, revision: '', reqId: '', msg: String(i) });
    expect(hub.size).toBe(1000);
    expect(hub.recent('f1999').map((e) => e.msg)).toEqual(['49999']); // its earlier lines (46999, …) are older than the last 1,000
    expect(hub.recent('f2999')).toEqual([]);
    // The most recent 1,000 lines are the ones kept: 49,000 … 49,999.
    const kept = new Set<string>();
    for (let f = 0; f < 3000; f++) for (const e of hub.recent(`f${f}`)) kept.add(e.msg);
    expect(kept.size).toBe(1000);
    expect(Math.min(...[...kept].map(Number))).toBe(49_000);
  });
});

describe('GET /v1/functions/{name}/logs', () => {
  it('returns guest console lines and request lines with revision and request id', async () => {
    await get(edgePort, 'chatty.localhost', '/one');
    await new Promise((r) => setTimeout(r, 50));
    const body = JSON.parse(await get(adminPort, '127.0.0.1', '/v1/functions/chatty/logs')) as { logs: { source: string; msg: string; revision: string; reqId: string }[] };
    const guest = body.logs.find((l) => l.source === 'guest');
    const hostLine = body.logs.find((l) => l.source === 'host');
    expect(guest).toMatchObject({ msg: 'hello from /one', revision: 'chatty-00001' });
    expect(hostLine?.msg).toMatch(/^GET \/one 200 [\d.]+ ms \((hot|warm|cold)\)$/);
    expect(guest!.reqId).toBe(hostLine!.reqId);
  });

  it('streams history and live entries as server-sent events with follow=true', async () => {
    const events: { msg: string }[] = [];
    const req = http.get({ host: '127.0.0.1', port: adminPort, path: '/v1/functions/chatty/logs?follow=true&tail=1', headers: { host: '127.0.0.1' } });
    const done = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
            const chunk = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = /^data: (.*)$/m.exec(chunk)?.[1];
            if (data) events.push(JSON.parse(data) as { msg: string });
            if (events.some((e) => e.msg === 'hello from /live')) { req.destroy(); resolve(); }
          }
        });
      });
      req.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 50));
    await get(edgePort, 'chatty.localhost', '/live');
    await done;
    expect(events.length).toBeGreaterThanOrEqual(2); // one line of history, then the live ones
    expect(events.map((e) => e.msg)).toContain('hello from /live');
  });

  it('answers 404 with a code for an unknown function', async () => {
    expect(JSON.parse(await get(adminPort, '127.0.0.1', '/v1/functions/nope/logs'))).toMatchObject({ code: 'EDGE_ERR_FUNCTION_NOT_FOUND' });
  });
});
