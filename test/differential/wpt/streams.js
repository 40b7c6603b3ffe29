// Streams cases in the style of web-platform-tests streams/ (written for isoedge; each names the WPT file it follows).
import { attempt, c, caseWorker, chunks } from '../harness.ts';

const R = 'streams/readable-streams/general.any.js';
export const cases = [
  c('enqueue then read in order', R, async () => chunks(new ReadableStream({ start(ctl) { ctl.enqueue('a'); ctl.enqueue('b'); ctl.close(); } })), ['a', 'b']),
  c('desiredSize follows highWaterMark', R, () => { let d = []; new ReadableStream({ start(ctl) { d.push(ctl.desiredSize); ctl.enqueue(1); d.push(ctl.desiredSize); } }, { highWaterMark: 2 }); return d; }, [2, 1]),
  c('read after error rejects with the error', R, async () => { const rs = new ReadableStream({ start(ctl) { ctl.error(new RangeError('x')); } }); return attempt(() => rs.getReader().read()); }, { threw: 'RangeError' }),
  c('getReader on a locked stream throws TypeError', R, () => { const rs = new ReadableStream(); rs.getReader(); return attempt(() => rs.getReader()); }, { threw: 'TypeError' }),
  c('cancel reason reaches the source', R, async () => { let got; const rs = new ReadableStream({ cancel(r) { got = r; } }); await rs.cancel('why'); return got; }, 'why'),
  c('tee gives both branches every chunk', 'streams/readable-streams/tee.any.js', async () => { const [a, b] = new ReadableStream({ start(ctl) { ctl.enqueue(1); ctl.enqueue(2); ctl.close(); } }).tee(); return [await chunks(a), await chunks(b)]; }, [[1, 2], [1, 2]]),
  c('tee: canceling one branch leaves the other whole', 'streams/readable-streams/tee.any.js', async () => { const [a, b] = new ReadableStream({ start(ctl) { ctl.enqueue('a'); ctl.enqueue('b'); ctl.close(); } }).tee(); a.cancel(); return [await chunks(a), await chunks(b)]; }, [[], ['a', 'b']]),
  c('tee: canceling both branches gives the source both reasons', 'streams/readable-streams/tee.any.js', async () => { let got; const [a, b] = new ReadableStream({ cancel(r) { got = r; } }).tee(); await Promise.all([a.cancel('r1'), b.cancel('r2')]); return got; }, ['r1', 'r2']),
  c('tee: a source error reaches both branches', 'streams/readable-streams/tee.any.js', async () => { const [a, b] = new ReadableStream({ start(ctl) { ctl.enqueue('a'); }, pull() { throw new SyntaxError('boo'); } }).tee(); return [await attempt(() => chunks(a)), await attempt(() => chunks(b))]; }, [{ threw: 'SyntaxError' }, { threw: 'SyntaxError' }]),
  c('tee: pulls only what fits in the emptiest queue', 'streams/readable-streams/tee.any.js', async () => { let pulls = 0; const rs = new ReadableStream({ pull(ctl) { pulls++; ctl.enqueue('a'); } }, { highWaterMark: 0 }); const [r1, r2] = rs.tee().map((x) => x.getReader()); await Promise.all([r1.read(), r2.read()]); return pulls; }, 2),
  c('async iteration', 'streams/readable-streams/async-iterator.any.js', async () => { const out = []; for await (const x of new ReadableStream({ start(ctl) { ctl.enqueue('x'); ctl.enqueue('y'); ctl.close(); } })) out.push(x); return out; }, ['x', 'y']),
  c('ReadableStream.from an array', 'streams/readable-streams/from.any.js', async () => chunks(ReadableStream.from([1, 2, 3])), [1, 2, 3]),
  c('ReadableStream.from an async generator', 'streams/readable-streams/from.any.js', async () => chunks(ReadableStream.from((async function* () { yield 'a'; yield 'b'; })())), ['a', 'b']),
  c('pull is called to fill the queue', R, async () => { let n = 0; const rs = new ReadableStream({ pull(ctl) { ctl.enqueue(++n); if (n === 3) ctl.close(); } }); return chunks(rs); }, [1, 2, 3]),
  c('BYOB read fills the view', 'streams/readable-byte-streams/general.any.js', async () => {
    const rs = new ReadableStream({ type: 'bytes', pull(ctl) { const v = ctl.byobRequest.view; v[0] = 7; v[1] = 8; ctl.byobRequest.respond(2); ctl.close(); } });
    const r = rs.getReader({ mode: 'byob' }); const { value } = await r.read(new Uint8Array(4));
    return { ctor: value.constructor.name, bytes: Array.from(value), byteLength: value.buffer.byteLength };
  }, { ctor: 'Uint8Array', bytes: [7, 8], byteLength: 4 }),
  c('BYOB reader on a default stream throws TypeError', 'streams/readable-streams/general.any.js', () => attempt(() => new ReadableStream().getReader({ mode: 'byob' })), { threw: 'TypeError' }),
  c('TransformStream maps chunks', 'streams/transform-streams/general.any.js', async () => {
    const ts = new TransformStream({ transform(ch, ctl) { ctl.enqueue(ch.toUpperCase()); }, flush(ctl) { ctl.enqueue('!'); } });
    const w = ts.writable.getWriter(); w.write('a'); w.write('b'); w.close();
    return chunks(ts.readable);
  }, ['A', 'B', '!']),
  c('identity TransformStream', 'streams/transform-streams/general.any.js', async () => { const ts = new TransformStream(); const w = ts.writable.getWriter(); w.write(1); w.close(); return chunks(ts.readable); }, [1]),
  c('pipeTo a WritableStream', 'streams/piping/general.any.js', async () => {
    const got = []; await ReadableStream.from(['p', 'q']).pipeTo(new WritableStream({ write(ch) { got.push(ch); } })); return got;
  }, ['p', 'q']),
  c('pipeTo with preventClose leaves the destination open', 'streams/piping/flow-control.any.js', async () => {
    let closed = false; const ws = new WritableStream({ close() { closed = true; } });
    await ReadableStream.from(['x']).pipeTo(ws, { preventClose: true }); return { closed, locked: ws.locked };
  }, { closed: false, locked: false }),
  c('pipeTo with an aborted signal rejects AbortError', 'streams/piping/abort.any.js', async () => attempt(() => ReadableStream.from(['x']).pipeTo(new WritableStream(), { signal: AbortSignal.abort() })), { threw: 'AbortError' }),
  c('writer.desiredSize and ready', 'streams/writable-streams/general.any.js', async () => { const w = new WritableStream({}, { highWaterMark: 3 }).getWriter(); const d0 = w.desiredSize; w.write('a'); const d1 = w.desiredSize; await w.ready; return [d0, d1]; }, [3, 2]),
  c('write after close rejects TypeError', 'streams/writable-streams/write.any.js', async () => { const w = new WritableStream().getWriter(); w.close(); return attempt(() => w.write('x')); }, { threw: 'TypeError' }),
  c('abort reason reaches the sink', 'streams/writable-streams/aborting.any.js', async () => { let got; const ws = new WritableStream({ abort(r) { got = r; } }); await ws.abort('stop'); return got; }, 'stop'),
  c('CountQueuingStrategy size and highWaterMark', 'streams/queuing-strategies.any.js', () => { const s = new CountQueuingStrategy({ highWaterMark: 4 }); return [s.highWaterMark, s.size('anything')]; }, [4, 1]),
  c('ByteLengthQueuingStrategy size', 'streams/queuing-strategies.any.js', () => { const s = new ByteLengthQueuingStrategy({ highWaterMark: 16 }); return [s.highWaterMark, s.size(new Uint8Array(5))]; }, [16, 5]),
  c('constructor with type "foo" throws TypeError', 'streams/readable-streams/constructor.any.js', () => attempt(() => new ReadableStream({ type: 'foo' })), { threw: 'TypeError' }),
];

export default caseWorker(cases);
