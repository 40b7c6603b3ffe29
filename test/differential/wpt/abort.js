// AbortController / AbortSignal in the style of web-platform-tests dom/abort/ (written for isoedge).
import { c, caseWorker } from '../harness.ts';

export const cases = [
  c('abort() sets aborted and an AbortError reason', 'dom/abort/event.any.js', () => { const a = new AbortController(); a.abort(); return [a.signal.aborted, a.signal.reason.name, a.signal.reason instanceof DOMException]; }, [true, 'AbortError', true]),
  c('abort event fires once', 'dom/abort/event.any.js', () => { const a = new AbortController(); let n = 0; a.signal.addEventListener('abort', () => n++); a.signal.onabort = () => n++; a.abort(); a.abort(); return n; }, 2),
  c('abort(reason) keeps the reason', 'dom/abort/event.any.js', () => { const a = new AbortController(); a.abort('r'); return a.signal.reason; }, 'r'),
  c('AbortSignal.abort()', 'dom/abort/abort-signal-any.any.js', () => { const s = AbortSignal.abort(); return [s.aborted, s.reason.name]; }, [true, 'AbortError']),
  c('throwIfAborted throws the reason', 'dom/abort/event.any.js', () => { try { AbortSignal.abort('z').throwIfAborted(); return 'no'; } catch (e) { return e; } }, 'z'),
  c('AbortSignal.timeout aborts with TimeoutError', 'dom/abort/AbortSignal.any.js', async () => { const s = AbortSignal.timeout(5); await new Promise((r) => s.addEventListener('abort', r)); return [s.aborted, s.reason.name]; }, [true, 'TimeoutError']),
  c('AbortSignal.any follows its first aborted source', 'dom/abort/abort-signal-any.any.js', () => { const a = new AbortController(); const b = new AbortController(); const s = AbortSignal.any([a.signal, b.signal]); b.abort('b'); a.abort('a'); return [s.aborted, s.reason]; }, [true, 'b']),
  c('AbortSignal.any of an aborted signal is aborted', 'dom/abort/abort-signal-any.any.js', () => AbortSignal.any([AbortSignal.abort('x')]).reason, 'x'),
  c('event in the abort listener', 'dom/abort/event.any.js', () => { const a = new AbortController(); let e; a.signal.addEventListener('abort', (ev) => { e = [ev.type, ev.isTrusted, ev.target === a.signal, ev.bubbles]; }); a.abort(); return e; }, ['abort', true, true, false]),
  c('new AbortSignal() throws TypeError', 'dom/abort/AbortSignal.any.js', () => { try { new AbortSignal(); return 'constructed'; } catch (e) { return e.name; } }, 'TypeError'),
];

export default caseWorker(cases);
