// Encoding cases in the style of web-platform-tests encoding/ (written for isoedge).
import { arr, attempt, c, caseWorker, chunks } from '../harness.ts';

export const cases = [
  c('TextEncoder encodes UTF-8', 'encoding/api-basics.any.js', () => arr(new TextEncoder().encode('a\u00e9\u20ac\u{1f600}')), [97, 195, 169, 226, 130, 172, 240, 159, 152, 128]),
  c('TextEncoder replaces a lone surrogate', 'encoding/api-surrogates-utf8.any.js', () => arr(new TextEncoder().encode('a\ud800b')), [97, 239, 191, 189, 98]),
  c('TextEncoder.encoding', 'encoding/api-basics.any.js', () => new TextEncoder().encoding, 'utf-8'),
  c('encodeInto read/written', 'encoding/encodeInto.any.js', () => { const u = new Uint8Array(4); const r = new TextEncoder().encodeInto('a\u20acb', u); return [r.read, r.written, Array.from(u)]; }, [2, 4, [97, 226, 130, 172]]),
  c('encodeInto does not split a character', 'encoding/encodeInto.any.js', () => { const u = new Uint8Array(3); const r = new TextEncoder().encodeInto('a\u{1f600}', u); return [r.read, r.written]; }, [1, 1]),
  c('TextDecoder strips the BOM', 'encoding/textdecoder-byte-order-marks.any.js', () => new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), 'a'),
  c('TextDecoder ignoreBOM keeps it', 'encoding/textdecoder-ignorebom.any.js', () => new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), '\ufeffa'),
  c('invalid UTF-8 becomes U+FFFD', 'encoding/textdecoder-fatal.any.js', () => new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])), 'a\ufffdb'),
  c('fatal decoder throws TypeError', 'encoding/textdecoder-fatal.any.js', () => attempt(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xc0]))), { threw: 'TypeError' }),
  c('streaming decode of a split character', 'encoding/textdecoder-streaming.any.js', () => { const d = new TextDecoder(); return d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + d.decode(new Uint8Array([0xac])); }, '\u20ac'),
  c('labels are case-insensitive and trimmed', 'encoding/textdecoder-labels.any.js', () => [new TextDecoder(' UTF8 ').encoding, new TextDecoder('unicode-1-1-utf-8').encoding, new TextDecoder('utf-16').encoding], ['utf-8', 'utf-8', 'utf-16le']),
  c('unknown label throws RangeError', 'encoding/api-invalid-label.any.js', () => attempt(() => new TextDecoder('no-such-encoding')), { threw: 'RangeError' }),
  c('replacement label throws RangeError', 'encoding/api-replacement-encodings.any.js', () => attempt(() => new TextDecoder('iso-2022-kr')), { threw: 'RangeError' }),
  c('UTF-16LE decode', 'encoding/textdecoder-utf16-surrogates.any.js', () => new TextDecoder('utf-16le').decode(new Uint8Array([0x61, 0, 0x3d, 0xd8, 0, 0xde])), 'a\u{1f600}'),
  c('UTF-16BE decode', 'encoding/textdecoder-utf16-surrogates.any.js', () => new TextDecoder('utf-16be').decode(new Uint8Array([0, 0x61, 0, 0x62])), 'ab'),
  c('windows-1252 decode', 'encoding/legacy-mb-*/ and encoding/single-byte-decoder.window.js', () => new TextDecoder('windows-1252').decode(new Uint8Array([0x80, 0x41])), '\u20acA'),
  c('TextEncoderStream', 'encoding/streams/encode-utf8.any.js', async () => { const s = new TextEncoderStream(); const w = s.writable.getWriter(); w.write('\u20ac'); w.close(); return (await chunks(s.readable)).map((u) => Array.from(u)); }, [[226, 130, 172]]),
  c('TextDecoderStream joins a split character', 'encoding/streams/decode-split-character.any.js', async () => { const s = new TextDecoderStream(); const w = s.writable.getWriter(); w.write(new Uint8Array([0xe2])); w.write(new Uint8Array([0x82, 0xac])); w.close(); return (await chunks(s.readable)).join(''); }, '\u20ac'),
];

export default caseWorker(cases);
