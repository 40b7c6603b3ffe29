/** The host implementation of the `fetch` op: a guest's outbound fetch, checked against the host's policy. */
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
 * at once) and settles with status, headers as JSON pairs and the body. Returns the cancel function.
 */
export function startFetch(policy: OutboundPolicy, inflight: number, settle: Settle<readonly ['int', 'string', 'bytes?']>, method: string, url: string, headersJson: string, body: ArrayBuffer | string | null): () => void {
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
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const c of res.body ?? []) {
        size += (c as Uint8Array).byteLength;
        if (size > policy.maxBytes) throw new Error(`the response is over the limit of ${policy.maxBytes} bytes`);
        chunks.push(c as Uint8Array);
      }
      const all = new Uint8Array(size);
      let o = 0;
      for (const c of chunks) { all.set(c, o); o += c.byteLength; }
      clearTimeout(timer);
      settle.resolve(res.status, JSON.stringify([...res.headers]), all.buffer);
    })
    .catch((e: Error) => {
      clearTimeout(timer);
      settle.reject('EDGE_ERR_FETCH_FAILED', `fetch to ${u.origin} failed: ${(e.cause as Error | undefined)?.message ?? e.message}`);
    });
  return () => ac.abort();
}
