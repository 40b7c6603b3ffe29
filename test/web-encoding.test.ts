/**
 * TextEncoder / TextDecoder and atob / btoa in the guest runtime (guest/02_encoding.js). Each case
 * names the web-platform-tests file it follows (encoding/*.any.js, html/webappapis/atob/base64.any.js);
 * the cases are written for isoedge from those files' assertions.
 */
import { describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';

type Case = [wpt: string, name: string, body: string, expected: unknown];

const CASES: Case[] = [
  ['encoding/textdecoder-streaming.any.js', 'a euro sign split over two chunks decodes as one character', `
    const d = new TextDecoder(); const a = d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }); const b = d.decode(new Uint8Array([0xac]), { stream: true }); const c = d.decode();
    return [a, b, c, (a + b + c).length];`, ['', '€', '', 1]],
  ['encoding/textdecoder-streaming.any.js', 'every window size of a mixed UTF-8, UTF-16LE and UTF-16BE string round-trips', `
    const s = 'A\\u00A9\\u20AC\\u{1F600}z';
    const u8 = new TextEncoder().encode(s);
    const le = []; const be = []; for (const ch of s) for (let i = 0; i < ch.length; i++) { const u = ch.charCodeAt(i); le.push(u & 255, u >> 8); be.push(u >> 8, u & 255); }
    const ok = [];
    for (const [label, bytes] of [['utf-8', u8], ['utf-16le', le], ['utf-16be', be]]) for (let w = 1; w <= 5; w++) {
      const d = new TextDecoder(label); let out = '';
      for (let i = 0; i < bytes.length; i += w) out += d.decode(new Uint8Array(bytes.slice(i, i + w)), { stream: true });
      out += d.decode(); ok.push(out === s);
    }
    return ok.every(Boolean);`, true],
  ['encoding/textdecoder-streaming.any.js', 'an unfinished sequence at the end of the stream is U+FFFD', `
    const d = new TextDecoder(); return [d.decode(new Uint8Array([0xf0, 0x9f]), { stream: true }), d.decode(), new TextDecoder('utf-16le').decode(new Uint8Array([0x41]))];`, ['', '\uFFFD', '\uFFFD']],
  ['encoding/textdecoder-fatal.any.js', 'fatal throws a TypeError on every invalid sequence', `
    const bad = [[0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc2], [0x80]];
    const r = bad.map((b) => { try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(b)); return 'no'; } catch (e) { return e instanceof TypeError; } });
    let u16; try { new TextDecoder('utf-16le', { fatal: true }).decode(new Uint8Array([0x00, 0xd8])); } catch (e) { u16 = e instanceof TypeError; }
    return [...r, u16, new TextDecoder('utf-8', { fatal: true }).fatal];`, [true, true, true, true, true, true, true, true, true]],
  ['encoding/textdecoder-fatal-streaming.any.js', 'with fatal, a split sequence waits for its end', `
    const d = new TextDecoder('utf-8', { fatal: true }); const a = d.decode(new Uint8Array([0xe2]), { stream: true });
    let e; try { d.decode(); } catch (x) { e = x instanceof TypeError; } return [a, e, d.decode(new Uint8Array([0x41]))];`, ['', true, 'A']],
  ['encoding/textdecoder-replacement (api-invalid-label / utf-8 decoder)', 'invalid sequences become U+FFFD per maximal subpart', `
    return new TextDecoder().decode(new Uint8Array([0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0xed, 0xa0, 0x80]));`,
  'a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFD\uFFFD'],
  ['encoding/textdecoder-ignorebom.any.js', 'the BOM is stripped once, unless ignoreBOM', `
    const u8 = [0xef, 0xbb, 0xbf, 0x41, 0xef, 0xbb, 0xbf]; const le = [0xff, 0xfe, 0x41, 0x00]; const be = [0xfe, 0xff, 0x00, 0x41];
    return [new TextDecoder().decode(new Uint8Array(u8)), new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(u8)),
      new TextDecoder('utf-16le').decode(new Uint8Array(le)), new TextDecoder('utf-16be').decode(new Uint8Array(be)),
      new TextDecoder('utf-16le', { ignoreBOM: true }).decode(new Uint8Array(le)), new TextDecoder('utf-8', { ignoreBOM: true }).ignoreBOM];`,
  ['A\uFEFF', '\uFEFFA\uFEFF', 'A', 'A', '\uFEFFA', true]],
  ['encoding/textdecoder-byte-order-marks.any.js', 'a BOM split across streamed chunks is still stripped; a later decode() call starts a new stream', `
    const d = new TextDecoder(); const a = d.decode(new Uint8Array([0xef, 0xbb]), { stream: true }) + d.decode(new Uint8Array([0xbf, 0x41]));
    const b = d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x42])); return [a, b];`, ['A', 'B']],
  ['encoding/textdecoder-labels.any.js', 'the labels of utf-8, utf-16le and utf-16be, trimmed and case-insensitive', `
    const l = { 'utf-8': ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8', ' UTF-8\\t', '\\nUtf8\\f'],
      'utf-16le': ['csunicode', 'iso-10646-ucs-2', 'ucs-2', 'unicode', 'unicodefeff', 'utf-16', 'utf-16le', 'UTF-16LE '], 'utf-16be': ['unicodefffe', 'utf-16be'] };
    const ok = []; for (const [enc, labels] of Object.entries(l)) for (const x of labels) ok.push(new TextDecoder(x).encoding === enc);
    return [ok.every(Boolean), ok.length, new TextDecoder().encoding];`, [true, 18, 'utf-8']],
  ['encoding/api-invalid-label.any.js', 'unknown labels, replacement labels and non-ASCII whitespace throw a RangeError', `
    return ['foo', 'replacement', 'iso-2022-cn', 'hz-gb-2312', '\\u00a0utf-8', 'utf-8\\v', '\\u00a0windows-1252', ''].map((x) => { try { new TextDecoder(x); return 'no'; } catch (e) { return e instanceof RangeError; } });`,
  [true, true, true, true, true, true, true, true]],
  ['encoding/textdecoder-labels.any.js', 'legacy labels name their encodings (ASCII whitespace trimmed, any case)', `
    return ['latin1', ' ASCII ', 'iso-8859-2', 'koi8-r', 'sjis', 'x-gbk', 'big5-hkscs', 'cseuckr', 'csiso2022jp', 'x-user-defined', 'gb18030'].map((x) => new TextDecoder(x).encoding);`,
  ['windows-1252', 'windows-1252', 'iso-8859-2', 'koi8-r', 'shift_jis', 'gbk', 'big5', 'euc-kr', 'iso-2022-jp', 'x-user-defined', 'gb18030']],
  ['encoding/legacy-mb-*/ and single-byte-decoder.window.js', 'single-byte and multi-byte legacy encodings decode by the standard\'s indexes', `
    const d = (label, bytes) => new TextDecoder(label).decode(new Uint8Array(bytes));
    return [d('windows-1252', [0x80, 0x41, 0x81, 0x9f]), d('iso-8859-2', [0xa1, 0xb1]), d('koi8-r', [0xc1, 0xc2]), d('x-user-defined', [0x41, 0x80, 0xff]),
      d('shift_jis', [0x82, 0xa0, 0x83, 0x41]), d('gbk', [0xd6, 0xd0]), d('gb18030', [0x81, 0x30, 0x81, 0x30]), d('big5', [0xa4, 0x40]), d('euc-kr', [0xb0, 0xa1]),
      d('euc-jp', [0xa4, 0xa2]), d('iso-2022-jp', [0x1b, 0x24, 0x42, 0x24, 0x22, 0x1b, 0x28, 0x42, 0x41])];`,
  ['€A\u0081\u0178', 'Ąą', 'аб', 'A\uF780\uF7FF', 'あア', '中', '\u0080', '一', '가', 'あ', 'あA']],
  ['encoding/textdecoder-streaming.any.js (legacy)', 'a shift_jis character split over two chunks decodes once the second arrives; decoders do not share state', `
    const a = new TextDecoder('shift_jis'); const b = new TextDecoder('shift_jis');
    const r = [a.decode(new Uint8Array([0x82]), { stream: true }), b.decode(new Uint8Array([0x83]), { stream: true }), a.decode(new Uint8Array([0xa0])), b.decode(new Uint8Array([0x41]))];
    return [...r, a.decode(new Uint8Array([0x82])), new TextDecoder('gbk').decode(new Uint8Array([0xd6]), { stream: true })];`,
  ['', '', 'あ', 'ア', '\uFFFD', '']],
  ['encoding/textdecoder-fatal.any.js (legacy)', 'fatal throws a TypeError on an invalid legacy sequence; the decoder is usable afterwards', `
    const d = new TextDecoder('shift_jis', { fatal: true });
    let e1; try { d.decode(new Uint8Array([0x82])); } catch (e) { e1 = [e instanceof TypeError, e.message]; }
    let e2; try { d.decode(new Uint8Array([0xa0]), { stream: true }); d.decode(new Uint8Array([0x82, 0x41])); } catch (e) { e2 = e instanceof TypeError; }
    return [e1, e2, d.decode(new Uint8Array([0x82, 0xa0])), d.fatal, d.encoding];`,
  [[true, 'The encoded data was not valid shift_jis.'], true, 'あ', true, 'shift_jis']],
  ['(isoedge: a bound on host-side state)', 'at most 64 legacy decoders stream at once per instance; one that ends frees its slot', `
    const open = []; for (let i = 0; i < 64; i++) { const d = new TextDecoder('gbk'); d.decode(new Uint8Array([0xd6]), { stream: true }); open.push(d); }
    let over; try { new TextDecoder('gbk').decode(new Uint8Array([0xd6]), { stream: true }); } catch (e) { over = [e instanceof TypeError, /more than 64/.test(e.message)]; }
    const ended = open[0].decode(new Uint8Array([0xd0]));
    const again = new TextDecoder('gbk').decode(new Uint8Array([0xd6]), { stream: true });
    return [over, ended, again, new TextDecoder('gbk').decode(new Uint8Array([0xd6, 0xd0]))];`,
  [[true, true], '中', '', '中']],
  ['encoding/streams/decode-*.any.js (legacy)', 'TextDecoderStream decodes a legacy encoding across chunks', `
    const ts = new TextDecoderStream('euc-kr'); const w = ts.writable.getWriter();
    w.write(new Uint8Array([0xb0])); w.write(new Uint8Array([0xa1, 0x41])); w.close();
    return [ts.encoding, await new Response(ts.readable.pipeThrough(new TextEncoderStream())).text()];`,
  ['euc-kr', '가A']],
  ['encoding/api-basics.any.js', 'encode defaults, encoding attributes, and views of any offset', `
    const e = new TextEncoder(); const buf = new Uint8Array([0, 0x68, 0x69, 0]).buffer;
    return [e.encoding, [...e.encode()], [...e.encode('\\u{1F600}\\uD800')], new TextDecoder().decode(new DataView(buf, 1, 2)), new TextDecoder().decode(buf.slice(1, 3)), new TextDecoder().decode()];`,
  ['utf-8', [], [0xf0, 0x9f, 0x98, 0x80, 0xef, 0xbf, 0xbd], 'hi', 'hi', '']],
  ['encoding/encodeInto.any.js', 'encodeInto writes whole code points only and answers read/written', `
    const e = new TextEncoder(); const r = [];
    for (const [s, n] of [['Hi', 10], ['\\u00A9\\u00A9', 3], ['\\u{1F600}x', 3], ['\\u{1F600}x', 5], ['\\uD800a', 4]]) { const d = new Uint8Array(n); const x = e.encodeInto(s, d); r.push([x.read, x.written, [...d.slice(0, x.written)]]); }
    let bad; try { e.encodeInto('x', []); } catch (x) { bad = x instanceof TypeError; } r.push(bad);
    return r;`, [[2, 2, [72, 105]], [1, 2, [0xc2, 0xa9]], [0, 0, []], [3, 5, [0xf0, 0x9f, 0x98, 0x80, 0x78]], [2, 4, [0xef, 0xbf, 0xbd, 0x61]], true]],
  ['encoding/api-basics.any.js (long input)', 'long ASCII runs, short runs between multi-byte characters, and a BOM-less start round-trip', `
    const s = 'x'.repeat(70000) + 'héllo wörld € 😀 '.repeat(5000) + 'y'.repeat(100) + '\uFEFF';
    const d = new TextDecoder(); return [d.decode(new TextEncoder().encode(s)) === s, d.decode(new TextEncoder().encode('\uFEFF' + s)) === s];`, [true, true]],
  ['html/webappapis/atob/base64.any.js', 'btoa of Latin-1, InvalidCharacterError beyond it', `
    let e; try { btoa('\\u0100'); } catch (x) { e = [x.name, x instanceof DOMException]; } return [btoa(''), btoa('f'), btoa('fo'), btoa('foo'), btoa('\\xff\\xfe'), btoa(null), e];`,
  ['', 'Zg==', 'Zm8=', 'Zm9v', '//4=', 'bnVsbA==', ['InvalidCharacterError', true]]],
  ['html/webappapis/atob/base64.any.js', 'atob is forgiving: whitespace, missing padding, leftover bits', `
    return [atob(''), atob('Zg'), atob('Zg=='), atob(' Z g = = '), atob('Zm9v'), atob('YQ'), atob('YR'), atob('\\tZ\\nm\\f9\\rv '), atob('ab=c'.replace('=c', 'c'))];`,
  ['', 'f', 'f', 'f', 'foo', 'a', 'a', 'foo', 'i\u00b7']],
  ['html/webappapis/atob/base64.any.js', 'atob refuses bad length, bad padding and characters outside the alphabet', `
    return ['Z', 'Zg=', 'Zg===', '=Zg=', 'Zm9v=', 'ab-c', 'ab\\u00e9c', 'Zg==Zg==', 'Zm\\u000bZv'].map((x) => { try { atob(x); return 'no'; } catch (e) { return e.name; } });`,
  Array(9).fill('InvalidCharacterError')],
];

describe('Encoding and base64', () => {
  it.each(CASES)('%s: %s', async (_wpt, _name, body, expected) => {
    expect(await guestEval(body)).toEqual(expected);
  });
});
