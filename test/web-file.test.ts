/**
 * Blob, File (File API) and FormData (XHR) inside the guest. Each case is after a
 * web-platform-tests case; the file it comes from is named in the table.
 */
import { describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';

type Case = { wpt: string; name: string; body: string; expect: unknown };

const BLOB: Case[] = [
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: 'no arguments: an empty Blob with an empty type',
    body: `const b = new Blob(); return [b.size, b.type, b instanceof Blob, Object.prototype.toString.call(b), String(b)];`,
    expect: [0, '', true, '[object Blob]', '[object Blob]'] },
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: 'parts: strings (UTF-8), ArrayBuffer, views, Blobs, and other values converted with String()',
    body: `const b = new Blob(['é', new Uint8Array([65, 66]).buffer, new Uint16Array([0x4443]), new Blob(['E']), null, 7]); return [b.size, await b.text()];`,
    expect: [12, 'éABCDEnull7'] },
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: 'a lone surrogate in a string part becomes U+FFFD',
    body: `return [...await new Blob(['\\ud800']).bytes()];`,
    expect: [0xef, 0xbf, 0xbd] },
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: 'blobParts that is not a sequence (null, a string, a number, a Date) throws TypeError',
    body: `return [null, 'abc', 7, new Date()].map((p) => { try { new Blob(p); return 'made'; } catch (e) { return e instanceof TypeError; } });`,
    expect: [true, true, true, true] },
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: 'the bytes are copied: changing the source buffer afterwards changes nothing',
    body: `const a = new Uint8Array([1, 2, 3]); const b = new Blob([a]); a[0] = 9; return [...await b.bytes()];`,
    expect: [1, 2, 3] },
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: 'type is lower-cased, and empty if it has a character outside U+0020–U+007E',
    body: `return [new Blob([], { type: 'Text/HTML' }).type, new Blob([], { type: 'a\\u00e9' }).type, new Blob([], { type: 'a\\nb' }).type, new Blob([], { type: 'text/plain;charset=UTF-8' }).type];`,
    expect: ['text/html', '', '', 'text/plain;charset=utf-8'] },
  { wpt: 'FileAPI/blob/Blob-constructor.any.js', name: "endings: 'native' turns CRLF and CR into LF; 'transparent' keeps them; anything else throws",
    body: `let bad; try { new Blob([], { endings: 'other' }); bad = 'made'; } catch (e) { bad = e instanceof TypeError; } return [await new Blob(['a\\r\\nb\\rc'], { endings: 'native' }).text(), await new Blob(['a\\r\\nb'], { endings: 'transparent' }).text(), bad];`,
    expect: ['a\nb\nc', 'a\r\nb', true] },
  { wpt: 'FileAPI/blob/Blob-slice.any.js', name: 'slice with positive, negative, out-of-range and reversed bounds',
    body: `const b = new Blob(['abcdefghij']); return [await b.slice().text(), await b.slice(2).text(), await b.slice(2, 5).text(), await b.slice(-3).text(), await b.slice(-3, -1).text(), await b.slice(5, 2).text(), await b.slice(8, 100).text(), await b.slice(-100, 2).text()];`,
    expect: ['abcdefghij', 'cdefghij', 'cde', 'hij', 'hi', '', 'ij', 'ab'] },
  { wpt: 'FileAPI/blob/Blob-slice.any.js', name: 'slice contentType is normalized like the constructor type; a slice of a File is a Blob',
    body: `const s = new File(['abc'], 'f.txt', { type: 'text/plain' }).slice(0, 1, 'TEXT/X'); return [s.type, s instanceof File, s instanceof Blob, new Blob(['x'], { type: 'a/b' }).slice().type];`,
    expect: ['text/x', false, true, ''] },
  { wpt: 'FileAPI/blob/Blob-text.any.js', name: 'text() decodes UTF-8 with replacement; arrayBuffer() and bytes() give copies',
    body: `const b = new Blob([new Uint8Array([0x68, 0xff, 0x69])]); const ab = await b.arrayBuffer(); new Uint8Array(ab)[0] = 0; return [await b.text(), ab instanceof ArrayBuffer, [...await b.bytes()]];`,
    expect: ['h\ufffdi', true, [0x68, 0xff, 0x69]] },
  { wpt: 'FileAPI/blob/Blob-stream.any.js', name: 'stream() is a byte ReadableStream of the bytes, readable with a BYOB reader',
    body: `const s = new Blob(['hello']).stream(); const r = s.getReader({ mode: 'byob' }); const a = await r.read(new Uint8Array(2)); return [s instanceof ReadableStream, [...a.value]];`,
    expect: [true, [104, 101]] },
];

