/**
 * Request and response frames of edge-core-v1: u32 little-endian head length, a
 * UTF-8 JSON head, then the raw body. Request head {method, url, headers}; response
 * head {status, headers}; headers are [name, value] pairs, names lower-case.
 */
export type Pairs = [string, string][];
export interface RequestHead { method: string; url: string; headers: Pairs }
export interface ResponseHead { status: number; headers: Pairs }

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function encodeFrame(head: object, body: Uint8Array | null): Uint8Array {
  const h = enc.encode(JSON.stringify(head));
  const out = new Uint8Array(4 + h.length + (body?.length ?? 0));
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 4);
  if (body) out.set(body, 4 + h.length);
  return out;
}

export class FrameError extends Error {}

export function decodeFrame<H>(frame: Uint8Array): { head: H; body: Uint8Array } {
  if (frame.length < 4) throw new FrameError(`frame of ${frame.length} bytes is shorter than its 4-byte length prefix`);
  const n = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  if (4 + n > frame.length) throw new FrameError(`frame head length ${n} runs past the frame (${frame.length} bytes)`);
  let head: H;
  try {
    head = JSON.parse(dec.decode(frame.subarray(4, 4 + n))) as H;
  } catch (e) {
    throw new FrameError(`frame head is not UTF-8 JSON: ${(e as Error).message}`);
  }
  return { head, body: frame.subarray(4 + n) };
}

/** Checks a decoded response head; returns the problem or ''. */
export function checkResponseHead(h: unknown): string {
  if (!h || typeof h !== 'object') return 'response head is not an object';
  const { status, headers } = h as Record<string, unknown>;
  if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) return `response status ${JSON.stringify(status)} is not an integer from 200 to 599`;
  if (headers !== undefined && (!Array.isArray(headers) || !headers.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string'))) {
    return 'response headers must be an array of [name, value] string pairs';
  }
  return '';
}
