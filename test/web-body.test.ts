/**
 * Request and Response bodies inside the guest (Fetch §6.2 "Body mixin"): every BodyInit with its
 * default content type, bodies as ReadableStreams, consumption (text, json, arrayBuffer, bytes,
 * blob, formData), clone() with tee, multipart/form-data serialization and parsing, and stream
 * responses collected at the boundary under limits.responseBytes. Each case is after a
 * web-platform-tests case; the file it comes from is named in the table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';
import { Instance } from '../src/runtime/js/index.ts';
import { BASE_LIMITS, type ResponseStream, type RevisionSpec } from '../src/runtime/types.ts';

type Case = { wpt: string; name: string; body: string; expect: unknown };

const H = `
  const readText = async (reader) => { let s = ''; const d = new TextDecoder(); for (;;) { const r = reader.read.length === 0 && !(reader instanceof ReadableStreamBYOBReader) ? await reader.read() : await reader.read(new Uint8Array(64)); if (r.done) return s; s += d.decode(r.value); } };
  const mp = (...lines) => lines.join('\\r\\n');
`;
const run = (body: string): Promise<unknown> => guestEval(H + body);

const CONTENT_TYPES: Case[] = [
  { wpt: 'fetch/api/response/response-init-contenttype.any.js', name: 'default Content-Type of each BodyInit on a Response',
    body: `const ct = (b) => new Response(b).headers.get('content-type'); return [ct('s'), ct(new URLSearchParams('a=b')), ct(new Blob([], { type: 'image/png' })), ct(new Blob([])), ct(new ArrayBuffer(1)), ct(new Uint8Array(1)), ct(new ReadableStream()), ct(null), /^multipart\\/form-data; boundary=[0-9A-Za-z-]{27,70}$/.test(ct(new FormData()))];`,
    expect: ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded;charset=UTF-8', 'image/png', null, null, null, null, null, true] },
  { wpt: 'fetch/api/request/request-init-contenttype.any.js', name: 'default Content-Type on a Request, and an explicit one wins',
    body: `const ct = (b, h) => new Request('http://x/', { method: 'POST', body: b, headers: h }).headers.get('content-type'); return [ct('s'), ct(new Blob([], { type: 'a/b' })), ct('s', { 'content-type': 'x/y' }), ct(new FormData(), { 'Content-Type': 'z/z' })];`,
    expect: ['text/plain;charset=UTF-8', 'a/b', 'x/y', 'z/z'] },
];

const CONSUME: Case[] = [
  { wpt: 'fetch/api/response/response-consume-stream.any.js', name: "every BodyInit's body is a ReadableStream of its bytes (default reader)",
    body: `const fd = new FormData(); fd.append('name', 'value'); const t = (b) => readText(new Response(b).body.getReader()); return [await t('text'), await t(new Blob(['blob'])), await t(new URLSearchParams('a=b&c=d')), await t(new TextEncoder().encode('ab').buffer), (await t(fd)).includes('Content-Disposition: form-data; name="name"\\r\\n\\r\\nvalue'), await t('')];`,
    expect: ['text', 'blob', 'a=b&c=d', 'ab', true, ''] },
  { wpt: 'fetch/api/response/response-consume-stream.any.js', name: "a body stream is a byte stream: it can be read with mode 'byob'",
    body: `const t = (b) => readText(new Response(b).body.getReader({ mode: 'byob' })); return [await t('text'), await t(new URLSearchParams('a=b')), await t(new Uint8Array([104, 105]))];`,
    expect: ['text', 'a=b', 'hi'] },
  { wpt: 'fetch/api/response/response-consume-stream.any.js', name: 'Response.error() and a null-body Response have a null body',
    body: `return [Response.error().body, new Response(null).body, new Response(null, { status: 204 }).body];`,
    expect: [null, null, null] },
  { wpt: 'fetch/api/request/request-consume.any.js', name: 'text, json, arrayBuffer, bytes of a Request body',
    body: `const mk = () => new Request('http://x/', { method: 'POST', body: '{"a":[1,2]}' }); const ab = await mk().arrayBuffer(); return [await mk().text(), await mk().json(), ab instanceof ArrayBuffer, ab.byteLength, [...await mk().bytes()].length];`,
    expect: ['{"a":[1,2]}', { a: [1, 2] }, true, 11, 11] },
  { wpt: 'fetch/api/body/mime-type.any.js', name: 'blob() takes its type from the Content-Type header at the time of reading',
    body: `const r = new Response('x', { headers: { 'Content-Type': 'text/plain' } }); r.headers.set('Content-Type', 'test/test'); const b = await r.blob(); return [b instanceof Blob, b.type, await b.text(), (await new Response(new Uint8Array([1])).blob()).type];`,
    expect: [true, 'test/test', 'x', ''] },
  { wpt: 'fetch/api/response/response-consume-empty.any.js', name: 'consuming a null body gives empty values and leaves bodyUsed false',
    body: `const r = new Response(); const t = await r.text(); const a = await r.arrayBuffer(); const b = await r.blob(); let j; try { await r.json(); j = 'parsed'; } catch (e) { j = e.name; } return [t, a.byteLength, b.size, j, r.bodyUsed];`,
    expect: ['', 0, 0, 'SyntaxError', false] },
  { wpt: 'fetch/api/response/response-consume-empty.any.js', name: 'formData() of a null body: urlencoded gives an empty FormData, multipart and no type are TypeErrors',
    body: `const f = (h) => new Response(undefined, { headers: h }).formData().then((x) => x instanceof FormData && [...x].length, (e) => e instanceof TypeError ? 'TypeError' : String(e)); return [await f({ 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }), await f({ 'content-type': 'multipart/form-data; boundary="boundary"' }), await f({})];`,
    expect: [0, 'TypeError', 'TypeError'] },
  { wpt: 'fetch/api/response/response-consume-empty.any.js', name: 'consuming an empty non-null body sets bodyUsed; a second read rejects with TypeError',
    body: `const r = new Response(''); await r.text(); let again; try { await r.text(); again = 'read'; } catch (e) { again = e instanceof TypeError; } return [r.bodyUsed, again];`,
    expect: [true, true] },
  { wpt: 'fetch/api/body/formdata.any.js', name: 'formData() parses application/x-www-form-urlencoded',
    body: `const fd = await new Response('a=1&b=x+y&a=%C3%A9', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData(); return [...fd];`,
    expect: [['a', '1'], ['b', 'x y'], ['a', 'é']] },
  { wpt: 'fetch/api/response/response-stream-disturbed-1.any.js', name: 'reading body through its stream makes bodyUsed true and text() reject',
    body: `const r = new Response('abc'); const s = r.body; const same = r.body === s; const before = r.bodyUsed; await s.getReader().read(); let t; try { await r.text(); t = 'read'; } catch (e) { t = e instanceof TypeError; } return [same, before, r.bodyUsed, t];`,
    expect: [true, false, true, true] },
  { wpt: 'fetch/api/response/response-stream-disturbed-2.any.js', name: 'text() on a locked body stream rejects with TypeError, bodyUsed stays false',
    body: `const r = new Response('abc'); r.body.getReader(); let t; try { await r.text(); t = 'read'; } catch (e) { t = e instanceof TypeError; } return [t, r.bodyUsed];`,
    expect: [true, false] },
];

const STREAM_BODIES: Case[] = [
  { wpt: 'fetch/api/request/request-init-stream.any.js', name: 'Constructing a Request with a stream holds the original object',
    body: `const body = new ReadableStream({}); const r = new Request('http://x/', { method: 'POST', body, duplex: 'half' }); return [r.body === body, new Response(body).body === body];`,
    expect: [true, true] },
  { wpt: 'fetch/api/request/request-init-stream.any.js', name: 'a stream on which getReader() or read() was called is refused with TypeError',
    body: `const a = new ReadableStream(); a.getReader(); const b = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array()) }); const rb = b.getReader(); await rb.read(); rb.releaseLock(); return [a, b].map((body) => { try { new Request('http://x/', { method: 'POST', body, duplex: 'half' }); return 'made'; } catch (e) { return e instanceof TypeError; } });`,
    expect: [true, true] },
  { wpt: 'fetch/api/request/request-init-stream.any.js', name: "duplex: 'full' is a TypeError; a Request whose body stream is read cannot be the input of another",
    body: `let full; try { new Request('http://x/', { method: 'POST', body: 's', duplex: 'full' }); full = 'made'; } catch (e) { full = e instanceof TypeError; } const req = new Request('http://x/', { method: 'POST', body: '...' }); await req.body.getReader().read(); let again; try { new Request(req); again = 'made'; } catch (e) { again = e instanceof TypeError; } return [full, again, new Request(req, { body: 'x' }).method];`,
    expect: [true, true, 'POST'] },
  { wpt: 'fetch/api/response/response-consume-stream.any.js', name: 'new Response(readableStream) of Uint8Array chunks reads as text, bytes and json',
    body: `const mk = (parts) => new Response(new ReadableStream({ start(c) { for (const p of parts) c.enqueue(new TextEncoder().encode(p)); c.close(); } })); return [await mk(['he', 'llo']).text(), [...await mk(['a', 'b']).bytes()], await mk(['{"k":', '1}']).json()];`,
    expect: ['hello', [97, 98], { k: 1 }] },
  { wpt: 'fetch/api/response/response-error-from-stream.any.js', name: 'a stream chunk that is not a Uint8Array rejects text() with TypeError; an errored stream rejects with its error',
    body: `const bad = new Response(new ReadableStream({ start(c) { c.enqueue('str'); c.close(); } })); const err = new Response(new ReadableStream({ start(c) { c.error(new RangeError('x')); } })); return [await bad.text().catch((e) => e instanceof TypeError), await err.text().catch((e) => e.name)];`,
    expect: [true, 'RangeError'] },
  { wpt: 'fetch/api/response/response-clone.any.js', name: 'clone() of a stream body tees it: both read the whole body',
    body: `const r = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104])); c.enqueue(new Uint8Array([105])); c.close(); } })); const c = r.clone(); return [await r.text(), await c.text()];`,
    expect: ['hi', 'hi'] },
  { wpt: 'fetch/api/response/response-clone.any.js', name: 'clone() of a buffered body, after body was read as a stream, and of a used body',
    body: `const r = new Response('abc', { status: 201, headers: { 'x-a': 'b' } }); const c = r.clone(); const s = r.body; const c2 = r.clone(); await r.text(); let used; try { r.clone(); used = 'cloned'; } catch (e) { used = e instanceof TypeError; } return [c.status, c.headers.get('x-a'), await c.text(), await c2.text(), used, s === r.body];`,
    expect: [201, 'b', 'abc', 'abc', true, false] },
  { wpt: 'fetch/api/request/request-clone.any.js', name: 'Request.clone() tees a stream body',
    body: `const r = new Request('http://x/', { method: 'PUT', body: new Blob(['blob!']).stream(), duplex: 'half' }); const c = r.clone(); return [c.method, await c.text(), await r.text()];`,
    expect: ['PUT', 'blob!', 'blob!'] },
  { wpt: 'fetch/api/response/response-consume-stream.any.js', name: 'a body piped through a TransformStream into a new Response',
    body: `const up = new TransformStream({ transform(chunk, c) { c.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase())); } }); return await new Response(new Response('shout').body.pipeThrough(up)).text();`,
    expect: 'SHOUT' },
];

/** fetch/api/body/formdata-parsing.any.js: [description, payload lines, expected entries (a File as {name,type,body})]. */
type Entry = [string, string | { name: string; type: string; body: string }];
const PARSE_OK: [string, string[], Entry[]][] = [
  ['file part without Content-Type', ['--boundary', 'Content-Disposition: form-data; name="file"; filename="hello.txt"', '', 'file contents', '--boundary--', ''], [['file', { name: 'hello.txt', type: 'text/plain', body: 'file contents' }]]],
  ['file part with Content-Type before Content-Disposition', ['--boundary', 'Content-Type: image/png', 'Content-Disposition: form-data; name="file"; filename="image.png"', '', 'PNG', '--boundary--', ''], [['file', { name: 'image.png', type: 'image/png', body: 'PNG' }]]],
  ['string and file parts', ['--boundary', 'Content-Disposition: form-data; name="field1"', '', 'value1', '--boundary', 'Content-Disposition: form-data; name="file"; filename="doc.txt"', 'Content-Type: text/plain', '', 'file data', '--boundary', 'Content-Disposition: form-data; name="field2"', '', 'value2', '--boundary--', ''], [['field1', 'value1'], ['file', { name: 'doc.txt', type: 'text/plain', body: 'file data' }], ['field2', 'value2']]],
  ['percent sequences in a name are not decoded', ['--boundary', 'Content-Disposition: form-data; name="a%0Ab%0Dc%22d%25f"', '', 'value', '--boundary--', ''], [['a%0Ab%0Dc%22d%25f', 'value']]],
  ['empty filename', ['--boundary', 'Content-Disposition: form-data; name="a"; filename=""', '', 'value', '--boundary--', ''], [['a', { name: '', type: 'text/plain', body: 'value' }]]],
  ['value containing --boundary not preceded by CRLF', ['--boundary', 'Content-Disposition: form-data; name="a"', '', 'x--boundary', '--boundary--', ''], [['a', 'x--boundary']]],
  ['value containing CRLF', ['--boundary', 'Content-Disposition: form-data; name="a"', '', 'line1', 'line2', '--boundary--', ''], [['a', 'line1\r\nline2']]],
  ['transport padding after a delimiter', ['--boundary \t', 'Content-Disposition: form-data; name="a"', '', 'value', '--boundary--', ''], [['a', 'value']]],
  ['transport padding after close delimiter at end of input', ['--boundary', 'Content-Disposition: form-data; name="a"', '', 'value', '--boundary--  '], [['a', 'value']]],
  ['epilogue after close delimiter', ['--boundary', 'Content-Disposition: form-data; name="a"', '', 'value', '--boundary--', 'epilogue'], [['a', 'value']]],
  ['header names are case-insensitive; whitespace around a header name', ['--boundary', ' CONTENT-DISPOSITION \t: form-data; name="a"; filename="f"', 'CoNtEnT-TyPe: text/html', '', 'value', '--boundary--', ''], [['a', { name: 'f', type: 'text/html', body: 'value' }]]],
  ['duplicate Content-Type, last one wins', ['--boundary', 'Content-Disposition: form-data; name="a"; filename="f"', 'Content-Type: text/html', 'Content-Type: text/plain', '', 'value', '--boundary--', ''], [['a', { name: 'f', type: 'text/plain', body: 'value' }]]],
  ['Content-Type is serialized as a MIME type', ['--boundary', 'Content-Disposition: form-data; name="a"; filename="f"', 'Content-Type: TEXT/HTML;;x="y"', '', 'value', '--boundary--', ''], [['a', { name: 'f', type: 'text/html;x=y', body: 'value' }]]],
  ['Content-Type that is not a MIME type is ignored; empty Content-Type', ['--boundary', 'Content-Disposition: form-data; name="a"; filename="f"', 'Content-Type: text', '', 'v', '--boundary', 'Content-Disposition: form-data; name="b"; filename="g"', 'Content-Type:', '', 'w', '--boundary--', ''], [['a', { name: 'f', type: '', body: 'v' }], ['b', { name: 'g', type: '', body: 'w' }]]],
  ['non-ASCII name, filename and value', ['--boundary', 'Content-Disposition: form-data; name="é"', '', '😀', '--boundary', 'Content-Disposition: form-data; name="a"; filename="中文.txt"', '', 'v', '--boundary--', ''], [['é', '😀'], ['a', { name: '中文.txt', type: 'text/plain', body: 'v' }]]],
];
const PARSE_FAIL: [string, string[]][] = [
  ['preamble before the first delimiter', ['preamble', '--boundary', 'Content-Disposition: form-data; name="a"', '', 'value', '--boundary--', '']],
  ['junk after close delimiter', ['--boundary', 'Content-Disposition: form-data; name="a"', '', 'value', '--boundary--junk', '']],
  ['part without headers', ['--boundary', '', 'value', '--boundary--', '']],
  ['no Content-Disposition', ['--boundary', 'Content-Type: text/plain', '', 'value', '--boundary--', '']],
  ['header without a colon', ['--boundary', 'Content-Disposition form-data; name="a"', '', 'value', '--boundary--', '']],
  ['header name that is not a token', ['--boundary', 'Content-Disposition: form-data; name="a"', 'Cont ent-Type: text/plain', '', 'value', '--boundary--', '']],
  ['obs-fold continuation line', ['--boundary', 'Content-Disposition: form-data;', ' name="a"', '', 'value', '--boundary--', '']],
  ['NUL in a name', ['--boundary', 'Content-Disposition: form-data; name="a\u0000b"', '', 'value', '--boundary--', '']],
  ['no close delimiter', ['--boundary', 'Content-Disposition: form-data; name="a"', '', 'value']],
  ['bare LF in a name', ['--boundary', 'Content-Disposition: form-data; name="a\nb"', '', 'value', '--boundary--', '']],
  ['nothing after the first delimiter', ['--boundary']],
];

