/**
 * DOM events and abort in the guest runtime (guest/01_events.js). Each case names the
 * web-platform-tests file it follows (dom/events/*.any.js, dom/abort/*.any.js); the cases are
 * written for isoedge from those files' assertions, run in a real guest isolate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { Instance } from '../src/runtime/js/index.ts';
import { BASE_LIMITS, type RevisionSpec } from '../src/runtime/types.ts';
import { guestEval } from './helpers/guest.ts';

type Case = [wpt: string, name: string, body: string, expected: unknown];

const EVENTS: Case[] = [
  ['dom/events/Event-constructors.any.js', 'defaults and init dictionary', `
    const e = new Event('test'); const f = new Event('I am an event', { bubbles: true, cancelable: false });
    return [e.type, e.bubbles, e.cancelable, e.defaultPrevented, e.isTrusted, e.target, e.currentTarget, e.eventPhase, e.composed,
      f.type, f.bubbles, f.cancelable, typeof e.timeStamp];`,
  ['test', false, false, false, false, null, null, 0, false, 'I am an event', true, false, 'number']],
  ['dom/events/Event-constructors.any.js', 'needs its type argument and new', `
    const r = []; try { new Event(); } catch (e) { r.push(e instanceof TypeError); } try { Event('x'); } catch (e) { r.push(e instanceof TypeError); }
    return r;`, [true, true]],
  ['dom/events/Event-constants.any.js', 'phase constants on the interface and prototype', `
    return [Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE, new Event('x').AT_TARGET];`, [0, 1, 2, 3, 2]],
  ['dom/events/Event-defaultPrevented.any.js', 'preventDefault only on cancelable events', `
    const a = new Event('foo'); a.preventDefault(); const b = new Event('foo', { cancelable: true }); b.preventDefault();
    const c = new Event('foo', { cancelable: true }); c.returnValue = false;
    return [a.defaultPrevented, b.defaultPrevented, b.returnValue, c.defaultPrevented];`, [false, true, false, true]],
  ['dom/events/Event-defaultPrevented-after-dispatch.any.js', 'defaultPrevented stays after dispatch; dispatchEvent answers !canceled', `
    const t = new EventTarget(); const e = new Event('foo', { cancelable: true });
    t.addEventListener('foo', (ev) => ev.preventDefault());
    const r = t.dispatchEvent(e); return [r, e.defaultPrevented, e.eventPhase, e.currentTarget, e.target === t];`, [false, true, 0, null, true]],
  ['dom/events/AddEventListenerOptions-passive.any.js', 'preventDefault is ignored in a passive listener', `
    const t = new EventTarget(); let inside;
    t.addEventListener('x', (e) => { e.preventDefault(); inside = e.defaultPrevented; }, { passive: true });
    const e = new Event('x', { cancelable: true }); const r = t.dispatchEvent(e);
    return [inside, r, e.defaultPrevented];`, [false, true, false]],
  ['dom/events/AddEventListenerOptions-once.any.js', 'once listeners run once, and removal before the run', `
    const t = new EventTarget(); let n = 0, m = 0; const f = () => n++;
    t.addEventListener('x', f, { once: true }); t.addEventListener('x', () => m++);
    t.dispatchEvent(new Event('x')); t.dispatchEvent(new Event('x'));
    let k = 0; const g = () => k++; t.addEventListener('y', g, { once: true }); t.removeEventListener('y', g); t.dispatchEvent(new Event('y'));
    return [n, m, k];`, [1, 2, 0]],
  ['dom/events/AddEventListenerOptions-signal.any.js', 'a signal removes the listener; an aborted one never adds it', `
    const t = new EventTarget(); const c = new AbortController(); let n = 0;
    t.addEventListener('x', () => n++, { signal: c.signal }); t.dispatchEvent(new Event('x')); c.abort(); t.dispatchEvent(new Event('x'));
    let m = 0; t.addEventListener('y', () => m++, { signal: AbortSignal.abort() }); t.dispatchEvent(new Event('y'));
    let bad; try { t.addEventListener('z', () => {}, { signal: 1 }); } catch (e) { bad = e instanceof TypeError; }
    return [n, m, bad];`, [1, 0, true]],
  ['dom/events/EventTarget-add-remove-listener.any.js', 'a duplicate (type, callback, capture) is one listener; capture makes another', `
    const t = new EventTarget(); let n = 0; const f = () => n++;
    t.addEventListener('x', f); t.addEventListener('x', f); t.addEventListener('x', f, true); t.dispatchEvent(new Event('x'));
    t.removeEventListener('x', f); t.dispatchEvent(new Event('x')); t.removeEventListener('x', f, { capture: true }); t.dispatchEvent(new Event('x'));
    return n;`, 3],
  ['dom/events/Event-dispatch-order (EventTarget-dispatchEvent.any.js)', 'capture listeners first, then the others, each in order', `
    const t = new EventTarget(); const log = [];
    t.addEventListener('x', () => log.push('b1')); t.addEventListener('x', () => log.push('c1'), true);
    t.addEventListener('x', () => log.push('b2')); t.addEventListener('x', () => log.push('c2'), { capture: true });
    t.dispatchEvent(new Event('x', { bubbles: true })); return log;`, ['c1', 'c2', 'b1', 'b2']],
  ['dom/events/EventTarget-dispatchEvent.any.js', 'refuses a non-Event and an event being dispatched', `
    const t = new EventTarget(); const r = [];
    try { t.dispatchEvent({ type: 'x' }); } catch (e) { r.push(e instanceof TypeError); }
    const e = new Event('x'); t.addEventListener('x', () => { try { t.dispatchEvent(e); } catch (err) { r.push(err.name); } }); t.dispatchEvent(e);
    return r;`, [true, 'InvalidStateError']],
  ['dom/events/Event-stopImmediatePropagation.any.js', 'stopImmediatePropagation stops the remaining listeners', `
    const t = new EventTarget(); const log = [];
    t.addEventListener('x', (e) => { log.push(1); e.stopImmediatePropagation(); }); t.addEventListener('x', () => log.push(2));
    t.dispatchEvent(new Event('x')); t.dispatchEvent(new Event('x')); return log;`, [1, 1]],
  ['dom/events/Event-cancelBubble.any.js', 'cancelBubble can be set true, not back to false; reset after dispatch', `
    const e = new Event('x'); e.cancelBubble = true; const a = e.cancelBubble; e.cancelBubble = false; const b = e.cancelBubble;
    const f = new Event('x'); f.stopPropagation(); const t = new EventTarget(); let ran = false; t.addEventListener('x', () => { ran = true; });
    t.dispatchEvent(f); return [a, b, ran, f.cancelBubble];`, [true, true, false, false]],
  ['dom/events/EventListener-handleEvent.any.js', 'handleEvent objects are called with this = the object, looked up at each dispatch', `
    const t = new EventTarget(); const log = []; const l = { handleEvent(e) { log.push(this === l, e.type); } };
    t.addEventListener('x', l); t.dispatchEvent(new Event('x')); l.handleEvent = function () { log.push('second'); }; t.dispatchEvent(new Event('x'));
    return log;`, [true, 'x', 'second']],
  ['dom/events/EventTarget-this-of-listener.any.js', 'a function listener is called with this = the target', `
    const t = new EventTarget(); let self; t.addEventListener('x', function () { self = this; }); t.dispatchEvent(new Event('x')); return self === t;`, true],
  ['dom/events/Event-propagation-EventTarget.any.js', 'eventPhase AT_TARGET, currentTarget and composedPath during dispatch', `
    const t = new EventTarget(); let seen; t.addEventListener('x', (e) => { seen = [e.eventPhase, e.currentTarget === t, e.composedPath().length, e.composedPath()[0] === t]; });
    const e = new Event('x'); t.dispatchEvent(e); return [...seen, e.composedPath().length];`, [2, true, 1, true, 0]],
  ['dom/events/Event-initEvent.any.js', 'initEvent resets flags and is a no-op while dispatching', `
    const e = new Event('a', { cancelable: true }); e.preventDefault(); e.initEvent('b', true, false);
    const r = [e.type, e.bubbles, e.cancelable, e.defaultPrevented];
    const t = new EventTarget(); t.addEventListener('b', (ev) => { ev.initEvent('c', false, false); r.push(ev.type); }); t.dispatchEvent(e);
    return r;`, ['b', true, false, false, 'b']],
  ['dom/events/Event-isTrusted.any.js', 'isTrusted is false for tenant events, true for the runtime abort event', `
    const c = new AbortController(); let trusted; c.signal.addEventListener('abort', (e) => { trusted = e.isTrusted; }); c.abort();
    return [new Event('x').isTrusted, trusted];`, [false, true]],
  ['dom/events/CustomEvent.any.js', 'CustomEvent carries detail (null by default), initCustomEvent', `
    const e = new CustomEvent('x', { detail: { a: 1 } }); const d = new CustomEvent('y'); d.initCustomEvent('z', true, true, 5);
    return [e.detail, d.detail, d.type, e instanceof Event, Object.prototype.toString.call(e)];`, [{ a: 1 }, 5, 'z', true, '[object CustomEvent]']],
  ['dom/events/Event-subclasses-constructors.any.js', 'ErrorEvent and PromiseRejectionEvent fields', `
    const err = new Error('boom'); const e = new ErrorEvent('error', { message: 'm', filename: 'f.js', lineno: 3, colno: 4, error: err });
    const d = new ErrorEvent('error'); const p = Promise.resolve(); const r = new PromiseRejectionEvent('unhandledrejection', { promise: p, reason: 7 });
    let missing; try { new PromiseRejectionEvent('x', {}); } catch (x) { missing = x instanceof TypeError; }
    return [e.message, e.filename, e.lineno, e.colno, e.error === err, d.message, d.lineno, d.error, r.promise === p, r.reason, missing];`,
  ['m', 'f.js', 3, 4, true, '', 0, null, true, 7, true]],
  ['dom/events/EventTarget-constructible.any.js', 'EventTarget subclasses dispatch to their own listeners', `
    class T extends EventTarget {} const t = new T(); let n = 0; t.addEventListener('x', () => n++); t.dispatchEvent(new Event('x'));
    return [n, typeof globalThis.addEventListener, typeof dispatchEvent];`, [1, 'function', 'function']],
  ['(isoedge) lazily built globals', 'a global assigned before first use keeps the tenant value; the others build normally', `
    const d = Object.getOwnPropertyDescriptor(globalThis, 'Event'); globalThis.CustomEvent = 1;
    return [CustomEvent, typeof d.get, typeof Event, 'value' in Object.getOwnPropertyDescriptor(globalThis, 'Event'), Object.keys(globalThis).includes('Event')];`,
  [1, 'function', 'function', true, false]],
  ['html/webappapis/scripting/processing-model-2 (reportError)', 'an exception in a listener is reported, not thrown; later listeners still run', `
    const t = new EventTarget(); const log = []; const onErr = (e) => { log.push(['error', e.message, e.error instanceof RangeError, e.target === globalThis]); e.preventDefault(); };
    addEventListener('error', onErr);
    t.addEventListener('x', () => { throw new RangeError('bad'); }); t.addEventListener('x', () => log.push('second'));
    const r = t.dispatchEvent(new Event('x')); removeEventListener('error', onErr); return [r, log];`, [true, [['error', 'Uncaught RangeError: bad', true, true], 'second']]],
];

const ABORT: Case[] = [
  ['dom/abort/event.any.js', 'abort() sets aborted and reason, fires abort once, onabort too', `
    const c = new AbortController(); const s = c.signal; const log = [];
    s.onabort = (e) => log.push(['onabort', e.type, s.aborted]); s.addEventListener('abort', () => log.push('listener'));
    c.abort(); c.abort();
    return [s.aborted, s.reason.name, s.reason instanceof DOMException, s.reason.code, log, typeof s.onabort];`,
  [true, 'AbortError', true, 20, [['onabort', 'abort', true], 'listener'], 'function']],
  ['dom/abort/event.any.js', 'abort(reason) keeps the reason; throwIfAborted throws it', `
    const c = new AbortController(); const r = []; c.signal.throwIfAborted(); r.push('not thrown');
    c.abort('why'); try { c.signal.throwIfAborted(); } catch (e) { r.push(e); } r.push(AbortSignal.abort(42).reason, AbortSignal.abort().reason.name);
    return r;`, ['not thrown', 'why', 42, 'AbortError']],
  ['dom/abort/AbortSignal.any.js', 'AbortSignal is not constructible; it is an EventTarget', `
    let r; try { new AbortSignal(); } catch (e) { r = e instanceof TypeError; } return [r, new AbortController().signal instanceof EventTarget];`, [true, true]],
  ['dom/abort/AbortSignal.any.js', 'timeout(ms) aborts with a TimeoutError on the host timer', `
    const s = AbortSignal.timeout(5); const before = s.aborted; await new Promise((r) => s.onabort = r);
    return [before, s.aborted, s.reason.name, s.reason.code];`, [false, true, 'TimeoutError', 23]],
  ['dom/abort/resources/abort-signal-any-tests.js', 'any() follows its sources, once, with the first reason', `
    const a = new AbortController(), b = new AbortController(); const s = AbortSignal.any([a.signal, b.signal]); let n = 0; s.onabort = () => n++;
    const chained = AbortSignal.any([s]); b.abort('B'); a.abort('A');
    const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('early')]);
    return [s.aborted, s.reason, n, chained.aborted, chained.reason, pre.aborted, pre.reason, AbortSignal.any([]).aborted];`,
  [true, 'B', 1, true, 'B', true, 'early', false]],
  ['dom/abort/resources/abort-signal-any-tests.js', 'dependent signals are aborted before any abort event fires', `
    const c = new AbortController(); const d = AbortSignal.any([c.signal]); let seen;
    c.signal.addEventListener('abort', () => { seen = d.aborted; }); c.abort(); return seen;`, true],
  ['fetch/api/abort/general.any.js', 'fetch() rejects with the reason of a signal aborted before the call', `
    try { await fetch('http://example.invalid/', { signal: AbortSignal.abort('gone') }); return 'resolved'; } catch (e) { return e; }`, 'gone'],
  ['fetch/api/abort/general.any.js', 'fetch() rejects with the reason when aborted during the call', `
    const c = new AbortController(); const p = fetch('http://example.invalid/', { signal: c.signal }); c.abort();
    try { await p; return 'resolved'; } catch (e) { return [e.name, e instanceof DOMException]; }`, ['AbortError', true]],
  ['(Workers) request.signal', 'request.signal is an AbortSignal, not aborted', `
    return [request.signal instanceof AbortSignal, request.signal.aborted, request.signal === request.signal];`, [true, false, true]],
  ['(Workers) scheduler.wait', 'scheduler.wait resolves after the delay and rejects on abort', `
    await scheduler.wait(1); const c = new AbortController(); const p = scheduler.wait(10000, { signal: c.signal }); c.abort('stop');
    try { await p; return 'resolved'; } catch (e) { return e; }`, 'stop'],
];

describe('DOM events', () => {
  it.each(EVENTS)('%s: %s', async (_wpt, _name, body, expected) => {
    expect(await guestEval(body)).toEqual(expected);
  });
});

describe('AbortController and AbortSignal', () => {
  it.each(ABORT)('%s: %s', async (_wpt, _name, body, expected) => {
    expect(await guestEval(body)).toEqual(expected);
  });
});

describe('fetch with a signal aborted during the call (fetch/api/abort/general.any.js)', () => {
  let server: http.Server;
  let port = 0;
  let closed: Promise<void>;
  beforeAll(async () => {
    let seen: () => void = () => {};
    closed = new Promise((r) => { seen = r; });
    // Never answers; reports when the host drops the connection.
    server = http.createServer((req) => { req.socket.on('close', () => seen()); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => { server.closeAllConnections(); server.close(); });

  it('rejects with the reason and the host cancels the outbound request', async () => {
    const inst = new Instance({ memoryMb: 64, warmup: true, log: () => {}, outbound: { check: () => '', timeoutMs: 10_000, maxBytes: 1000 } });
    const spec: RevisionSpec = {
      id: 'w-00001', fn: 'w', digest: '', runtime: 'js', cache: null, concurrency: 0, env: {},
      script: `var __isoedge_module = { default: { async fetch() {
        const c = new AbortController(); const p = fetch('http://127.0.0.1:${port}/slow', { signal: c.signal });
        setTimeout(() => c.abort(new RangeError('enough')), 100);
        try { await p; return new Response('resolved'); } catch (e) { return new Response(e.name + ': ' + e.message); }
      } } };`,
      limits: { ...BASE_LIMITS, cpuMs: 1000, wallMs: 10_000, memoryMb: 64 },
    };
    inst.specialise(spec, undefined);
    try {
      const r = await inst.invoke({ reqId: 'abort-1', method: 'GET', url: 'http://w.localhost/', headers: [], body: null }, 1);
      expect(r.ok && (typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body as Uint8Array))).toBe('RangeError: enough');
      await closed; // the upstream connection was dropped, not left to the fetch timeout
    } finally {
      inst.dispose();
    }
  });
});
