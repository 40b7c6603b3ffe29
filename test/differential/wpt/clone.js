// structuredClone in the style of web-platform-tests html/webappapis/structured-clone/ (written for isoedge).
import { attempt, c, caseWorker } from '../harness.ts';

const sc = (v, o) => structuredClone(v, o);
export const cases = [
  c('primitives', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => [sc(1), sc('s'), sc(null), sc(true), String(sc(10n)), Object.is(sc(-0), -0), Number.isNaN(sc(NaN))], [1, 's', null, true, '10', true, true]),
  c('undefined survives', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => sc(undefined) === undefined, true),
  c('Date and RegExp', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const d = sc(new Date(1e12)); const r = sc(/a+/gi); return [d instanceof Date, d.getTime(), r instanceof RegExp, r.source, r.flags]; }, [true, 1e12, true, 'a+', 'gi']),
  c('Map and Set', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const m = sc(new Map([[1, { a: 2 }]])); const s = sc(new Set(['x', 'y'])); return [m.get(1), [...s]]; }, [{ a: 2 }, ['x', 'y']]),
  c('cycles and shared references', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const o = { k: {} }; o.self = o; o.k2 = o.k; const x = sc(o); return [x.self === x, x.k === x.k2, x !== o]; }, [true, true, true]),
  c('typed arrays share a buffer', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const b = new ArrayBuffer(8); const x = sc([new Uint8Array(b, 2, 2), new DataView(b)]); return [x[0].byteOffset, x[0].length, x[0].buffer === x[1].buffer]; }, [2, 2, true]),
  c('Error name, message and cause', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const e = sc(new RangeError('m', { cause: 'c' })); return [e instanceof RangeError, e.name, e.message, e.cause]; }, [true, 'RangeError', 'm', 'c']),
  c('DOMException', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const e = sc(new DOMException('m', 'NotFoundError')); return [e instanceof DOMException, e.name, e.message, e.code]; }, [true, 'NotFoundError', 'm', 8]),
  c('function throws DataCloneError', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => attempt(() => sc(() => 1)), { threw: 'DataCloneError' }),
  c('symbol throws DataCloneError', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => attempt(() => sc(Symbol('s'))), { threw: 'DataCloneError' }),
  c('WeakMap throws DataCloneError', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => attempt(() => sc(new WeakMap())), { threw: 'DataCloneError' }),
  c('transfer detaches the ArrayBuffer', 'html/webappapis/structured-clone/structured-clone-battery-of-tests-with-transferables.js', () => { const b = new Uint8Array([1, 2, 3]).buffer; const x = sc(b, { transfer: [b] }); return [b.byteLength, x.byteLength, new Uint8Array(x)[2]]; }, [0, 3, 3]),
  c('prototype and getters are not kept', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { class K { constructor() { this.a = 1; } get g() { return 2; } } const x = sc(new K()); return [Object.getPrototypeOf(x) === Object.prototype, x.a, x.g]; }, [true, 1, null]),
  c('Boolean, Number and String objects', 'html/webappapis/structured-clone/structured-clone-battery-of-tests.js', () => { const [b, n, s] = sc([new Boolean(false), new Number(3), new String('s')]); return [typeof b, b.valueOf(), n.valueOf(), s.valueOf()]; }, ['object', false, 3, 's']),
];

export default caseWorker(cases);