const SERIALIZE: Case[] = [
  { wpt: 'fetch/api/body/formdata-serializing.any.js', name: 'Serialize string and File entries; a Blob without a type is application/octet-stream named blob',
    body: `const fd = new FormData(); fd.append('a', '1'); fd.append('f', new File(['contents'], 'b.txt', { type: 'text/plain' })); fd.append('g', new Blob(['x'])); const r = new Response(fd); const b = r.headers.get('content-type').slice('multipart/form-data; boundary='.length); return (await r.text()).split(b).join('B');`,
    expect: '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="b.txt"\r\nContent-Type: text/plain\r\n\r\ncontents\r\n--B\r\nContent-Disposition: form-data; name="g"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n--B--\r\n' },
  { wpt: 'fetch/api/body/formdata-serializing.any.js', name: 'names: newlines normalized to CRLF then escaped; filenames escaped only; values normalized only',
    body: `const fd = new FormData(); fd.append('a\\nb"c', 'x\\ny'); fd.append('f', new File([], 'b\\rc"d', { type: 't/p' })); const r = new Response(fd); return (await r.text()).split('\\r\\n').filter((l) => l.startsWith('Content-Disposition') || l === 'x' || l === 'y');`,
    expect: ['Content-Disposition: form-data; name="a%0D%0Ab%22c"', 'x', 'y', 'Content-Disposition: form-data; name="f"; filename="b%0Dc%22d"'] },
  { wpt: 'fetch/api/body/formdata-serializing.any.js', name: 'two payloads do not share a boundary; an empty FormData is just the close delimiter',
    body: `const fd = new FormData(); const a = new Response(fd), b = new Response(fd); const bd = a.headers.get('content-type').slice(30); return [a.headers.get('content-type') !== b.headers.get('content-type'), (await a.text()) === '--' + bd + '--\\r\\n'];`,
    expect: [true, true] },
  { wpt: 'fetch/api/body/formdata-serializing.any.js', name: 'Round trip File and Blob entries (parsed files have lastModified 0)',
    body: `const fd = new FormData(); fd.append('a', new File(['contents'], 'b.txt', { type: 'text/plain' })); fd.append('c', new Blob(['more'], { type: 'text/html' })); fd.append('s', 'v'); const p = await new Response(fd).formData(); const a = p.get('a'), c = p.get('c'); return [a instanceof File, a.name, a.type, await a.text(), c.name, c.type, await c.text(), p.get('s'), a.lastModified];`,
    expect: [true, 'b.txt', 'text/plain', 'contents', 'blob', 'text/html', 'more', 'v', 0] },
];

