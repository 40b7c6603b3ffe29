/**
 * Bytes in an ArrayBuffer of their own. A Uint8Array may be a view on a larger buffer (Node's
 * Buffer pool, readFileSync's result), and postMessage and isolated-vm's ExternalCopy copy a
 * view's whole buffer: a 1.4 KB code cache reached each executor as 64 KB. `new Uint8Array(view)`
 * copies; a Buffer's slice() would not.
 */
export function exactBytes(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}

/**
 * Reads a body to its end into one buffer of its own (its length exactly), or undefined once it goes
 * over `limit` bytes (the caller stops the source). Errors of the source propagate.
 */
export async function readBytes(source: AsyncIterable<Uint8Array>, limit = Infinity): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of source) {
    n += c.byteLength;
    if (n > limit) return undefined;
    parts.push(c);
  }
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of parts) { all.set(c, o); o += c.byteLength; }
  return all;
}
