/** DOMException as WebIDL defines it (cases after web-platform-tests webidl/ecmascript-binding/es-exceptions/DOMException-*.any.js). */
import { describe, expect, it } from 'vitest';
import { guestEval } from './helpers/guest.ts';

describe('DOMException', () => {
  it('constructs with message and name, legacy codes, and is an Error', async () => {
    expect(await guestEval(`
      const e = new DOMException('bad char', 'InvalidCharacterError');
      const d = new DOMException();
      const u = new DOMException('x', 'NoSuchName');
      return {
        name: e.name, message: e.message, code: e.code, isError: e instanceof Error, str: String(e),
        tag: Object.prototype.toString.call(e), dName: d.name, dMessage: d.message, dCode: d.code, uCode: u.code,
        ownName: Object.hasOwn(e, 'name'), ownMessage: Object.hasOwn(e, 'message'),
        constants: [DOMException.INDEX_SIZE_ERR, DOMException.URL_MISMATCH_ERR, DOMException.DATA_CLONE_ERR, e.ABORT_ERR],
        abort: new DOMException('a', 'AbortError').code, timeout: new DOMException('t', 'TimeoutError').code,
        cause: new DOMException('c', { name: 'DataError', cause: 42 }).cause, optName: new DOMException('c', { name: 'DataError' }).name,
      };`)).toEqual({
      name: 'InvalidCharacterError', message: 'bad char', code: 5, isError: true, str: 'InvalidCharacterError: bad char',
      tag: '[object DOMException]', dName: 'Error', dMessage: '', dCode: 0, uCode: 0, ownName: false, ownMessage: false,
      constants: [1, 21, 25, 20], abort: 20, timeout: 23, cause: 42, optName: 'DataError',
    });
  });
});