const FILE: Case[] = [
  { wpt: 'FileAPI/file/File-constructor.any.js', name: 'name, type, size, lastModified; a File is a Blob',
    body: `const f = new File(['bits'], 'dummy.txt', { type: 'Text/Plain', lastModified: 42 }); return [f.name, f.type, f.size, f.lastModified, f instanceof Blob, Object.prototype.toString.call(f), await f.text()];`,
    expect: ['dummy.txt', 'text/plain', 4, 42, true, '[object File]', 'bits'] },
  { wpt: 'FileAPI/file/File-constructor.any.js', name: 'without lastModified it is about now; a Date is converted to its time',
    body: `const t = Date.now(); const f = new File([], 'x'); return [Math.abs(f.lastModified - t) < 1000, new File([], 'y', { lastModified: new Date(1234) }).lastModified];`,
    expect: [true, 1234] },
  { wpt: 'FileAPI/file/File-constructor.any.js', name: 'fewer than two arguments throws TypeError; the name is kept as given (slashes too)',
    body: `let e1, e2; try { new File(); e1 = 'made'; } catch (e) { e1 = e instanceof TypeError; } try { new File([]); e2 = 'made'; } catch (e) { e2 = e instanceof TypeError; } return [e1, e2, new File([], 'a/b:c').name, new File([], null).name];`,
    expect: [true, true, 'a/b:c', 'null'] },
];

