// The global surface design §9 names (the WinterTC Minimum Common Web API, Workers' extras, nothing of Node),
// in the style of the web-platform-tests idlharness checks (*/idlharness.any.js): presence and kind only.
import { c, caseWorker } from '../harness.ts';

const INTERFACES = ['AbortController', 'AbortSignal', 'Blob', 'ByteLengthQueuingStrategy', 'CompressionStream', 'CountQueuingStrategy', 'Crypto', 'CryptoKey', 'CustomEvent', 'DecompressionStream', 'DOMException', 'ErrorEvent', 'Event', 'EventTarget', 'File', 'FormData', 'Headers', 'PromiseRejectionEvent', 'ReadableByteStreamController', 'ReadableStream', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest', 'ReadableStreamDefaultController', 'ReadableStreamDefaultReader', 'Request', 'Response', 'SubtleCrypto', 'TextDecoder', 'TextDecoderStream', 'TextEncoder', 'TextEncoderStream', 'TransformStream', 'TransformStreamDefaultController', 'URL', 'URLPattern', 'URLSearchParams', 'WritableStream', 'WritableStreamDefaultController', 'WritableStreamDefaultWriter'];
const FUNCTIONS = ['atob', 'btoa', 'fetch', 'queueMicrotask', 'reportError', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'structuredClone'];
const I = 'interfaces/*.idl via */idlharness.any.js';
const kinds = (names, f) => Object.fromEntries(names.map((n) => [n, f(n)]));

export const cases = [
  c('Minimum Common Web API interfaces are constructors on the global', I, () => kinds(INTERFACES, (n) => typeof globalThis[n]), Object.fromEntries(INTERFACES.map((n) => [n, 'function']))),
  c('Minimum Common Web API functions', I, () => kinds(FUNCTIONS, (n) => typeof globalThis[n]), Object.fromEntries(FUNCTIONS.map((n) => [n, 'function']))),
  c('Minimum Common Web API objects', I, () => kinds(['console', 'crypto', 'navigator', 'performance', 'WebAssembly'], (n) => typeof globalThis[n]), { console: 'object', crypto: 'object', navigator: 'object', performance: 'object', WebAssembly: 'object' }),
  c('global names are not enumerable', 'webidl/ecmascript-binding/interface-object.html', () => Object.keys(globalThis).filter((k) => INTERFACES.includes(k) || FUNCTIONS.includes(k)), []),
  c('interface names and prototype chains', 'webidl/ecmascript-binding/interface-prototype-object.html', () => [Request.name, new Headers()[Symbol.toStringTag], Object.getPrototypeOf(File.prototype) === Blob.prototype, Object.getPrototypeOf(CustomEvent.prototype) === Event.prototype, Object.getPrototypeOf(AbortSignal.prototype) === EventTarget.prototype], ['Request', 'Headers', true, true, true]),
  c('illegal constructors throw TypeError', 'dom/abort/AbortSignal.any.js and WebCryptoAPI/idlharness', () => ['AbortSignal', 'CryptoKey', 'SubtleCrypto', 'ReadableStreamBYOBRequest'].map((n) => { try { new globalThis[n](); return 'constructed'; } catch (e) { return e.name; } }), ['TypeError', 'TypeError', 'TypeError', 'TypeError']),
  c('Workers extras: scheduler.wait, crypto.timingSafeEqual, crypto.DigestStream, navigator.userAgent', 'design §9 (Workers runtime APIs; no WPT)', () => [typeof scheduler?.wait, typeof crypto.subtle.timingSafeEqual, typeof crypto.DigestStream, navigator.userAgent], ['function', 'function', 'function', 'Cloudflare-Workers']),
  c('nothing of Node', 'design §9 (no_nodejs_compat; no WPT)', () => ['require', 'process', 'module', 'Buffer', 'global', 'setImmediate'].map((n) => typeof globalThis[n]), ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined']),
  c('self is the global', 'html/webappapis/ (WorkerGlobalScope.self)', () => self === globalThis, true),
  c('a Request own-property list is empty', 'webidl/ecmascript-binding (attributes are prototype accessors)', () => [Reflect.ownKeys(new Request('http://h/')).length, Reflect.ownKeys(new Response('x')).length, Reflect.ownKeys(new Headers()).length], [0, 0, 0]),
];

export default caseWorker(cases);
