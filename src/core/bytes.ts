/**
 * Bytes in an ArrayBuffer of their own. A Uint8Array may be a view on a larger buffer (Node's
 * Buffer pool, readFileSync's result), and postMessage and isolated-vm's ExternalCopy copy a
 * view's whole buffer: a 1.4 KB code cache reached each executor as 64 KB. `new Uint8Array(view)`
 * copies; a Buffer's slice() would not.
 */
export function exactBytes(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}
