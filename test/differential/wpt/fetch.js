// Fetch API objects (Headers, Request, Response, bodies) in the style of web-platform-tests fetch/api/ (written for isoedge; no network).
import { arr, attempt, c, caseWorker } from '../harness.ts';

export const cases = [
  c('Headers names are case-insensitive and sorted', 'fetch/api/headers/headers-basic.any.js', () => [...new Headers({ 'X-B': '1', 'x-a': '2' })], [['x-a', '2'], ['x-b', '1']]),
  c('Headers.append joins with comma-space', 'fetch/api/headers/headers-combine.any.js', () => { const h = new Headers(); h.append('a', '1'); h.append('A', '2'); return h.get('a'); }, '1, 2'),
  c('getSetCookie keeps cookies apart', 'fetch/api/headers/header-setcookie.any.js', () => { const h = new Headers([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]); return [h.getSetCookie(), [...h].length]; }, [['a=1', 'b=2'], 2]),
  c('invalid header name throws TypeError', 'fetch/api/headers/headers-errors.any.js', () => attempt(() => new Headers({ 'a b': 'x' })), { threw: 'TypeError' }),
  c('header values are trimmed of whitespace', 'fetch/api/headers/headers-normalize.any.js', () => new Headers({ a: ' \t v \t ' }).get('a'), 'v'),
  c('Request defaults', 'fetch/api/request/request-structure.any.js', () => { const r = new Request('http://h/p'); return [r.method, r.url, r.redirect, r.bodyUsed]; }, ['GET', 'http://h/p', 'follow', false]),
  c('Request method is normalised', 'fetch/api/request/request-init-001.sub.html', () => [new Request('http://h/', { method: 'post' }).method, new Request('http://h/', { method: 'patch' }).method], ['POST', 'patch']),
  c('GET with a body throws TypeError', 'fetch/api/request/request-error.any.js', () => attempt(() => new Request('http://h/', { body: 'x' })), { threw: 'TypeError' }),
  c('Request body text and content type', 'fetch/api/request/request-consume.any.js', async () => { const r = new Request('http://h/', { method: 'POST', body: 'hi' }); return [r.headers.get('content-type'), await r.text()]; }, ['text/plain;charset=UTF-8', 'hi']),
  c('Request.clone keeps the body', 'fetch/api/request/request-clone.any.js', async () => { const r = new Request('http://h/', { method: 'PUT', body: 'b' }); const k = r.clone(); return [await r.text(), await k.text()]; }, ['b', 'b']),
  c('Response defaults', 'fetch/api/response/response-init-001.any.js', () => { const r = new Response(); return [r.status, r.statusText, r.ok, r.type, r.headers.get('content-type')]; }, [200, '', true, 'default', null]),
  c('Response status out of range throws RangeError', 'fetch/api/response/response-error.any.js', () => attempt(() => new Response('', { status: 600 })), { threw: 'RangeError' }),
  c('Response with null body status and a body throws TypeError', 'fetch/api/response/response-error.any.js', () => attempt(() => new Response('x', { status: 204 })), { threw: 'TypeError' }),
  c('Response.json', 'fetch/api/response/response-static-json.any.js', async () => { const r = Response.json({ a: 1 }, { status: 201 }); return [r.status, r.headers.get('content-type'), await r.text()]; }, [201, 'application/json', '{"a":1}']),
  c('Response.redirect', 'fetch/api/response/response-static-redirect.any.js', () => { const r = Response.redirect('http://h/x', 301); return [r.status, r.headers.get('location')]; }, [301, 'http://h/x']),
  c('Response.redirect with a bad status throws RangeError', 'fetch/api/response/response-static-redirect.any.js', () => attempt(() => Response.redirect('http://h/', 200)), { threw: 'RangeError' }),
  c('Response.error', 'fetch/api/response/response-static-error.any.js', () => { const r = Response.error(); return [r.type, r.status]; }, ['error', 0]),
  c('body used twice rejects TypeError', 'fetch/api/response/response-consume-empty.any.js', async () => { const r = new Response('x'); await r.text(); return [r.bodyUsed, await attempt(() => r.text())]; }, [true, { threw: 'TypeError' }]),
  c('URLSearchParams body', 'fetch/api/request/request-consume.any.js', async () => { const r = new Response(new URLSearchParams('a=1&b=2')); return [r.headers.get('content-type'), await r.text()]; }, ['application/x-www-form-urlencoded;charset=UTF-8', 'a=1&b=2']),
  c('arrayBuffer of a typed array body', 'fetch/api/response/response-consume.html', async () => arr(await new Response(new Uint8Array([1, 2, 3])).arrayBuffer()), [1, 2, 3]),
  c('FormData body round trip', 'fetch/api/request/request-consume.any.js', async () => { const f = new FormData(); f.append('k', 'v'); f.append('f', new Blob(['x'], { type: 'text/plain' }), 'a.txt'); const back = await new Response(f).formData(); const file = back.get('f'); return [back.get('k'), file.name, file.type, await file.text()]; }, ['v', 'a.txt', 'text/plain', 'x']),
  c('json() of invalid JSON rejects SyntaxError', 'fetch/api/response/response-consume.html', async () => attempt(() => new Response('{').json()), { threw: 'SyntaxError' }),
  c('stream body', 'fetch/api/response/response-stream-with-broken-then.any.js', async () => new Response(new ReadableStream({ start(ctl) { ctl.enqueue(new TextEncoder().encode('s')); ctl.close(); } })).text(), 's'),
  c('blob() keeps the content type', 'fetch/api/response/response-consume.html', async () => { const b = await new Response('x', { headers: { 'content-type': 'text/x' } }).blob(); return [b.type, b.size]; }, ['text/x', 1]),
];

export default caseWorker(cases);
