// CompressionStream / DecompressionStream in the style of web-platform-tests compression/ (written for isoedge).
import { arr, attempt, c, caseWorker, chunks } from '../harness.ts';

const pipe = async (bytes, t) => { const out = await chunks(new Blob([bytes]).stream().pipeThrough(t)); return new Uint8Array(await new Blob(out).arrayBuffer()); };
const GZIP_HELLO = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 7, 0, 134, 166, 16, 54, 5, 0, 0, 0];
const ZLIB_HELLO = [120, 156, 203, 72, 205, 201, 201, 7, 0, 6, 44, 2, 21];
const RAW_HELLO = [203, 72, 205, 201, 201, 7, 0];
const text = (u) => new TextDecoder().decode(u);

export const cases = [
  ...['gzip', 'deflate', 'deflate-raw'].map((f) => c(`${f} round trip`, 'compression/compression-stream.any.js', async () => text(await pipe(await pipe(new TextEncoder().encode('hello hello hello'), new CompressionStream(f)), new DecompressionStream(f))), 'hello hello hello')),
  c('gzip output has the gzip header', 'compression/compression-output-length.any.js', async () => arr(await pipe(new Uint8Array([1]), new CompressionStream('gzip'))).slice(0, 3), [31, 139, 8]),
  c('decompress fixed gzip', 'compression/decompression-uint8array-output.any.js', async () => text(await pipe(new Uint8Array(GZIP_HELLO), new DecompressionStream('gzip'))), 'hello'),
  c('decompress fixed deflate', 'compression/decompression-uint8array-output.any.js', async () => text(await pipe(new Uint8Array(ZLIB_HELLO), new DecompressionStream('deflate'))), 'hello'),
  c('decompress fixed deflate-raw', 'compression/decompression-uint8array-output.any.js', async () => text(await pipe(new Uint8Array(RAW_HELLO), new DecompressionStream('deflate-raw'))), 'hello'),
  c('corrupt gzip errors with TypeError', 'compression/decompression-corrupt-input.any.js', async () => { const b = GZIP_HELLO.slice(); b[12] ^= 0xff; return attempt(() => pipe(new Uint8Array(b), new DecompressionStream('gzip'))); }, { threw: 'TypeError' }),
  c('truncated gzip errors with TypeError', 'compression/decompression-truncated-input.any.js', async () => attempt(() => pipe(new Uint8Array(GZIP_HELLO.slice(0, 15)), new DecompressionStream('gzip'))), { threw: 'TypeError' }),
  c('trailing bytes after the end error with TypeError', 'compression/decompression-extra-input.any.js', async () => attempt(() => pipe(new Uint8Array([...GZIP_HELLO, 0]), new DecompressionStream('gzip'))), { threw: 'TypeError' }),
  c('unknown format throws TypeError', 'compression/compression-bad-chunks.any.js', () => attempt(() => new CompressionStream('brotli-ish')), { threw: 'TypeError' }),
  c('a non-BufferSource chunk errors with TypeError', 'compression/compression-bad-chunks.any.js', async () => { const cs = new CompressionStream('gzip'); const w = cs.writable.getWriter(); w.write('string').catch(() => {}); return attempt(() => chunks(cs.readable)); }, { threw: 'TypeError' }),
  c('empty input round trip', 'compression/compression-including-empty-chunk.any.js', async () => (await pipe(await pipe(new Uint8Array(0), new CompressionStream('deflate')), new DecompressionStream('deflate'))).length, 0),
];

export default caseWorker(cases);
