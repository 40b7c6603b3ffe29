/** The host implementation of the `fetch` op: a guest's outbound fetch, checked against the host's policy. */
import { readBytes } from '../../../core/bytes.ts';
import { OpError, type Settle } from './ops.ts';

/** Outbound fetch from guests: which destinations, how long, how much (docs/host-abi.md). */
export interface OutboundPolicy {
  /** Returns '' when the URL may be fetched, or why not. */
  check(url: URL): string;
  timeoutMs: number;
  maxBytes: number;
}

export const DENY_ALL: OutboundPolicy = { check: (u) => `outbound fetch to ${u.href} is not allowed by the host allowlist`, timeoutMs: 0, maxBytes: 0 };

const MAX_FETCHES = 16;

/**
 * Starts the fetch if the policy allows it (else throws an OpError: the guest's promise rejects
 * at once) and settles with status, headers as JSON pairs and the body, or (a large or open-ended body)
 * null and a handle in `bodies` the guest reads it through. Returns the cancel function.
 */
export function startFetch(policy: OutboundPolicy, inflight: number, settle: Settle<readonly ['int', 'string', 'bytes?', 'int']>, method: string, url: string, headersJson: string, body: ArrayBuffer | string | null, bodies: FetchBodies): () => void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OpError('EDGE_ERR_FETCH_DENIED', `${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OpError('EDGE_ERR_FETCH_DENIED', `only http and https URLs can be fetched, not ${u.protocol}`);
  const why = policy.check(u);
  if (why) throw new OpError('EDGE_ERR_FETCH_DENIED', why);
  // `inflight` counts this fetch already (the bridge records an op before starting it).
  if (inflight > MAX_FETCHES) throw new OpError('EDGE_ERR_FETCH_DENIED', `more than ${MAX_FETCHES} fetches in flight in this instance`);
  let headers: [string, string][];
  try {
    headers = (JSON.parse(headersJson) as [string, string][]).filter(([k]) => k !== 'host' && k !== 'content-length');
  } catch {
    throw new OpError('EDGE_ERR_BAD_ARGUMENT', 'op fetch: the headers are not JSON pairs');
  }
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer within ${policy.timeoutMs} ms`)), policy.timeoutMs);
  fetch(u, { method, headers, body: body === null || method === 'GET' || method === 'HEAD' ? undefined : body, signal: ac.signal, redirect: 'follow' })
    .then(async (res) => {
      const length = Number(res.headers.get('content-length') ?? NaN);
      const small = res.body === null || (Number.isSafeInteger(length) && length <= WHOLE_BODY_BYTES);
      if (!small && bodies.size < MAX_FETCHES) {
        // A large or open-ended body streams in as the guest reads it: the timeout was for the answer.
        clearTimeout(timer);
        const h = bodies.add(res.body!, ac, policy);
        settle.resolve(res.status, JSON.stringify([...res.headers]), null, h);
        return;
      }
      const all = await readBytes((res.body ?? []) as AsyncIterable<Uint8Array>, policy.maxBytes);
      if (all === undefined) throw new Error(`the response is over the limit of ${policy.maxBytes} bytes`);
      clearTimeout(timer);
      settle.resolve(res.status, JSON.stringify([...res.headers]), all.buffer, 0);
    })
    .catch((e: Error) => {
      clearTimeout(timer);
      settle.reject('EDGE_ERR_FETCH_FAILED', `fetch to ${u.origin} failed: ${(e.cause as Error | undefined)?.message ?? e.message}`);
    });
  return () => ac.abort();
}

/** A fetch answer with a body at most this long (by its content-length) arrives whole; others stream. */
const WHOLE_BODY_BYTES = 64 * 1024;

interface OpenBody {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  ac: AbortController;
  policy: OutboundPolicy;
  bytes: number;
  origin: string;
}

/**
 * Outbound responses whose bodies stream into the guest, by handle (per instance). Each fetch_read
 * reads one chunk from the upstream body, so the socket is read only as fast as the guest reads
 * (the upstream's TCP window is the backpressure). `fetch.maxBytes` bounds the bytes read in all,
 * `fetch.timeoutMs` each wait for a chunk. Ended, cancelled or failed bodies leave the table.
 */
export class FetchBodies {
  readonly #open = new Map<number, OpenBody>();
  #next = 1;

  get size(): number {
    return this.#open.size;
  }

  add(body: ReadableStream<Uint8Array>, ac: AbortController, policy: OutboundPolicy): number {
    const h = this.#next++;
    this.#open.set(h, { reader: body.getReader(), ac, policy, bytes: 0, origin: '' });
    return h;
  }

  read(settle: Settle<readonly ['bytes?']>, h: number): () => void {
    const b = this.#open.get(h);
    if (!b) {
      settle.resolve(null);
      return () => {};
    }
    const timer = setTimeout(() => b.ac.abort(new Error(`no data within ${b.policy.timeoutMs} ms`)), b.policy.timeoutMs);
    b.reader.read().then(
      ({ done, value }) => {
        clearTimeout(timer);
        if (done) {
          this.#open.delete(h);
          settle.resolve(null);
          return;
        }
        b.bytes += value.byteLength;
        if (b.bytes > b.policy.maxBytes) {
          this.cancel(h);
          settle.reject('EDGE_ERR_FETCH_FAILED', `the fetched response is over the limit of ${b.policy.maxBytes} bytes`);
          return;
        }
        settle.resolve(value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? (value.buffer as ArrayBuffer) : value.slice().buffer);
      },
      (e: Error) => {
        clearTimeout(timer);
        this.#open.delete(h);
        settle.reject('EDGE_ERR_FETCH_FAILED', `reading the fetched body failed: ${(e.cause as Error | undefined)?.message ?? e.message}`);
      },
    );
    return () => clearTimeout(timer);
  }

  cancel(h: number): void {
    const b = this.#open.get(h);
    if (!b) return;
    this.#open.delete(h);
    b.ac.abort();
    b.reader.cancel().catch(() => {});
  }

  close(): void {
    for (const h of [...this.#open.keys()]) this.cancel(h);
  }
}
