/**
 * The edge's async and CloudEvents parts (design §11). A request is an async submission when it
 * says `Prefer: respond-async` (RFC 7240) or is `POST /async-function/{name}[/path]` on a host that
 * names no function (OpenFaaS's gateway path). Its body is read whole (it is stored with the call),
 * and the 202 is written only once the call is committed. CloudEvents (binary or structured mode)
 * are checked on both paths; a structured event reaches the function in binary mode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBytes } from '../../core/bytes.ts';
import { EdgeError } from '../../core/errors.ts';
import { cloudEventKey, readCloudEvent, type AsyncService } from '../../async/index.ts';
import type { DispatchTarget } from '../../dispatch/index.ts';
import type { HeaderPairs } from '../../runtime/types.ts';

export const ASYNC_PATH = '/async-function/';

/** Whether a Prefer header (possibly several, comma-separated preferences) asks for respond-async. */
export function prefersAsync(prefer: string | string[] | undefined): boolean {
  if (prefer === undefined) return false;
  const all = Array.isArray(prefer) ? prefer.join(',') : prefer;
  return all.split(',').some((p) => p.split(';')[0]!.trim().toLowerCase() === 'respond-async');
}

/** `/async-function/{name}/rest?q` → the name and the path the function sees (`/rest?q`), or undefined. */
export function asyncPath(url: string): { label: string; path: string } | undefined {
  if (!url.startsWith(ASYNC_PATH)) return undefined;
  const rest = url.slice(ASYNC_PATH.length);
  const end = rest.search(/[/?]/);
  const label = (end === -1 ? rest : rest.slice(0, end)).toLowerCase();
  if (label === '') return undefined;
  const path = end === -1 ? '/' : rest[end] === '?' ? `/${rest.slice(end)}` : rest.slice(end);
  return { label, path };
}

const isCloudEventType = (headers: HeaderPairs): boolean => headers.some(([k, v]) => k === 'content-type' && /^\s*application\/cloudevents/i.test(v));
const hasCeHeader = (headers: HeaderPairs): boolean => headers.some(([k]) => k.startsWith('ce-'));
/** Whether a request carries a CloudEvent (either mode): checked without a promise, as it runs on every edge request. */
export const isCloudEventRequest = (headers: HeaderPairs): boolean => hasCeHeader(headers) || isCloudEventType(headers);

/** Reads a body whole up to `max` bytes, or refuses it with a code. */
async function readWhole(body: Uint8Array | null | IncomingMessage, max: number, what: string): Promise<Uint8Array | null> {
  if (body === null || body instanceof Uint8Array) {
    if (body && body.byteLength > max) throw new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `${what} is ${body.byteLength} bytes, over the limit of ${max}`);
    return body;
  }
  const got = await readBytes(body, max);
  if (got === undefined) {
    body.destroy();
    throw new EdgeError('EDGE_ERR_BODY_TOO_LARGE', `${what} is over the limit of ${max} bytes`);
  }
  return got.byteLength === 0 ? null : got;
}

/**
 * A CloudEvent on the synchronous path: checked (400 with a code when malformed), a structured one
 * turned into binary mode (its body read whole, up to `maxBytes`). Anything else passes unchanged.
 */
export async function cloudEventForEdge(headers: HeaderPairs, body: Uint8Array | null | IncomingMessage, maxBytes: number): Promise<{ headers: HeaderPairs; body: Uint8Array | null | IncomingMessage }> {
  if (isCloudEventType(headers)) {
    const bytes = await readWhole(body, maxBytes, 'the structured CloudEvent');
    const ev = readCloudEvent(headers, bytes)!;
    return { headers: ev.headers, body: ev.body };
  }
  if (hasCeHeader(headers)) readCloudEvent(headers, null);
  return { headers, body };
}

export interface AsyncSubmit {
  target: DispatchTarget;
  method: string;
  url: string;
  headers: HeaderPairs;
  body: Uint8Array | null | IncomingMessage;
}

/** Stores the call and answers 202 with its id and where to read it; refusals throw coded errors. */
export async function submitAsync(service: AsyncService, s: AsyncSubmit, res: ServerResponse, preferred: boolean): Promise<void> {
  const max = service.limits.maxBodyBytes;
  let headers = s.headers;
  let body = await readWhole(s.body, max, "the async call's body");
  let key = header(headers, 'idempotency-key') ?? header(headers, 'x-call-id');
  if (isCloudEventType(headers) || hasCeHeader(headers)) {
    const ev = readCloudEvent(headers, body)!;
    headers = ev.headers;
    body = ev.body;
    // A CloudEvent's (source, id) is its identity: a producer's redelivery is the same call.
    key ??= `ce:${cloudEventKey(ev.event)}`;
  }
  const callbackUrl = header(headers, 'x-callback-url');
  const { call, duplicate } = await service.submit({
    fn: s.target.fn, ...(s.target.tag !== undefined ? { tag: s.target.tag } : {}), method: s.method, url: s.url, headers, body,
    ...(key !== undefined ? { key } : {}), ...(callbackUrl !== undefined ? { callbackUrl } : {}),
  });
  const location = `/v1/invocations/${call.id}`;
  const out = Buffer.from(JSON.stringify({ id: call.id, function: call.fn, status: call.status, location, ...(duplicate ? { duplicate: true } : {}) }));
  const head = ['isoedge-call-id', call.id, 'x-call-id', call.id, 'location', location, 'content-type', 'application/json; charset=utf-8', 'content-length', String(out.byteLength)];
  if (preferred) head.push('preference-applied', 'respond-async');
  if (duplicate) head.push('isoedge-duplicate', 'true');
  res.writeHead(202, head);
  res.end(out);
}

function header(h: HeaderPairs, name: string): string | undefined {
  return h.find(([k]) => k === name)?.[1];
}