const FORMDATA: Case[] = [
  { wpt: 'xhr/formdata/append.any.js', name: 'append keeps every value in order; get returns the first, getAll all of them',
    body: `const fd = new FormData(); fd.append('a', '1'); fd.append('b', '2'); fd.append('a', '3'); return [fd.get('a'), fd.getAll('a'), fd.get('none'), fd.getAll('none'), fd.has('b'), fd.has('c')];`,
    expect: ['1', ['1', '3'], null, [], true, false] },
  { wpt: 'xhr/formdata/append.any.js', name: 'values are converted with String(); names too',
    body: `const fd = new FormData(); fd.append(1, 2); fd.append('n', null); fd.append('u', undefined); return [fd.get('1'), fd.get('n'), fd.get('u')];`,
    expect: ['2', 'null', 'undefined'] },
  { wpt: 'xhr/formdata/set.any.js', name: 'set replaces the first entry with that name and removes the others',
    body: `const fd = new FormData(); fd.append('a', '1'); fd.append('b', 'x'); fd.append('a', '2'); fd.set('a', '3'); fd.set('c', '4'); return [...fd];`,
    expect: [['a', '3'], ['b', 'x'], ['c', '4']] },
  { wpt: 'xhr/formdata/delete.any.js', name: 'delete removes every entry with that name',
    body: `const fd = new FormData(); fd.append('a', '1'); fd.append('b', '2'); fd.append('a', '3'); fd.delete('a'); return [...fd.keys()];`,
    expect: ['b'] },
  { wpt: 'xhr/formdata/set-blob.any.js', name: "a Blob becomes a File named 'blob'; a filename argument renames; a File keeps its lastModified",
    body: `const fd = new FormData(); fd.set('b1', new Blob()); fd.set('b2', new Blob([], { type: 'text/plain' })); fd.set('b3', new Blob(), 'custom name'); fd.set('f', new File([], 'name', { lastModified: 123 }), 'custom'); const g = (k) => { const v = fd.get(k); return [v.constructor.name, v.name, v.type]; }; return [g('b1'), g('b2'), g('b3'), g('f'), fd.get('f').lastModified, fd.get('b1') === fd.get('b1')];`,
    expect: [['File', 'blob', ''], ['File', 'blob', 'text/plain'], ['File', 'custom name', ''], ['File', 'custom', ''], 123, true] },
  { wpt: 'xhr/formdata/append.any.js', name: 'a filename argument with a non-Blob value throws TypeError',
    body: `try { new FormData().append('a', 'b', 'c'); return 'appended'; } catch (e) { return e instanceof TypeError; }`,
    expect: true },
  { wpt: 'xhr/formdata/constructor.any.js', name: 'FormData(form) without a form element throws TypeError; too few arguments throw',
    body: `const r = []; try { new FormData({}); r.push('made'); } catch (e) { r.push(e instanceof TypeError); } try { new FormData().append('a'); r.push('appended'); } catch (e) { r.push(e instanceof TypeError); } try { new FormData().get(); r.push('got'); } catch (e) { r.push(e instanceof TypeError); } return r;`,
    expect: [true, true, true] },
  { wpt: 'xhr/formdata/iteration.any.js', name: 'Iteration skips elements removed while iterating',
    body: `const fd = new FormData(); for (const [k, v] of [['foo', '0'], ['baz', '1'], ['BAR', '2']]) fd.append(k, v); const keys = []; for (const [k] of fd) { keys.push(k); fd.delete('baz'); } return keys;`,
    expect: ['foo', 'BAR'] },
  { wpt: 'xhr/formdata/iteration.any.js', name: 'Removing elements already iterated over causes an element to be skipped during iteration',
    body: `const fd = new FormData(); for (const [k, v] of [['foo', '0'], ['baz', '1'], ['BAR', '2'], ['quux', '3']]) fd.append(k, v); const keys = []; for (const [k] of fd) { keys.push(k); if (k === 'baz') fd.delete('foo'); } return keys;`,
    expect: ['foo', 'baz', 'quux'] },
  { wpt: 'xhr/formdata/iteration.any.js', name: 'Appending a value pair during iteration causes it to be reached during iteration',
    body: `const fd = new FormData(); for (const [k, v] of [['foo', '0'], ['baz', '1']]) fd.append(k, v); const keys = []; for (const [k] of fd) { keys.push(k); if (k === 'baz') fd.append('X-yZ', '4'); } return keys;`,
    expect: ['foo', 'baz', 'X-yZ'] },
  { wpt: 'xhr/formdata/foreach.any.js', name: 'forEach, entries, keys and values',
    body: `const fd = new FormData(); fd.append('a', '1'); fd.append('b', '2'); const seen = []; fd.forEach((v, k, p) => seen.push([k, v, p === fd])); return [seen, [...fd.entries()], [...fd.keys()], [...fd.values()], Object.prototype.toString.call(fd)];`,
    expect: [[['a', '1', true], ['b', '2', true]], [['a', '1'], ['b', '2']], ['a', 'b'], ['1', '2'], '[object FormData]'] },
];

describe('Blob', () => {
  for (const c of BLOB) it(`${c.name} (${c.wpt})`, async () => { expect(await guestEval(c.body)).toEqual(c.expect); });
});
describe('File', () => {
  for (const c of FILE) it(`${c.name} (${c.wpt})`, async () => { expect(await guestEval(c.body)).toEqual(c.expect); });
});
describe('FormData', () => {
  for (const c of FORMDATA) it(`${c.name} (${c.wpt})`, async () => { expect(await guestEval(c.body)).toEqual(c.expect); });
});
