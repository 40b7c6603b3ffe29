/**
 * Timers and the small globals in the guest runtime (guest/09_timers.js, 05_globals.js,
 * 01_events.js reportError). Each case names the web-platform-tests file it follows
 * (html/webappapis/timers/, html/webappapis/microtask-queuing/, html/webappapis/scripting/,
 * hr-time/, html/webappapis/structured-clone/); the cases are written for isoedge.
 */
import { describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';

type Case = [wpt: string, name: string, body: string, expected: unknown];

const TIMERS: Case[] = [
  ['html/webappapis/timers/missing-timeout-setinterval.any.js', 'setInterval repeats until cleared; clearTimeout clears an interval too', `
    let n = 0; await new Promise((done) => { const id = setInterval((a, b) => { n += a + b; if (n >= 9) { clearTimeout(id); setTimeout(done, 20); } }, 1, 1, 2); });
    return n;`, 9],
  ['html/webappapis/timers/evil-spec-example.any.js', 'extra arguments reach the callback; this is the global object', `
    return await new Promise((r) => setTimeout(function (a, b) { r([a, b, this === globalThis]); }, 0, 'x', 42));`, ['x', 42, true]],
  ['html/webappapis/timers/negative-settimeout.any.js and type-long-settimeout.any.js', 'negative delays are 0 and delays wrap as a WebIDL long', `
    const t = Date.now(); await new Promise((r) => setTimeout(r, -100)); await new Promise((r) => setTimeout(r, 2 ** 32 + 1)); return Date.now() - t < 1000;`, true],
  ['html/webappapis/timers (timer nesting level)', 'nested zero-delay timers past level 5 wait at least 4 ms', `
    const t = Date.now(); let depth = 0; await new Promise((r) => { const f = () => (++depth === 15 ? r() : setTimeout(f, 0)); setTimeout(f, 0); });
    return Date.now() - t >= 30;`, true],
  ['html/webappapis/timers (ordering)', 'timers fire in delay order; handles are distinct positive integers; clearing an unknown handle is harmless', `
    const log = []; const a = setTimeout(() => log.push('b'), 10); const b = setTimeout(() => log.push('a'), 1); clearTimeout(12345); clearInterval('x');
    while (log.length < 2) await new Promise((r) => setTimeout(r, 5)); return [log, a > 0 && b > 0 && a !== b];`, [['a', 'b'], true]],
  ['html/webappapis/timers (exceptions)', 'an exception in a timer callback is reported as an error event, and the interval keeps running', `
    const seen = []; addEventListener('error', (e) => { seen.push(e.message); e.preventDefault(); });
    let n = 0; await new Promise((done) => { const id = setInterval(() => { if (++n === 3) { clearInterval(id); done(); } throw new Error('tick ' + n); }, 1); });
    return seen;`, ['Uncaught Error: tick 1', 'Uncaught Error: tick 2', 'Uncaught Error: tick 3']],
  ['html/webappapis/microtask-queuing/queue-microtask.any.js', 'queueMicrotask runs before timers, in order; a non-function is a TypeError', `
    const log = []; setTimeout(() => log.push('timeout'), 0); queueMicrotask(() => log.push(1)); Promise.resolve().then(() => log.push(2)); queueMicrotask(() => log.push(3));
    let bad; try { queueMicrotask(1); } catch (e) { bad = e instanceof TypeError; }
    await new Promise((r) => setTimeout(r, 5)); return [log, bad];`, [[1, 2, 3, 'timeout'], true]],
  ['html/webappapis/microtask-queuing/queue-microtask-exceptions.any.js', 'an exception in a microtask is reported, not lost', `
    let got; addEventListener('error', (e) => { got = [e.error.message, e instanceof ErrorEvent]; e.preventDefault(); });
    queueMicrotask(() => { throw new TypeError('mt'); }); await new Promise((r) => setTimeout(r, 1)); return got;`, ['mt', true]],
  ['html/webappapis/scripting/reporterror.any.js', 'reportError dispatches a cancelable ErrorEvent on the global scope', `
    const seen = []; const l = (e) => seen.push([e.message, e.error, e.cancelable, e.isTrusted]); addEventListener('error', l);
    reportError(new Error('one')); reportError('two'); removeEventListener('error', l);
    let bad; try { reportError(); } catch (e) { bad = e instanceof TypeError; }
    return [seen.map((s) => [s[0], typeof s[1], s[2], s[3]]), bad];`, [[['Uncaught Error: one', 'object', true, true], ['Uncaught two', 'string', true, true]], true]],
  ['html/webappapis/scripting/reporterror.any.js', 'any throwable: a non-empty message, the throwable as error, and no getter of it runs (nor when logged)', `
    const seen = []; const l = (e) => seen.push([e.message !== '', e.error]); addEventListener('error', l);
    const t = new TypeError(); reportError(1); reportError(t); reportError(undefined); removeEventListener('error', l);
    let invoked = false; reportError({ get name() { invoked = true; }, get message() { invoked = true; }, toJSON() { invoked = true; }, toString() { invoked = true; } });
    return [seen[0][0] && seen[1][0] && seen[2][0], seen[0][1], seen[1][1] === t, seen[2][1] === undefined, invoked];`, [true, 1, true, true, false]],
  ['(Workers) scheduler.wait', 'scheduler.wait(ms) resolves after the delay', `
    const t = Date.now(); await scheduler.wait(15); return Date.now() - t >= 10;`, true],
];

const GLOBALS: Case[] = [
  ['hr-time/basic.any.js and monotonic-clock.any.js', 'performance.now() is a number relative to timeOrigin that never goes back', `
    const a = performance.now(); const b = performance.now(); return [typeof a, b >= a, a >= 0, performance.timeOrigin > 1.6e12, Math.abs(performance.timeOrigin + a - Date.now()) < 5000];`,
  ['number', true, true, true, true]],
  ['(Workers) performance', 'performance.now() stands still during computation and advances across I/O', `
    const a = performance.now(); const t = Date.now(); while (Date.now() - t < 15) {} const b = performance.now(); await new Promise((r) => setTimeout(r, 15)); const c = performance.now();
    return [a === b, c - a >= 10, Number.isInteger(c)];`, [true, true, true]],
  ['user-timing/mark-measure (performance.mark/measure)', 'marks and measures', `
    performance.mark('a'); await new Promise((r) => setTimeout(r, 12)); performance.mark('b'); const m = performance.measure('ab', 'a', 'b');
    let missing; try { performance.measure('x', 'nope'); } catch (e) { missing = e.name; }
    return [m.entryType, m.duration >= 10, performance.getEntriesByType('mark').map((e) => e.name), performance.getEntriesByName('ab').length, missing];`,
  ['measure', true, ['a', 'b'], 1, 'SyntaxError']],
  ['(Workers) navigator', 'navigator.userAgent answers as Workers does; self is the global', `
    return [navigator.userAgent, self === globalThis, typeof navigator.hardwareConcurrency];`, ['Cloudflare-Workers', true, 'number']],
  ['html/webappapis/structured-clone/structured-clone-battery-of-tests.js', 'primitives, wrappers, Date, RegExp, BigInt, Map, Set, cycles', `
    const o = { a: 1 }; o.self = o; const c = structuredClone({ n: -0, u: undefined, s: 'x', b: 10n, bo: Object(true), nu: Object(5), st: Object('s'), bi: Object(1n),
      d: new Date(5), re: /a+/gi, m: new Map([[o, 1]]), set: new Set([1, 2]), o, arr: [1, , 3] });
    return [Object.is(c.n, -0), 'u' in c, typeof c.b, c.bo instanceof Boolean, c.nu + 0, String(c.st), typeof c.bi, c.d.getTime(), c.re.source + c.re.flags,
      c.m.size, [...c.set], c.o.self === c.o, c.o !== o, [...c.m.keys()][0] === c.o, c.arr.length, 1 in c.arr];`,
  [true, true, 'bigint', true, 5, 's', 'object', 5, 'a+gi', 1, [1, 2], true, true, true, 3, false]],
  ['html/webappapis/structured-clone/structured-clone-battery-of-tests.js', 'ArrayBuffers, views sharing a buffer, and errors', `
    const buf = new Uint8Array([1, 2, 3, 4]).buffer; const v = { a: new Uint8Array(buf, 1, 2), b: new DataView(buf), f: new Float64Array([1.5]) };
    const c = structuredClone(v); const e = structuredClone(Object.assign(new RangeError('r', { cause: 'why' }), { extra: 1 }));
    class MyErr extends TypeError {} const me = structuredClone(new MyErr('m'));
    return [[...c.a], c.a.buffer === c.b.buffer, c.a.buffer !== buf, c.b.byteLength, c.f[0], e instanceof RangeError, e.message, e.cause, 'extra' in e, me.constructor === TypeError, structuredClone(new DOMException('d', 'DataError')).name];`,
  [[2, 3], true, true, 4, 1.5, true, 'r', 'why', false, true, 'DataError']],
  ['html/webappapis/structured-clone/structured-clone-battery-of-tests-harness.js', 'functions, symbols and platform objects are a DataCloneError', `
    const r = []; for (const v of [() => 1, Symbol('s'), { f() {} }, new WeakMap(), Promise.resolve(), new Headers(), new URL('http://a/'), new EventTarget()]) {
      try { structuredClone(v); r.push('cloned'); } catch (e) { r.push(e instanceof DOMException ? e.name : 'other ' + e); } }
    return r;`, Array(8).fill('DataCloneError')],
  ['html/webappapis/structured-clone/structured-clone-battery-of-tests-with-transferables.js', 'transfer moves ArrayBuffers: the original is detached', `
    const buf = new Uint8Array([7, 8]).buffer; const c = structuredClone({ buf, view: new Uint8Array(buf) }, { transfer: [buf] });
    let dup; try { const b2 = new ArrayBuffer(1); structuredClone(b2, { transfer: [b2, b2] }); } catch (e) { dup = e.name; }
    let notTransferable; try { structuredClone(1, { transfer: [{}] }); } catch (e) { notTransferable = e.name; }
    return [buf.byteLength, buf.detached, [...new Uint8Array(c.buf)], c.view.buffer === c.buf, dup, notTransferable];`,
  [0, true, [7, 8], true, 'DataCloneError', 'DataCloneError']],
];

describe('timers', () => {
  it.each(TIMERS)('%s: %s', async (_wpt, _name, body, expected) => {
    expect(await guestEval(body)).toEqual(expected);
  });
});

describe('small globals', () => {
  it.each(GLOBALS)('%s: %s', async (_wpt, _name, body, expected) => {
    expect(await guestEval(body)).toEqual(expected);
  });
});
