// URL cases in the style of web-platform-tests url/ (written for isoedge; inputs in the manner of url/resources/urltestdata.json).
import { attempt, c, caseWorker } from '../harness.ts';

const href = (i, b) => attempt(() => new URL(i, b).href);
const T = 'url/url-constructor.any.js';
export const cases = [
  c('tabs and newlines are stripped', T, () => href('http://exa\tmple.\norg/', undefined), 'http://example.org/'),
  c('relative path against a base', T, () => href('../x?y#z', 'http://h/a/b/c'), 'http://h/a/x?y#z'),
  c('backslash in a special URL', T, () => href('\\\\x\\hello', 'http://example.org/foo/bar'), 'http://x/hello'),
  c('default port is dropped', T, () => href('https://h:443/', undefined), 'https://h/'),
  c('port out of range throws TypeError', T, () => href('http://f:999999/c', undefined), { threw: 'TypeError' }),
  c('IDN host becomes punycode', 'url/IdnaTestV2.window.js', () => new URL('http://b\u00fccher.example/').host, 'xn--bcher-kva.example'),
  c('IPv4 in hex is normalised', 'url/url-constructor.any.js', () => new URL('http://0x7f.1/').host, '127.0.0.1'),
  c('IPv6 is compressed', T, () => new URL('http://[0:0:0:0:0:0:0:1]/').host, '[::1]'),
  c('non-special scheme keeps its path', T, () => { const u = new URL('foo://host/a b'); return [u.protocol, u.host, u.pathname]; }, ['foo:', 'host', '/a%20b']),
  c('origin of a blob-less opaque URL is null', 'url/url-origin.any.js', () => [new URL('data:text/plain,x').origin, new URL('https://a.b:8443/x').origin], ['null', 'https://a.b:8443']),
  c('URL.canParse and URL.parse', 'url/url-statics-canparse.any.js', () => [URL.canParse('x', 'http://a/'), URL.canParse('x'), URL.parse('nope') === null], [true, false, true]),
  c('setters: pathname and search', 'url/url-setters.any.js', () => { const u = new URL('http://h/'); u.pathname = 'a/b c'; u.search = 'q=1 2'; u.hash = 'h'; return u.href; }, 'http://h/a/b%20c?q=1%202#h'),
  c('setter: protocol cannot switch special to non-special', 'url/url-setters.any.js', () => { const u = new URL('http://h/'); u.protocol = 'foo'; return u.protocol; }, 'http:'),
  c('URLSearchParams parse and sort', 'url/urlsearchparams-sort.any.js', () => { const p = new URLSearchParams('z=1&a=2&a=1+3'); p.sort(); return [p.toString(), p.getAll('a')]; }, ['a=2&a=1+3&z=1', ['2', '1 3']]),
  c('URLSearchParams encoding', 'url/urlsearchparams-stringifier.any.js', () => new URLSearchParams({ 'a b': '\u00e9&=+', '~*': '' }).toString(), 'a+b=%C3%A9%26%3D%2B&%7E*='),
  c('searchParams is live', 'url/urlsearchparams-foreach.any.js', () => { const u = new URL('http://h/?a=1'); u.searchParams.append('b', '2'); return u.search; }, '?a=1&b=2'),
  c('URLSearchParams.size and has(name, value)', 'url/urlsearchparams-size.any.js', () => { const p = new URLSearchParams('a=1&a=2&b'); return [p.size, p.has('a', '2'), p.has('a', '3')]; }, [3, true, false]),
  c('URLPattern matches and groups', 'urlpattern/urlpattern.any.js', () => { const p = new URLPattern({ pathname: '/books/:id' }); return [p.test('https://x/books/12'), p.exec('https://x/books/12')?.pathname.groups.id]; }, [true, '12']),
  c('URL.toJSON', 'url/url-tojson.any.js', () => JSON.stringify({ u: new URL('http://h/x') }), '{"u":"http://h/x"}'),
];

export default caseWorker(cases);
