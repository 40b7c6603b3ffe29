// @ts-check
/* crypto.getRandomValues and randomUUID: randomness comes from the host's CSPRNG (the `random` op). */
{
  const { define, ops } = ns;
  /** @type {<T extends ArrayBufferView>(arr: T) => T} */
  const getRandomValues = (arr) => {
    if (!ArrayBuffer.isView(arr) || arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof DataView) {
      throw new TypeError('crypto.getRandomValues: argument must be an integer TypedArray');
    }
    if (arr.byteLength > 65536) throw new RangeError('crypto.getRandomValues: at most 65536 bytes per call');
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(new Uint8Array(ops.random(arr.byteLength)));
    return arr;
  };
  const hex = (/** @type {Uint8Array} */ b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  define('crypto', Object.freeze({
    getRandomValues,
    randomUUID() {
      const b = getRandomValues(new Uint8Array(16));
      // Indexes 6 and 8 exist: 16 bytes.
      b[6] = (/** @type {number} */ (b[6]) & 0x0f) | 0x40;
      b[8] = (/** @type {number} */ (b[8]) & 0x3f) | 0x80;
      const h = hex(b);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  }));
}
