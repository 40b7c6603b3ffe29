// atob / btoa in the style of web-platform-tests html/webappapis/atob/base64.html (written for isoedge; HTML's forgiving-base64).
import { attempt, c, caseWorker } from '../harness.ts';

const W = 'html/webappapis/atob/base64.html';
const codes = (x) => { try { return Array.from(atob(x), (ch) => ch.charCodeAt(0)); } catch (e) { return e.name; } };
export const cases = [
  c('btoa', W, () => [btoa(''), btoa('f'), btoa('fo'), btoa('foo'), btoa('\u00ff')], ['', 'Zg==', 'Zm8=', 'Zm9v', '/w==']),
  c('btoa of a non-Latin-1 string throws InvalidCharacterError', W, () => attempt(() => btoa('\u20ac')), { threw: 'InvalidCharacterError' }),
  c('atob', W, () => [atob('Zm9v'), atob('Zg=='), atob('Zg'), atob('')], ['foo', 'f', 'f', '']),
  c('atob strips ASCII whitespace', W, () => atob(' Zm\t9v\n\f\r'), 'foo'),
  c('atob with length 1 mod 4 throws', W, () => attempt(() => atob('Zm9vY')), { threw: 'InvalidCharacterError' }),
  c('atob with bad padding throws', W, () => [attempt(() => atob('Zg=')), attempt(() => atob('Z===')), attempt(() => atob('Zm=9v'))], [{ threw: 'InvalidCharacterError' }, { threw: 'InvalidCharacterError' }, { threw: 'InvalidCharacterError' }]),
  c('atob with a non-alphabet character throws', W, () => attempt(() => atob('Zm9v-w')), { threw: 'InvalidCharacterError' }),
  c('atob of a number and of undefined', W, () => [atob(12), attempt(() => atob(undefined))], ['\u00d7', { threw: 'InvalidCharacterError' }]),
  c('atob high bytes', W, () => atob('/w==').charCodeAt(0), 255),
  c('atob with no arguments throws TypeError', W, () => attempt(() => atob()), { threw: 'TypeError' }),
  c('atob: padding, stray trailing bits and WebIDL string conversion', W, () => ['abcd===', 'ab=c', '=a', 'A', '/A', 'A/', 'AA/', 'AAA/', 'AAAA/', '\0', null, 7, { toString: () => 'abcd' }].map(codes),
    ['InvalidCharacterError', 'InvalidCharacterError', 'InvalidCharacterError', 'InvalidCharacterError', [252], [3], [0, 15], [0, 0, 63], 'InvalidCharacterError', 'InvalidCharacterError', [158, 233, 101], 'InvalidCharacterError', [105, 183, 29]]),
  c('btoa: WebIDL string conversion and binary safety', W, () => [btoa(null), btoa(7), btoa(undefined), btoa('a\0b'), btoa('\xff\xff\xc0')], ['bnVsbA==', 'Nw==', 'dW5kZWZpbmVk', 'YQBi', '///A']),
];

export default caseWorker(cases);
