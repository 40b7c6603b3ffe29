// Blob, File and FormData in the style of web-platform-tests FileAPI/ and xhr/formdata (written for isoedge).
import { arr, attempt, c, caseWorker, chunks } from '../harness.ts';

export const cases = [
  c('Blob of mixed parts', 'FileAPI/blob/Blob-constructor.any.js', async () => { const b = new Blob(['ab', new Uint8Array([99]), new Blob(['d'])]); return [b.size, b.type, await b.text()]; }, [4, '', 'abcd']),
  c('Blob type is lower-cased', 'FileAPI/blob/Blob-constructor.any.js', () => new Blob([], { type: 'TEXT/Plain' }).type, 'text/plain'),
  c('Blob type with a non-ASCII-printable character becomes empty', 'FileAPI/blob/Blob-constructor.any.js', () => new Blob([], { type: 'a\u00e9' }).type, ''),
  c('Blob slice with negative indices', 'FileAPI/blob/Blob-slice.any.js', async () => { const s = new Blob(['abcdef']).slice(-4, -1, 'x/y'); return [s.size, s.type, await s.text()]; }, [3, 'x/y', 'cde']),
  c('Blob endings native is not applied by default', 'FileAPI/blob/Blob-constructor-endings.html', async () => new Blob(['a\r\nb']).text(), 'a\r\nb'),
  c('Blob arrayBuffer and bytes', 'FileAPI/blob/Blob-bytes.any.js', async () => { const b = new Blob([new Uint8Array([1, 2])]); return [arr(await b.arrayBuffer()), (await b.bytes()).constructor.name]; }, [[1, 2], 'Uint8Array']),
  c('Blob stream yields Uint8Array chunks', 'FileAPI/blob/Blob-stream.any.js', async () => { const cs = await chunks(new Blob(['xyz']).stream()); return [cs.every((u) => u instanceof Uint8Array), cs.reduce((n, u) => n + u.length, 0)]; }, [true, 3]),
  c('Blob strings are UTF-8 encoded', 'FileAPI/blob/Blob-constructor.any.js', () => new Blob(['\u20ac']).size, 3),
  c('File name, type and lastModified', 'FileAPI/file/File-constructor.any.js', () => { const f = new File(['x'], 'n.txt', { type: 'text/plain', lastModified: 42 }); return [f.name, f.type, f.lastModified, f.size, f instanceof Blob]; }, ['n.txt', 'text/plain', 42, 1, true]),
  c('File without a name throws TypeError', 'FileAPI/file/File-constructor.any.js', () => attempt(() => new File(['x'])), { threw: 'TypeError' }),
  c('FormData append, getAll, delete', 'xhr/formdata/append.any.js', () => { const f = new FormData(); f.append('a', '1'); f.append('a', '2'); f.set('b', '3'); f.delete('x'); return [f.getAll('a'), f.get('b'), f.has('c'), [...f.keys()]]; }, [['1', '2'], '3', false, ['a', 'a', 'b']]),
  c('FormData Blob value becomes a File named blob', 'xhr/formdata/append.any.js', () => { const f = new FormData(); f.append('b', new Blob(['x'])); const v = f.get('b'); return [v instanceof File, v.name]; }, [true, 'blob']),
  c('FormData filename argument', 'xhr/formdata/set-blob.any.js', () => { const f = new FormData(); f.set('b', new Blob(['x']), 'given.bin'); return f.get('b').name; }, 'given.bin'),
];

export default caseWorker(cases);
