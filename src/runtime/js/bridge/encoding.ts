/**
 * The Encoding standard's legacy encodings for the guest's TextDecoder (guest/02_encoding.js decodes
 * UTF-8 and UTF-16 itself): windows-1252 and the other single-byte encodings, gbk, gb18030, big5,
 * euc-jp, iso-2022-jp, shift_jis, euc-kr and x-user-defined, on the host's own TextDecoder (Node's,
 * ICU with the WHATWG tables, labels and error handling). A decoder that streams (`{ stream: true }`)
 * keeps its state here, in a per-instance table under a handle the guest chose; it is dropped when the
 * stream ends (a call without `stream`) or when the instance ends.
 */
import { TextDecoder } from 'node:util';
import { OpError } from './ops.ts';

/** Flags of text_decode, as the guest sets them. */
const FATAL = 1;
const IGNORE_BOM = 2;
const STREAM = 4;

/** A tenant can keep this many streaming decoders open at once per instance. */
export const MAX_STREAMING_DECODERS = 64;

/** Encoding §4.2 "get an encoding" on the host's table: the encoding's name, or '' (unknown, or the replacement encoding). */
export function textLabel(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return '';
  }
}

export class LegacyDecoders {
  readonly #streams = new Map<number, TextDecoder>();

  get size(): number {
    return this.#streams.size;
  }

  /** Decodes `bytes` (handle 0: one call, no state; else the handle's stream, made on first use). */
  decode(handle: number, encoding: string, flags: number, bytes: ArrayBuffer | string | null): string {
    if (typeof bytes === 'string') throw new OpError('EDGE_ERR_BAD_ARGUMENT', 'text_decode: bytes, not a string');
    const input = bytes === null ? new Uint8Array(0) : new Uint8Array(bytes);
    const stream = (flags & STREAM) !== 0;
    let d = handle === 0 ? undefined : this.#streams.get(handle);
    if (d === undefined) {
      if (handle !== 0 && stream && this.#streams.size >= MAX_STREAMING_DECODERS) {
        throw new OpError('EDGE_ERR_BAD_ARGUMENT', `TextDecoder: more than ${MAX_STREAMING_DECODERS} ${encoding} streams open at once in this instance`);
      }
      try {
        d = new TextDecoder(encoding, { fatal: (flags & FATAL) !== 0, ignoreBOM: (flags & IGNORE_BOM) !== 0 });
      } catch {
        throw new OpError('EDGE_ERR_BAD_ARGUMENT', `TextDecoder: ${encoding} is not an encoding`);
      }
      if (handle !== 0 && stream) this.#streams.set(handle, d);
    }
    if (!stream && handle !== 0) this.#streams.delete(handle);
    try {
      return d.decode(input, { stream });
    } catch {
      // Node's decoder starts over after an error, as the standard's does (the guest's stream ends here too).
      this.#streams.delete(handle);
      throw new OpError('EDGE_ERR_BAD_ARGUMENT', `The encoded data was not valid ${encoding}.`);
    }
  }

  close(): void {
    this.#streams.clear();
  }
}
