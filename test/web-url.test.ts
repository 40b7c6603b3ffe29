/**
 * URL, URLSearchParams and URLPattern in the guest runtime (guest/04_url.js on the host's WHATWG
 * parser, bridge/url.ts). Cases follow web-platform-tests url/url-constructor.any.js (with
 * url/resources/urltestdata.json), url/url-setters.any.js, url/urlsearchparams-*.any.js and
 * urlpattern/urlpattern.any.js; each names the file it follows.
 *
 * VECTORS below are a trimmed set of entries copied from web-platform-tests
 * url/resources/urltestdata.json (commit 04f8022e; web-platform-tests is under the 3-Clause BSD
 * License, © web-platform-tests contributors); the others are written for isoedge.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';

type Vector = { input: string; base: string | null; href?: string; protocol?: string; origin?: string; host?: string; hostname?: string; port?: string; pathname?: string; search?: string; hash?: string; username?: string; password?: string; failure?: true };

// From urltestdata.json (WPT), trimmed to the fields compared.
const VECTORS: Vector[] = [
  { input: 'http://example\t.\norg', base: 'http://example.org/foo/bar', href: 'http://example.org/' },
  { input: 'http://user:pass@foo:21/bar;par?b#c', base: 'http://example.org/foo/bar', href: 'http://user:pass@foo:21/bar;par?b#c', origin: 'http://foo:21', username: 'user', password: 'pass', host: 'foo:21', port: '21', pathname: '/bar;par', search: '?b', hash: '#c' },
  { input: 'https://test:@test', base: 'about:blank', href: 'https://test@test/' },
  { input: 'non-special://test:@test/x', base: 'about:blank', href: 'non-special://test@test/x', origin: 'null' },
  { input: 'http:foo.com', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/foo.com' },
  { input: '\t   :foo.com   \n', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/:foo.com' },
  { input: 'a:\t foo.com', base: 'http://example.org/foo/bar', href: 'a: foo.com', pathname: ' foo.com' },
  { input: 'http://f:21/ b ? d # e ', base: 'http://example.org/foo/bar', href: 'http://f:21/%20b%20?%20d%20#%20e' },
  { input: 'lolscheme:x x#x x', base: 'about:blank', href: 'lolscheme:x x#x%20x' },
  { input: 'http://f:00000000000000000000080/c', base: 'http://example.org/foo/bar', href: 'http://f/c', port: '' },
  { input: 'http://f:b/c', base: 'http://example.org/foo/bar', failure: true },
  { input: 'http://f: /c', base: 'http://example.org/foo/bar', failure: true },
  { input: 'http://f:999999/c', base: 'http://example.org/foo/bar', failure: true },
  { input: 'non-special://f:999999/c', base: 'http://example.org/foo/bar', failure: true },
  { input: '', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/bar' },
  { input: ':foo.com\\', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/:foo.com/' },
  { input: '#', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/bar#', hash: '' },
  { input: '?', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/bar?', search: '' },
  { input: '\\\\x\\hello', base: 'http://example.org/foo/bar', href: 'http://x/hello' },
  { input: 'foo://', base: 'http://example.org/foo/bar', href: 'foo://', pathname: '' },
  { input: 'http::@c:29', base: 'http://example.org/foo/bar', href: 'http://example.org/foo/:@c:29' },
  { input: 'http://&a:foo(b]c@d:2/', base: 'http://example.org/foo/bar', href: 'http://&a:foo(b%5Dc@d:2/', password: 'foo(b%5Dc' },
  { input: 'http://::@c@d:2', base: 'http://example.org/foo/bar', href: 'http://:%3A%40c@d:2/' },
  { input: 'http://foo.com/\\@', base: 'http://example.org/foo/bar', href: 'http://foo.com//@' },
];

// Written for isoedge after the sections of urltestdata.json on hosts (IDNA, IPv4, IPv6), ports, paths and bases.
const MORE: Vector[] = [
  { input: 'http://münchen.de/', base: null, href: 'http://xn--mnchen-3ya.de/', hostname: 'xn--mnchen-3ya.de' },
  { input: 'http://☃.net/', base: null, href: 'http://xn--n3h.net/' },
  { input: 'http://Ｇｏ.com', base: null, href: 'http://go.com/' },
  { input: 'https://a%C2%ADb/', base: null, href: 'https://ab/' },
  { input: 'http://EXAMPLE.com./', base: null, href: 'http://example.com./' },
  { input: 'http://ex%41mple.com/', base: null, href: 'http://example.com/' },
  { input: 'http://0x7f.1/', base: null, href: 'http://127.0.0.1/' },
  { input: 'http://%30%78%63%30%2e%30%32%35%30.01', base: null, href: 'http://192.168.0.1/' },
  { input: 'http://4294967295', base: null, href: 'http://255.255.255.255/' },
  { input: 'http://10000000000', base: null, failure: true },
  { input: 'http://1.2.3.4.5/', base: null, failure: true },
  { input: 'http://256.256.256.256/', base: null, failure: true },
  { input: 'http://0.0.0.0x100', base: null, failure: true },
  { input: 'http://[::1]:80/', base: null, href: 'http://[::1]/', host: '[::1]', port: '' },
  { input: 'http://[1:0::]', base: null, href: 'http://[1::]/' },
  { input: 'http://[1::2]:3:4', base: null, failure: true },
  { input: 'http://a b/', base: null, failure: true },
  { input: 'http://user@/x', base: null, failure: true },
  { input: 'http://example.com:65536/', base: null, failure: true },
  { input: 'non-special://host:65535/', base: null, href: 'non-special://host:65535/', origin: 'null' },
  { input: 'sc://ñ', base: null, href: 'sc://%C3%B1', host: '%C3%B1' },
  { input: 'wss://x:443/', base: null, href: 'wss://x/', origin: 'wss://x' },
  { input: 'file:///C:/x', base: null, href: 'file:///C:/x', origin: 'null' },
  { input: 'file://localhost/x', base: null, href: 'file:///x' },
  { input: 'data:text/plain,a b', base: null, href: 'data:text/plain,a b', pathname: 'text/plain,a b' },
  { input: 'blob:https://a.com/uuid', base: null, origin: 'https://a.com' },
  { input: 'http://example.com/a/./b/../c', base: null, pathname: '/a/c' },
  { input: 'HTTP://EXAMPLE.COM/%7Efoo', base: null, href: 'http://example.com/%7Efoo' },
  { input: 'http://example.com/é?q=a b#a b', base: null, href: 'http://example.com/%C3%A9?q=a%20b#a%20b' },
  { input: '?x', base: 'http://a/b?c#d', href: 'http://a/b?x' },
  { input: 'g;x=1/../y', base: 'http://a/b/c/d;p?q', href: 'http://a/b/c/y' },
  { input: '../../../g', base: 'http://a/b/c/d;p?q', href: 'http://a/g' },
  { input: '//g', base: 'http://a/b/c/d;p?q', href: 'http://g/' },
  { input: 'x', base: 'mailto:a@b', failure: true },
  { input: 'x', base: 'not a url', failure: true },
  { input: 'relative/path', base: null, failure: true },
];

const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;

describe('URL constructor (url/url-constructor.any.js, urltestdata.json)', () => {
  let got: unknown[] = [];
  const all = [...VECTORS.map((v) => ['urltestdata.json', v] as const), ...MORE.map((v) => ['isoedge', v] as const)];
  beforeAll(async () => {
    got = await guestEval(`
      const vs = ${JSON.stringify(all.map(([, v]) => [v.input, v.base]))};
      return vs.map(([input, base]) => {
        let u; try { u = base === null ? new URL(input) : new URL(input, base); } catch (e) { return e instanceof TypeError ? 'failure' : 'wrong error ' + e; }
        const canParse = base === null ? URL.canParse(input) : URL.canParse(input, base);
        return { ${FIELDS.map((f) => `${f}: u.${f}`).join(', ')}, canParse, str: String(u), json: u.toJSON() };
      });`) as unknown[];
  });
  it.each(all.map(([src, v], i) => [src, JSON.stringify(v.input), v.base, i, v] as const))('%s: %s against %s', (_src, _in, _base, i, v) => {
    const r = got[i];
    if (v.failure) { expect(r).toBe('failure'); return; }
    const want: Record<string, unknown> = {};
    for (const f of FIELDS) if (v[f] !== undefined) want[f] = v[f];
    expect(r).toMatchObject({ ...want, canParse: true });
    expect((r as { str: string }).str).toBe((r as { href: string }).href);
  });
});

type Case = [wpt: string, name: string, body: string, expected: unknown];
const CASES: Case[] = [
  ['url/url-statics-parse.any.js', 'URL.parse answers null or a URL', `
    return [URL.parse('x'), URL.parse('x', 'http://a/').href, URL.parse('http://a/') instanceof URL, URL.canParse('nope')];`, [null, 'http://a/x', true, false]],
  ['url/url-constructor.any.js', 'a URL object as base, and String() conversion of the input', `
    const b = new URL('http://a/b/c'); return [new URL('d', b).href, new URL({ toString() { return 'http://z/'; } }).href];`, ['http://a/b/d', 'http://z/']],
  ['url/url-setters.any.js', 'setters re-parse through the host parser', `
    const u = new URL('http://example.net/path');
    const r = [];
    u.protocol = 'https'; r.push(u.href); u.protocol = 'mailto'; r.push(u.protocol);
    u.username = 'me@x'; u.password = 'p w'; r.push(u.href);
    u.host = 'münchen.de:8080'; r.push(u.host); u.port = '443'; r.push(u.port, u.href); u.port = 'abc'; r.push(u.port);
    u.hostname = 'a b'; r.push(u.hostname);
    u.pathname = '/a b/../c'; r.push(u.pathname); u.search = 'q=1 2'; r.push(u.search); u.hash = 'h h'; r.push(u.hash);
    u.search = ''; u.hash = ''; r.push(u.href);
    return r;`, ['https://example.net/path', 'https:', 'https://me%40x:p%20w@example.net/path', 'xn--mnchen-3ya.de:8080', '', 'https://me%40x:p%20w@xn--mnchen-3ya.de/path', '', 'xn--mnchen-3ya.de', '/c', '?q=1%202', '#h%20h', 'https://me%40x:p%20w@xn--mnchen-3ya.de/c']],
  ['url/url-setters.any.js', 'the href setter throws a TypeError on an invalid URL and keeps the old one', `
    const u = new URL('http://a/'); let e; try { u.href = 'nope'; } catch (x) { e = x instanceof TypeError; } u.href = 'https://b/?x=1'; return [e, u.href, u.searchParams.get('x')];`, [true, 'https://b/?x=1', '1']],
  ['url/url-searchparams.any.js', 'searchParams and search stay in step', `
    const u = new URL('http://a/?a=1&b=2'); const p = u.searchParams; const same = p === u.searchParams;
    p.append('c', '3 4'); const h1 = u.href; u.search = '?z=9'; const g = p.get('z'); p.delete('z'); const h2 = u.href;
    return [same, h1, g, h2, p.size];`, [true, 'http://a/?a=1&b=2&c=3+4', '9', 'http://a/', 0]],
  ['url/urlsearchparams-constructor.any.js', 'string, sequence, record and URLSearchParams inits', `
    const a = new URLSearchParams('?a=b&c=d&&e'); const b = new URLSearchParams([['x', '1'], ['x', '2']]); const c = new URLSearchParams({ k: 'v', n: 1 });
    const d = new URLSearchParams(a); a.append('z', 'z'); let bad; try { new URLSearchParams([['only']]); } catch (e) { bad = e instanceof TypeError; }
    return [a.toString(), b.getAll('x'), c.toString(), d.toString(), bad, new URLSearchParams('a=b+c%20d%zz').get('a'), new URLSearchParams('%E2%82%AC=%FF').toString()];`,
  ['a=b&c=d&e=&z=z', ['1', '2'], 'k=v&n=1', 'a=b&c=d&e=', true, 'b c d%zz', '%E2%82%AC=%EF%BF%BD']],
  ['url/urlsearchparams-stringifier.any.js', 'the urlencoded serializer', `
    const p = new URLSearchParams(); p.append('a b', "*-._!'()~"); p.append('€', '\\uD800'); p.append('=&', '+');
    return p.toString();`, 'a+b=*-._%21%27%28%29%7E&%E2%82%AC=%EF%BF%BD&%3D%26=%2B'],
  ['url/urlsearchparams-delete.any.js and -has.any.js', 'delete and has with an optional value', `
    const p = new URLSearchParams('a=1&a=2&b=3'); const r = [p.has('a', '2'), p.has('a', '9')]; p.delete('a', '1'); r.push(p.toString()); p.delete('a'); r.push(p.toString()); return r;`,
  [true, false, 'a=2&b=3', 'b=3']],
  ['url/urlsearchparams-set.any.js', 'set replaces the first and drops the rest', `
    const p = new URLSearchParams('a=1&b=2&a=3'); p.set('a', 'x'); p.set('c', 'y'); return p.toString();`, 'a=x&b=2&c=y'],
  ['url/urlsearchparams-sort.any.js', 'sort is stable by code units', `
    const p = new URLSearchParams('z=b&a=b&z=a&a=a&\\uFFFD=x&\\uD83D\\uDE00=y'); p.sort(); return [...p.keys()].join(',') + '|' + p.getAll('z').join(',');`, 'a,a,z,z,\u{1F600},\uFFFD|b,a'],
  ['url/urlsearchparams-size.any.js', 'size counts pairs', `
    const p = new URLSearchParams('a=1&b=2&a=3'); const s = p.size; p.delete('a'); return [s, p.size, new URL('http://x/?a&b').searchParams.size];`, [3, 1, 2]],
  ['url/urlsearchparams-foreach.any.js', 'iteration is live and forEach passes (value, key, params)', `
    const p = new URLSearchParams('a=1&b=2'); const seen = []; for (const [k] of p) { seen.push(k); if (k === 'a') p.append('c', '3'); }
    const fe = []; p.forEach((v, k, o) => fe.push(k + v + (o === p))); return [seen, fe, p[Symbol.iterator] === p.entries];`, [['a', 'b', 'c'], ['a1true', 'b2true', 'c3true'], true]],
  ['urlpattern/urlpattern.any.js', 'URLPattern compiles and matches with groups', `
    const p = new URLPattern({ pathname: '/books/:id(\\\\d+)' }); const r = p.exec('https://example.com/books/123?x');
    return [p.pathname, p.protocol, p.test('https://a/books/abc'), r.pathname.groups.id, r.pathname.input, r.inputs[0], p.hasRegExpGroups];`,
  ['/books/:id(\\d+)', '*', false, '123', '/books/123', 'https://example.com/books/123?x', true]],
  ['urlpattern/urlpattern.any.js', 'string patterns with a base URL, optional groups undefined, errors are TypeErrors', `
    const p = new URLPattern('/a/:x?', 'https://example.com'); const r = p.exec('https://example.com/a');
    let e; try { new URLPattern({ pathname: '/(' }); } catch (x) { e = x instanceof TypeError; }
    const i = new URLPattern({ pathname: '/A' }, { ignoreCase: true });
    return [p.hostname, 'x' in r.pathname.groups, r.pathname.groups.x === undefined, e, i.test({ pathname: '/a' }), p.test('/a', 'https://example.com')];`,
  ['example.com', true, true, true, true, true]],
];

describe('URL setters, URLSearchParams and URLPattern', () => {
  it.each(CASES)('%s: %s', async (_wpt, _name, body, expected) => {
    expect(await guestEval(body)).toEqual(expected);
  });

  // A pattern of wildcards backtracks polynomially: over a minute of CPU in Node for this input. On the host it would stall the executor thread.
  it('(isoedge) URLPattern is compiled on first use, and its matching runs under the request CPU limit, not on the host', async () => {
    expect(await guestEval(`
      const before = typeof Object.getOwnPropertyDescriptor(globalThis, 'URLPattern').get;
      const P = URLPattern; const p = new P({ pathname: '/x' });
      return [before, typeof Object.getOwnPropertyDescriptor(globalThis, 'URLPattern').value, p instanceof URLPattern, URLPattern === P];`)).toEqual(['function', 'function', true, true]);
    await expect(guestEval(`return new URLPattern({ pathname: '*a*a*a*a*a*a*b' }).test('https://x/' + 'a'.repeat(120));`, { cpuMs: 50 })).rejects.toThrow(/EDGE_ERR_CPU_LIMIT/);
  });
});