describe('Body: content types', () => {
  for (const c of CONTENT_TYPES) it(`${c.name} (${c.wpt})`, async () => { expect(await run(c.body)).toEqual(c.expect); });
});
describe('Body: consumption', () => {
  for (const c of CONSUME) it(`${c.name} (${c.wpt})`, async () => { expect(await run(c.body)).toEqual(c.expect); });
});
describe('Body: streams', () => {
  for (const c of STREAM_BODIES) it(`${c.name} (${c.wpt})`, async () => { expect(await run(c.body)).toEqual(c.expect); });
});
describe('Body: multipart/form-data', () => {
  const parse = `const parse = async (lines, ct = 'multipart/form-data; boundary=boundary') => { const fd = await new Response(lines.join('\\r\\n'), { headers: [['Content-Type', ct]] }).formData(); const out = []; for (const [k, v] of fd) out.push([k, typeof v === 'string' ? v : { name: v.name, type: v.type, body: await v.text() }]); return out; };`;
  for (const [name, lines, entries] of PARSE_OK) {
    it(`Parse ${name} (fetch/api/body/formdata-parsing.any.js)`, async () => {
      expect(await run(`${parse} return await parse(${JSON.stringify(lines)});`)).toEqual(entries);
    });
  }
  for (const [name, lines] of PARSE_FAIL) {
    it(`Parse failure: ${name} (fetch/api/body/formdata-parsing.any.js)`, async () => {
      expect(await run(`${parse} try { return await parse(${JSON.stringify(lines)}); } catch (e) { return e instanceof TypeError ? 'TypeError' : String(e); }`)).toBe('TypeError');
    });
  }
  it('Parse a quoted boundary parameter; no or an empty boundary parameter is a TypeError (fetch/api/body/formdata-parsing.any.js)', async () => {
    expect(await run(`${parse} const ok = await parse(['--a.b(c)', 'Content-Disposition: form-data; name="a"', '', 'value', '--a.b(c)--', ''], 'multipart/form-data; boundary="a.b(c)"'); const f = (ct) => parse(['--', 'Content-Disposition: form-data; name="a"', '', 'v', '----', ''], ct).then(() => 'parsed', (e) => e instanceof TypeError); return [ok, await f('multipart/form-data'), await f('multipart/form-data; boundary=""')];`))
      .toEqual([[['a', 'value']], true, true]);
  });
  it('Parse a file part with arbitrary bytes; invalid UTF-8 in a name becomes U+FFFD (fetch/api/body/formdata-parsing.any.js)', async () => {
    expect(await run(`const u = (s) => [...new TextEncoder().encode(s)]; const body = new Uint8Array([...u('--boundary\\r\\nContent-Disposition: form-data; name="a'), 0xff, ...u('"; filename="f"\\r\\n\\r\\n'), 0, 0x80, 0xff, 13, 10, 45, 45, ...u('\\r\\n--boundary--\\r\\n')]); const fd = await new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary=boundary' } }).formData(); const [[k, v]] = [...fd]; return [k, [...await v.bytes()]];`))
      .toEqual(['a\ufffd', [0, 0x80, 0xff, 13, 10, 45, 45]]);
  });
  for (const c of SERIALIZE) it(`${c.name} (${c.wpt})`, async () => { expect(await run(c.body)).toEqual(c.expect); });
});

