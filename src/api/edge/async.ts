/**
 * The edge's async and CloudEvents parts (design §11). A request is an async submission when it
 * says `Prefer: respond-async` (RFC 7240) or is `POST /async-function/{name}[/path]` on a host that
 * names no function (OpenFaaS's gateway path). Its body is read whole (it is stored with the call),
 * and the 202 is written only once the call is committed. CloudEvents (binary or structured mode)
 * are checked on both paths; a structured event reaches the function in binary mode.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBytes } from '../../core/bytes.ts';
import { EdgeError } from '../../core/errors.ts';
import { headerOf } from '../../core/headers.ts';
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

/**
 * A refusal after which the connection closes: the rest of the client's body is not read (the 413
 * still reaches the client; destroying the request would reset the socket before it).
 */
function tooLarge(message: string): EdgeError {
  return Object.assign(new EdgeError('EDGE_ERR_BODY_TOO_LARGE', message), { closeConnection: true });
}

/** Reads a body whole up to `max` bytes, or refuses it with a code (at once when its content-length says so). */
async function readWhole(body: Uint8Array | null | IncomingMessage, max: number, what: string): Promise<Uint8Array | null> {
  if (body === null || body instanceof Uint8Array) {
    if (body && body.byteLength > max) throw tooLarge(`${what} is ${body.byteLength} bytes, over the limit of ${max}`);
    return body;
  }
  const declared = Number(body.headers['content-length'] ?? NaN);
  if (declared > max) throw tooLarge(`${what} is ${declared} bytes (content-length), over the limit of ${max}`);
  const got = await readBytes(body, max);
  if (got === undefined) throw tooLarge(`${what} is over the limit of ${max} bytes`);
  return got.byteLength === 0 ? null : got;
}

/** A converted structured event's framing: its own length, no chunking of the original. */
function framed(headers: HeaderPairs, body: Uint8Array | null): HeaderPairs {
  const out = headers.filter(([k]) => k !== 'transfer-encoding' && k !== 'content-length');
  if (body) out.push(['content-length', String(body.byteLength)]);
  return out;
}

/**
 * A CloudEvent on the synchronous path: checked (400 with a code when malformed), a structured one
 * turned into binary mode (its body read whole, up to `maxBytes`). Anything else passes unchanged.
 */
export async function cloudEventForEdge(headers: HeaderPairs, body: Uint8Array | null | IncomingMessage, maxBytes: number): Promise<{ headers: HeaderPairs; body: Uint8Array | null | IncomingMessage }> {
  if (isCloudEventType(headers)) {
    const bytes = await readWhole(body, maxBytes, 'the structured CloudEvent');
    const ev = readCloudEvent(headers, bytes)!;
    return { headers: framed(ev.headers, ev.body), body: ev.body };
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
  let key = headerOf(headers, 'idempotency-key') ?? headerOf(headers, 'x-call-id');
  if (isCloudEventRequest(headers)) {
    const ev = readCloudEvent(headers, body)!;
    headers = ev.headers;
    body = ev.body;
    // A CloudEvent's (source, id) is its identity: a producer's redelivery is the same call. Hashed:
    // a source may be a long resource path, and the key's length limit is for the client's headers.
    key ??= `ce:${createHash('sha256').update(cloudEventKey(ev.event)).digest('hex')}`;
  }
  const callbackUrl = headerOf(headers, 'x-callback-url');
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
