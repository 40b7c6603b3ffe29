/**
 * The Streams standard inside the guest (web-streams-polyfill, bundled into the runtime), and the
 * streams built on it: TextEncoderStream / TextDecoderStream, CompressionStream / DecompressionStream.
 * Each case is after a web-platform-tests case; the file it comes from is named in the table.
 */
import { describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';

/** Guest-side helpers, prepended to every case. */
const H = `
  const fromArray = (chunks) => new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(x); c.close(); } });
  const toArray = async (s) => { const out = []; for await (const x of s) out.push(x); return out; };
  const bytes = (chunks) => chunks.map((c) => [...c]);
  const fakeSignal = (aborted, reason) => {
    const listeners = [];
    const s = { aborted, reason, addEventListener(t, f) { listeners.push(f); }, removeEventListener() {}, fire(r) { s.aborted = true; s.reason = r; for (const f of listeners) f(); } };
    return s;
  };
`;
const run = (body: string): Promise<unknown> => guestEval(H + body);

type Case = { wpt: string; name: string; body: string; expect: unknown };

const STREAMS: Case[] = [
  { wpt: 'streams/idlharness.any.js', name: 'every Streams global exists and is a constructor',
    body: `return ['ReadableStream','ReadableStreamDefaultReader','ReadableStreamBYOBReader','ReadableStreamBYOBRequest','ReadableStreamDefaultController','ReadableByteStreamController','WritableStream','WritableStreamDefaultWriter','WritableStreamDefaultController','TransformStream','TransformStreamDefaultController','ByteLengthQueuingStrategy','CountQueuingStrategy','TextEncoderStream','TextDecoderStream','CompressionStream','DecompressionStream'].filter((n) => typeof globalThis[n] !== 'function');`,
    expect: [] },
  { wpt: 'streams/readable-streams/general.any.js', name: 'ReadableStream can be constructed with no arguments; getReader() locks it',
    body: `const rs = new ReadableStream(); const before = rs.locked; const r = rs.getReader(); let threw = false; try { rs.getReader(); } catch (e) { threw = e instanceof TypeError; } r.releaseLock(); return [before, threw, rs.locked, Object.prototype.toString.call(rs)];`,
    expect: [false, true, false, '[object ReadableStream]'] },
  { wpt: 'streams/readable-streams/general.any.js', name: 'chunks enqueued in start are read in order, then done',
    body: `const r = fromArray(['a', 'b']).getReader(); return [await r.read(), await r.read(), await r.read()];`,
    expect: [{ value: 'a', done: false }, { value: 'b', done: false }, { done: true }] },
  { wpt: 'streams/readable-streams/general.any.js', name: 'pull is called while desiredSize > 0 (highWaterMark 2)',
    body: `let pulls = 0; const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); if (pulls === 3) c.close(); } }, { highWaterMark: 2 }); await new Promise((r) => setTimeout(r, 0)); const first = pulls; return [first, await toArray(rs)];`,
    expect: [2, [1, 2, 3]] },
  { wpt: 'streams/readable-streams/cancel.any.js', name: 'cancel() passes the reason to the underlying source',
    body: `let got; const rs = new ReadableStream({ cancel(r) { got = r; } }); await rs.cancel('why'); return got;`,
    expect: 'why' },
  { wpt: 'streams/readable-streams/general.any.js', name: 'an errored stream rejects reads with the error',
    body: `const rs = new ReadableStream({ start(c) { c.error(new RangeError('boom')); } }); try { await rs.getReader().read(); return 'read'; } catch (e) { return [e.name, e.message]; }`,
    expect: ['RangeError', 'boom'] },
  { wpt: 'streams/readable-streams/async-iterator.any.js', name: 'for await reads every chunk; breaking out cancels the stream',
    body: `let cancelled = false; const rs = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel() { cancelled = true; } }); for await (const x of rs) { break; } const all = await toArray(fromArray([1, 2, 3])); return [cancelled, all];`,
    expect: [true, [1, 2, 3]] },
  { wpt: 'streams/readable-streams/async-iterator.any.js', name: 'values({ preventCancel: true }) leaves the stream readable after break',
    body: `const rs = fromArray([1, 2]); for await (const x of rs.values({ preventCancel: true })) break; return [rs.locked, (await rs.getReader().read()).value];`,
    expect: [false, 2] },
  { wpt: 'streams/readable-streams/from.any.js', name: 'ReadableStream.from an array, a sync generator and an async generator',
    body: `async function* ag() { yield 'x'; yield 'y'; } function* g() { yield 1; yield 2; } return [await toArray(ReadableStream.from([1, 2, 3])), await toArray(ReadableStream.from(g())), await toArray(ReadableStream.from(ag()))];`,
    expect: [[1, 2, 3], [1, 2], ['x', 'y']] },
  { wpt: 'streams/readable-streams/from.any.js', name: 'ReadableStream.from a non-iterable throws TypeError',
    body: `try { ReadableStream.from(42); return 'no throw'; } catch (e) { return e instanceof TypeError; }`,
    expect: true },
  { wpt: 'streams/readable-streams/tee.any.js', name: 'tee() gives both branches every chunk',
    body: `const [a, b] = fromArray(['a', 'b']).tee(); return [await toArray(a), await toArray(b)];`,
    expect: [['a', 'b'], ['a', 'b']] },
  { wpt: 'streams/readable-streams/tee.any.js', name: 'cancelling both branches cancels the original with both reasons',
    body: `let reason; const rs = new ReadableStream({ cancel(r) { reason = r; } }); const [a, b] = rs.tee(); a.cancel('A'); await b.cancel('B'); return reason;`,
    expect: ['A', 'B'] },
  { wpt: 'streams/readable-byte-streams/general.any.js', name: 'a BYOB read fills the given view (not an empty chunk)',
    body: `const rs = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.close(); } }); const r = rs.getReader({ mode: 'byob' }); const a = await r.read(new Uint8Array(3)); const b = await r.read(new Uint8Array(3)); const c = await r.read(new Uint8Array(3)); return [[...a.value], a.done, [...b.value], c.done, c.value.byteLength, Object.prototype.toString.call(r)];`,
    expect: [[1, 2, 3], false, [4, 5], true, 0, '[object ReadableStreamBYOBReader]'] },
  { wpt: 'streams/readable-byte-streams/general.any.js', name: 'byobRequest.respond() answers a pending BYOB read',
    body: `const rs = new ReadableStream({ type: 'bytes', pull(c) { const v = c.byobRequest.view; v[0] = 7; v[1] = 8; c.byobRequest.respond(2); } }); const r = rs.getReader({ mode: 'byob' }); const x = await r.read(new Uint8Array(4)); return [[...x.value], x.value.buffer.byteLength];`,
    expect: [[7, 8], 4] },
  { wpt: 'streams/readable-byte-streams/general.any.js', name: 'autoAllocateChunkSize gives a default reader a byobRequest',
    body: `const rs = new ReadableStream({ type: 'bytes', autoAllocateChunkSize: 16, pull(c) { const v = c.byobRequest.view; v[0] = v.byteLength; c.byobRequest.respond(1); c.close(); } }); const r = rs.getReader(); const x = await r.read(); return [...x.value];`,
    expect: [16] },
  { wpt: 'streams/readable-byte-streams/general.any.js', name: 'read(view, { min }) waits for at least min elements',
    body: `let n = 0; const rs = new ReadableStream({ type: 'bytes', pull(c) { c.enqueue(new Uint8Array([++n])); } }); const x = await rs.getReader({ mode: 'byob' }).read(new Uint8Array(4), { min: 3 }); return [...x.value];`,
    expect: [1, 2, 3] },
  { wpt: 'streams/writable-streams/general.any.js', name: 'writer.write() and close() reach the sink in order',
    body: `const log = []; const ws = new WritableStream({ write(c) { log.push(c); }, close() { log.push('close'); } }); const w = ws.getWriter(); w.write('a'); w.write('b'); await w.close(); return log;`,
    expect: ['a', 'b', 'close'] },
  { wpt: 'streams/writable-streams/backpressure.any.js', name: 'desiredSize follows the CountQueuingStrategy highWaterMark',
    body: `let release; const ws = new WritableStream({ write() { return new Promise((r) => { release = r; }); } }, new CountQueuingStrategy({ highWaterMark: 2 })); const w = ws.getWriter(); const d0 = w.desiredSize; w.write(1); w.write(2); const d2 = w.desiredSize; return [d0, d2];`,
    expect: [2, 0] },
  { wpt: 'streams/writable-streams/aborting.any.js', name: 'abort() calls the sink abort with the reason and errors the stream',
    body: `let got; const ws = new WritableStream({ abort(r) { got = r; } }); const w = ws.getWriter(); await w.abort('stop'); try { await w.write('x'); } catch (e) { return [got, e]; } return 'wrote';`,
    expect: ['stop', 'stop'] },
  { wpt: 'streams/transform-streams/general.any.js', name: 'a TransformStream maps chunks and flush enqueues a last one',
    body: `const t = new TransformStream({ transform(c, ctl) { ctl.enqueue(c.toUpperCase()); }, flush(ctl) { ctl.enqueue('!'); } }); return await toArray(fromArray(['a', 'b']).pipeThrough(t));`,
    expect: ['A', 'B', '!'] },
  { wpt: 'streams/transform-streams/general.any.js', name: 'an identity TransformStream passes chunks through',
    body: `const t = new TransformStream(); const w = t.writable.getWriter(); w.write(1); w.write(2); w.close(); return await toArray(t.readable);`,
    expect: [1, 2] },
  { wpt: 'streams/transform-streams/terminate.any.js', name: 'controller.terminate() closes the readable side and errors the writable side',
    body: `const t = new TransformStream({ transform(c, ctl) { ctl.enqueue(c); ctl.terminate(); } }); const w = t.writable.getWriter(); w.write('only').catch(() => {}); const out = await toArray(t.readable); try { await w.write('more'); return 'wrote'; } catch (e) { return [out, e instanceof TypeError]; }`,
    expect: [['only'], true] },
  { wpt: 'streams/piping/general.any.js', name: 'pipeTo writes every chunk and closes the destination',
    body: `const log = []; await fromArray([1, 2, 3]).pipeTo(new WritableStream({ write(c) { log.push(c); }, close() { log.push('closed'); } })); return log;`,
    expect: [1, 2, 3, 'closed'] },
  { wpt: 'streams/piping/close-propagation-forward.any.js', name: 'pipeTo with preventClose leaves the destination open',
    body: `let closed = false; const ws = new WritableStream({ close() { closed = true; } }); await fromArray([1]).pipeTo(ws, { preventClose: true }); return [closed, ws.locked];`,
    expect: [false, false] },
  { wpt: 'streams/piping/error-propagation-backward.any.js', name: 'a destination that errors cancels the source with that error',
    body: `let reason; const rs = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel(r) { reason = r; } }); try { await rs.pipeTo(new WritableStream({ write() { throw 'sink failed'; } })); } catch (e) { return [e, reason]; } return 'resolved';`,
    expect: ['sink failed', 'sink failed'] },
  { wpt: 'streams/piping/abort.any.js', name: 'pipeTo with an already-aborted signal rejects with its reason (any object with aborted/reason/addEventListener)',
    body: `const rs = fromArray([1]); try { await rs.pipeTo(new WritableStream(), { signal: fakeSignal(true, 'r1') }); return 'resolved'; } catch (e) { return e; }`,
    expect: 'r1' },
  { wpt: 'streams/piping/abort.any.js', name: 'a signal aborting mid-pipe aborts the destination and cancels the source',
    body: `const sig = fakeSignal(false); let cancelled, aborted; const rs = new ReadableStream({ cancel(r) { cancelled = r; } }); const ws = new WritableStream({ abort(r) { aborted = r; } }); const p = rs.pipeTo(ws, { signal: sig }); sig.fire('late'); try { await p; return 'resolved'; } catch (e) { return [e, cancelled, aborted]; }`,
    expect: ['late', 'late', 'late'] },
  { wpt: 'streams/piping/abort.any.js', name: 'pipeTo rejects a signal that is not an AbortSignal-like object',
    body: `try { await fromArray([]).pipeTo(new WritableStream(), { signal: {} }); return 'resolved'; } catch (e) { return e instanceof TypeError; }`,
    expect: true },
  { wpt: 'streams/queuing-strategies.any.js', name: 'ByteLengthQueuingStrategy and CountQueuingStrategy',
    body: `const b = new ByteLengthQueuingStrategy({ highWaterMark: 16 }); const c = new CountQueuingStrategy({ highWaterMark: 3 }); return [b.highWaterMark, b.size(new Uint8Array(5)), c.highWaterMark, c.size('anything'), Object.prototype.toString.call(b)];`,
    expect: [16, 5, 3, 1, '[object ByteLengthQueuingStrategy]'] },
  { wpt: 'streams/readable-streams/default-reader.any.js', name: 'the reader and controller classes cannot be constructed directly where the spec says so',
    body: `const r = []; for (const C of [ReadableStreamDefaultController, ReadableByteStreamController, ReadableStreamBYOBRequest, WritableStreamDefaultController, TransformStreamDefaultController]) { try { new C(); r.push('constructed'); } catch (e) { r.push(e instanceof TypeError); } } r.push(new ReadableStreamDefaultReader(new ReadableStream()) instanceof ReadableStreamDefaultReader); return r;`,
    expect: [true, true, true, true, true, true] },
  { wpt: 'streams/readable-streams/patched-global.any.js', name: 'a tenant patching Promise.prototype.then before the first stream does not break streams',
    body: `const then = Promise.prototype.then; let calls = 0; Promise.prototype.then = function (...a) { calls++; return then.apply(this, a); }; try { const r = fromArray([1, 2]).getReader(); const a = await r.read(); return [a.value, (await r.read()).value]; } finally { Promise.prototype.then = then; }`,
    expect: [1, 2] },
];

const encodeCases: [string, string[], number[][]][] = [
  // encoding/streams/encode-utf8.any.js
  ['encoding one string of UTF-8 should give one complete chunk', ['I \u{1F499} streams'], [[0x49, 0x20, 0xf0, 0x9f, 0x92, 0x99, 0x20, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x73]]],
  ['a character split between chunks should be correctly encoded', ['\ud83d', '\udc99'], [[0xf0, 0x9f, 0x92, 0x99]]],
  ['two consecutive astral characters each split down the middle should be correctly reassembled', ['\ud83d', '\udc99\ud83d', '\udc99'], [[0xf0, 0x9f, 0x92, 0x99], [0xf0, 0x9f, 0x92, 0x99]]],
  ['a stream ending in a leading surrogate should emit a replacement character as a final chunk', ['\ud83d'], [[0xef, 0xbf, 0xbd]]],
  ['an unmatched surrogate at the end of a chunk followed by an ascii character', ['\ud83d', 'A'], [[0xef, 0xbf, 0xbd, 65]]],
  ['two leading chunks should result in two replacement characters', ['\ud83d', '\ud83d'], [[0xef, 0xbf, 0xbd], [0xef, 0xbf, 0xbd]]],
  ['a leading surrogate chunk should be carried past empty chunks', ['\ud83d', '', '\udc99'], [[0xf0, 0x9f, 0x92, 0x99]]],
  ['an empty string should result in no output chunk', [''], []],
  ['characters in the ISO-8859-1 range should be encoded correctly', ['\xff'], [[195, 191]]],
];

describe('Streams', () => {
  for (const c of STREAMS) it(`${c.name} (${c.wpt})`, async () => { expect(await run(c.body)).toEqual(c.expect); });
});

describe('TextEncoderStream / TextDecoderStream', () => {
  for (const [name, input, output] of encodeCases) {
    it(`TextEncoderStream: ${name} (encoding/streams/encode-utf8.any.js)`, async () => {
      expect(await run(`return bytes(await toArray(fromArray(${JSON.stringify(input)}).pipeThrough(new TextEncoderStream())));`)).toEqual(output);
    });
  }
  it('TextEncoderStream: a non-string chunk is converted with String() (encoding/streams/encode-bad-chunks.any.js)', async () => {
    expect(await run(`return bytes(await toArray(fromArray([42, null]).pipeThrough(new TextEncoderStream())));`)).toEqual([[52, 50], [110, 117, 108, 108]]);
  });
  it('TextDecoderStream: decoding one UTF-8 chunk should give one output string (encoding/streams/decode-utf8.any.js)', async () => {
    expect(await run(`return await toArray(fromArray([new Uint8Array([0x49, 0x20, 0xf0, 0x9f, 0x92, 0x99, 0x20, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x73])]).pipeThrough(new TextDecoderStream()));`)).toEqual(['I \u{1F499} streams']);
  });
  it('TextDecoderStream: an empty chunk gives no output; ArrayBuffer and DataView chunks decode (encoding/streams/decode-utf8.any.js)', async () => {
    expect(await run(`const b = new Uint8Array([0x68, 0x69]).buffer; return await toArray(fromArray([new Uint8Array(0), b, new DataView(b)]).pipeThrough(new TextDecoderStream()));`)).toEqual(['hi', 'hi']);
  });
  it('TextDecoderStream: chunks that are not BufferSources error the stream (encoding/streams/decode-bad-chunks.any.js)', async () => {
    expect(await run(`const r = []; for (const bad of [undefined, null, 'hi', 7, {}]) { const d = new TextDecoderStream(); const w = d.writable.getWriter(); w.write(bad).catch(() => {}); try { await d.readable.getReader().read(); r.push('read'); } catch (e) { r.push(e instanceof TypeError); } } return r;`)).toEqual([true, true, true, true, true]);
  });
  it('TextDecoderStream: encoding, fatal and ignoreBOM attributes; readable and writable (encoding/streams/readable-writable-properties.any.js)', async () => {
    expect(await run(`const d = new TextDecoderStream('utf-8', { fatal: true }); const e = new TextEncoderStream(); return [d.encoding, d.fatal, d.ignoreBOM, d.readable instanceof ReadableStream, d.writable instanceof WritableStream, e.encoding, e.readable instanceof ReadableStream, Object.prototype.toString.call(e)];`))
      .toEqual(['utf-8', true, false, true, true, 'utf-8', true, '[object TextEncoderStream]']);
  });
  it('TextDecoderStream: a character split between chunks decodes whole (encoding/streams/decode-split-character.any.js)', async () => {
    // U+20AC EURO SIGN is e2 82 ac: split after one byte, and after two.
    expect(await run(`return await toArray(fromArray([new Uint8Array([0x41, 0xe2]), new Uint8Array([0x82, 0xac, 0x42])]).pipeThrough(new TextDecoderStream()));`)).toEqual(['A', '\u20acB']);
    expect(await run(`return (await toArray(fromArray([new Uint8Array([0xe2, 0x82]), new Uint8Array([0xac])]).pipeThrough(new TextDecoderStream()))).join('');`)).toBe('\u20ac');
    // A sequence cut off at the end of the stream is one replacement character, as flush() decodes it.
    expect(await run(`return (await toArray(fromArray([new Uint8Array([0x41, 0xe2, 0x82])]).pipeThrough(new TextDecoderStream()))).join('');`)).toBe('A\ufffd');
  });
});

/** A deterministic, compressible input of n bytes. */
const SAMPLE = `const sample = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 5)) % 61 + 32; return b; };
  const pipe = async (input, t) => { const out = await toArray(fromArray(input).pipeThrough(t)); let n = 0; for (const c of out) n += c.byteLength; const b = new Uint8Array(n); let at = 0; for (const c of out) { b.set(c, at); at += c.byteLength; } return b; };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);`;

describe('CompressionStream / DecompressionStream', () => {
  for (const format of ['gzip', 'deflate', 'deflate-raw']) {
    it(`${format}: a round trip gives back the input, smaller in between (compression/compression-stream.any.js)`, async () => {
      expect(await run(`${SAMPLE} const src = sample(50000); const z = await pipe([src], new CompressionStream('${format}')); const back = await pipe([z], new DecompressionStream('${format}')); return [z.length < src.length, same(back, src)];`)).toEqual([true, true]);
    });
    it(`${format}: several chunks, including empty ones, compress as their concatenation (compression/compression-multiple-chunks.any.js, compression-including-empty-chunk.any.js)`, async () => {
      expect(await run(`${SAMPLE} const src = sample(3000); const z = await pipe([src.subarray(0, 1000), new Uint8Array(0), src.subarray(1000)], new CompressionStream('${format}')); const back = await pipe([z.subarray(0, 10), z.subarray(10)], new DecompressionStream('${format}')); return same(back, src);`)).toBe(true);
    });
    it(`${format}: truncated input errors the stream (compression/decompression-broken-chunks.html)`, async () => {
      expect(await run(`${SAMPLE} const z = await pipe([sample(5000)], new CompressionStream('${format}')); try { await pipe([z.subarray(0, z.length - 4)], new DecompressionStream('${format}')); return 'decoded'; } catch (e) { return e instanceof TypeError; }`)).toBe(true);
    });
    it(`${format}: data after the end of the compressed stream errors it (compression/decompression-broken-chunks.html)`, async () => {
      expect(await run(`${SAMPLE} const z = await pipe([sample(100)], new CompressionStream('${format}')); const extra = new Uint8Array(z.length + 3); extra.set(z); extra.set([1, 2, 3], z.length); try { await pipe([extra], new DecompressionStream('${format}')); return 'decoded'; } catch (e) { return e instanceof TypeError; }`)).toBe(true);
    });
  }
  for (const format of ['gzip', 'deflate']) {
    it(`${format}: a wrong checksum in the trailer errors the stream (compression/decompression-corrupt-input.any.js)`, async () => {
      expect(await run(`${SAMPLE} const z = await pipe([sample(100)], new CompressionStream('${format}')); z[z.length - (${format === 'gzip' ? 8 : 1})] ^= 1; try { await pipe([z], new DecompressionStream('${format}')); return 'decoded'; } catch (e) { return e instanceof TypeError; }`)).toBe(true);
    });
  }
  it('the formats have their headers: gzip 1f 8b, deflate (zlib) 78 (compression/compression-output-length.any.js)', async () => {
    expect(await run(`${SAMPLE} const g = await pipe([sample(10)], new CompressionStream('gzip')); const d = await pipe([sample(10)], new CompressionStream('deflate')); return [g[0], g[1], d[0]];`)).toEqual([0x1f, 0x8b, 0x78]);
  });
  it('an unknown format, a missing one and a non-BufferSource chunk are TypeErrors (compression/compression-bad-chunks.any.js, compression-constructor-error.any.js)', async () => {
    expect(await run(`const r = []; for (const f of ['brotli', undefined]) { try { new CompressionStream(f); r.push('made'); } catch (e) { r.push(e instanceof TypeError); } } try { new DecompressionStream(); r.push('made'); } catch (e) { r.push(e instanceof TypeError); } const c = new CompressionStream('gzip'); c.writable.getWriter().write('text').catch(() => {}); try { await c.readable.getReader().read(); r.push('read'); } catch (e) { r.push(e instanceof TypeError); } return r;`)).toEqual([true, true, true, true]);
  });
  it('a gzip body from Response round-trips through pipeThrough and new Response(stream) (compression/compression-stream.any.js)', async () => {
    expect(await run(`const z = new Response('hello '.repeat(100)).body.pipeThrough(new CompressionStream('gzip')); const text = await new Response(z.pipeThrough(new DecompressionStream('gzip'))).text(); return text.length;`)).toBe(600);
  });
});