// ---- through a real instance: the request's body as a stream, a stream response collected at the boundary ----
const live: Instance[] = [];
afterAll(() => { for (const i of live.splice(0)) i.dispose(); });
function instance(fetchBody: string, responseBytes = BASE_LIMITS.responseBytes, cpuMs = 1000, logs?: string[]): Instance {
  const inst = new Instance({ memoryMb: 64, warmup: true, log: (_l, _r, t) => logs?.push(t) });
  live.push(inst);
  const spec: RevisionSpec = {
    id: 'w-00001', fn: 'w', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {},
    script: `var __isoedge_module = { default: { async fetch(request, env, ctx) { ${fetchBody} } } };`,
    limits: { ...BASE_LIMITS, cpuMs, wallMs: 10_000, memoryMb: 64, responseBytes },
  };
  inst.specialise(spec, undefined);
  return inst;
}
let n = 0;
const invoke = (inst: Instance, body: Uint8Array | null = null, headers: [string, string][] = []) =>
  inst.invoke({ reqId: `b-${++n}`, method: body ? 'POST' : 'GET', url: 'http://w.localhost/', headers, body }, n);
const text = (b: unknown) => (typeof b === 'string' ? b : new TextDecoder().decode(b as Uint8Array));

/** Reads a streaming response body (a ResponseStream) to its end: its chunks as text; rejects as the stream fails. */
async function drain(body: unknown): Promise<string[]> {
  const s = body as ResponseStream;
  const out: string[] = [];
  for (let c = await s.read(65536); c !== null; c = await s.read(65536)) out.push(new TextDecoder().decode(c));
  return out;
}

