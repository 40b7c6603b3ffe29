/** The response limits of a revision, checked before a reply leaves the executor: body bytes, header count and header bytes. */
import type { InvokeResult, RevisionSpec } from '../runtime/types.ts';

export function checkResponse(r: Extract<InvokeResult, { ok: true }>, spec: RevisionSpec): InvokeResult {
  // A streaming body is counted as it streams (runtime/js/isolate.ts).
  const bodyBytes = r.body === null ? 0 : typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body instanceof Uint8Array ? r.body.byteLength : 0;
  let headerBytes = 0;
  for (const [k, v] of r.headers) headerBytes += k.length + v.length;
  const l = spec.limits;
  if (bodyBytes > l.responseBytes) return { ok: false, code: 'EDGE_ERR_RESPONSE_TOO_LARGE', message: `the response body is ${bodyBytes} bytes, over the limit of ${l.responseBytes}`, fatal: false };
  if (r.headers.length > l.headerCount || headerBytes > l.headerBytes) {
    return { ok: false, code: 'EDGE_ERR_RESPONSE_TOO_LARGE', message: `the response has ${r.headers.length} headers and ${headerBytes} header bytes; the limits are ${l.headerCount} and ${l.headerBytes}`, fatal: false };
  }
  return r;
}
