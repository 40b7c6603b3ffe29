/** The per-revision request limits the gateway checks before a request is admitted. */
import { EdgeError } from '../core/errors.ts';
import { headerOf } from '../core/headers.ts';
import type { HeaderPairs, RevisionLimits } from '../runtime/types.ts';

/** Returns the refusal, or undefined when the request fits the revision's limits. */
export function checkRequest(headers: HeaderPairs, body: Uint8Array | null | object, limits: RevisionLimits): EdgeError | undefined {
  let headerBytes = 0;
  for (const [k, v] of headers) headerBytes += k.length + v.length;
  if (headers.length > limits.headerCount || headerBytes > limits.headerBytes) {
    return new EdgeError('EDGE_ERR_HEADERS_TOO_LARGE', `the request has ${headers.length} headers and ${headerBytes} header bytes; the limits are ${limits.headerCount} and ${limits.headerBytes}`);
  }
  if (body instanceof Uint8Array && body.byteLength > limits.bodyBytes) {
    return new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the request body is ${body.byteLength} bytes, over the limit of ${limits.bodyBytes}`);
  }
  // A body still arriving is refused now when it says it is too long; else it is counted as it streams.
  const declared = headerOf(headers, 'content-length');
  if (body !== null && !(body instanceof Uint8Array) && declared !== undefined && Number(declared) > limits.bodyBytes) {
    return new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `the request body is ${declared} bytes, over the limit of ${limits.bodyBytes}`);
  }
  return undefined;
}