describe('Body: at the boundary (a real instance)', () => {
  it('a ReadableStream response streams: the head at once, then each chunk as the host reads it, then the end', async () => {
    const inst = instance(`
      let i = 0;
      const s = new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 1)); if (i === 3) { c.close(); return; } c.enqueue(new TextEncoder().encode('chunk' + i++ + ';')); } });
      return new Response(s, { status: 202, headers: { 'x-s': '1' } });`);
    const r = await invoke(inst);
    if (!r.ok) throw new Error(r.code);
    expect([r.status, r.headers.find(([k]) => k === 'x-s')?.[1]]).toEqual([202, '1']);
    expect(await drain(r.body)).toEqual(['chunk0;', 'chunk1;', 'chunk2;']);
    expect(inst.disposed).toBe(false);
  });
  it('a stream response over limits.responseBytes fails with EDGE_ERR_RESPONSE_TOO_LARGE and the stream is cancelled', async () => {
    const inst = instance(`return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1024)); }, cancel() { console.log('cancelled'); } }));`, 4096);
    const r = await invoke(inst);
    if (!r.ok) throw new Error(r.code);
    await expect(drain(r.body)).rejects.toMatchObject({ code: 'EDGE_ERR_RESPONSE_TOO_LARGE' });
  });
  it('a stream response that errors after its head ends the stream with the error, as the handler throwing would', async () => {
    const inst = instance(`return new Response(new ReadableStream({ pull(c) { c.error(new RangeError('broken stream')); } }));`);
    const r = await invoke(inst);
    if (!r.ok) throw new Error(r.code);
    await expect(drain(r.body)).rejects.toMatchObject({ code: 'EDGE_ERR_FUNCTION_THREW', message: 'RangeError: broken stream' });
  });
  it('the CPU a stream spends after the handler returned (pulls from timers) counts against the request: EDGE_ERR_CPU_LIMIT', async () => {
    const inst = instance(`return new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 1)); const end = Date.now() + 30; while (Date.now() < end); c.enqueue(new Uint8Array(1)); } }));`, BASE_LIMITS.responseBytes, 50);
    const r = await invoke(inst);
    if (!r.ok) throw new Error(r.code);
    await expect(drain(r.body)).rejects.toMatchObject({ code: 'EDGE_ERR_CPU_LIMIT' });
  });
  it('a stream of strings or objects instead of bytes ends with EDGE_ERR_BAD_RESPONSE; the instance serves on', async () => {
    const inst = instance(`return new URL(request.url).pathname === '/ok' ? new Response('fine') : new Response(new ReadableStream({ pull(c) { c.enqueue('text'); } }));`);
    const r = await invoke(inst);
    if (!r.ok) throw new Error(r.code);
    await expect(drain(r.body)).rejects.toMatchObject({ code: 'EDGE_ERR_BAD_RESPONSE' });
    const again = await inst.invoke({ reqId: 'again', method: 'GET', url: 'http://w.localhost/ok', headers: [], body: null }, 99);
    expect(again.ok && again.body).toBe('fine');
  });
  it('a content-length the stream does not match ends it with EDGE_ERR_BAD_RESPONSE', async () => {
    const inst = instance(`return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(3)); c.close(); } }), { headers: { 'content-length': '5' } });`);
    const r = await invoke(inst);
    if (!r.ok) throw new Error(r.code);
    await expect(drain(r.body)).rejects.toMatchObject({ code: 'EDGE_ERR_BAD_RESPONSE' });
  });
  it('cancelling a streaming response (the client went away) runs the source\'s cancel and aborts request.signal', async () => {
    const logs: string[] = [];
    const inst = instance(`
      request.signal.addEventListener('abort', () => console.log('aborted: ' + request.signal.reason.name));
      return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(8)); }, cancel(why) { console.log('cancel: ' + why.name); } }));`, BASE_LIMITS.responseBytes, 1000, logs);
    const r = await invoke(inst);
    if (!r.ok || r.body === null || typeof r.body === 'string' || r.body instanceof Uint8Array) throw new Error('no stream');
    expect((await r.body.read(65536))?.byteLength).toBe(8);
    r.body.cancel('EDGE_ERR_CLIENT_CLOSED', 'the client closed the connection');
    await expect(r.body.read(65536)).rejects.toMatchObject({ code: 'EDGE_ERR_CLIENT_CLOSED' });
    await new Promise((res) => setTimeout(res, 10));
    expect(logs.sort()).toEqual(['aborted: AbortError', 'cancel: AbortError']);
  });
  it('request.body is a ReadableStream of the request bytes; formData() parses a posted multipart body', async () => {
    const inst = instance(`
      const c = request.clone();
      const parts = []; for await (const chunk of request.body) parts.push(chunk.byteLength);
      const fd = await c.formData();
      return Response.json({ stream: request.body instanceof ReadableStream, used: request.bodyUsed, bytes: parts.reduce((a, b) => a + b, 0), a: fd.get('a'), f: [fd.get('f').name, await fd.get('f').text()] });`);
    const body = new TextEncoder().encode('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n\r\nfile!\r\n--XyZ--\r\n');
    const r = await invoke(inst, body, [['content-type', 'multipart/form-data; boundary=XyZ']]);
    expect(r.ok ? JSON.parse(text(r.body)) : r).toEqual({ stream: true, used: true, bytes: body.byteLength, a: '1', f: ['x.txt', 'file!'] });
  });
  it("a tenant patching Uint8Array and %TypedArray%.prototype in one request does not break the next one's bodies", async () => {
    const inst = instance(`
      if (!globalThis.patched) {
        globalThis.patched = true;
        const TA = Object.getPrototypeOf(Uint8Array.prototype);
        Object.defineProperty(Uint8Array, Symbol.hasInstance, { value: () => false });
        for (const k of ['buffer', 'byteLength', 'byteOffset']) Object.defineProperty(TA, k, { get() { throw new Error('patched ' + k); } });
        Uint8Array.prototype.slice = () => { throw new Error('patched slice'); };
        return new Response('patched');
      }
      return new Response(new Uint8Array([104, 105]));`);
    const first = await invoke(inst);
    const second = await invoke(inst);
    expect([first.ok && text(first.body), second.ok ? text(second.body) : second.message]).toEqual(['patched', 'hi']);
  });
  it('the common path (text() of the request, a string response) never loads the Streams implementation', async () => {
    const inst = instance(`const t = await request.text(); return new Response(t + '|' + String(Object.getOwnPropertyDescriptor(globalThis, 'ReadableStream').get !== undefined));`);
    const r = await invoke(inst, new TextEncoder().encode('hi'));
    expect(r.ok ? text(r.body) : r).toBe('hi|true');
  });
});
