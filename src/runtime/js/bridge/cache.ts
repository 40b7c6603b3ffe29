/** The Cache API ops (bridge/ops.ts cache_*): argument checks, then the executor's store under the instance's own function. */
import type { CachePut, EdgeCache, HeaderPairs } from '../../types.ts';
import { OpError } from './ops.ts';

/** workerd refuses cache names of 1024 characters or more; URLs over 16 KiB are refused as Workers' are. */
const MAX_NAME = 1023; // plus the guest's 'name:' prefix (14_cache.js)
const MAX_URL = 16 * 1024;
const utf8 = new TextEncoder();

/** What the ops need of their instance: its store (none: nothing is ever stored) and the revision it serves. */
export interface CacheOpsContext {
  cache: EdgeCache | undefined;
  /** The function of the revision this instance serves, or '' before it is specialised (then every op is a no-op). */
  fn(): string;
  /** The revision's limits.responseBytes: a larger body is not stored. */
  maxBodyBytes(): number;
}

function checkKey(name: string, url: string): void {
  if (name.length > MAX_NAME + 5) throw new OpError('EDGE_ERR_BAD_ARGUMENT', 'Cache name is too long.');
  if (url.length > MAX_URL) throw new OpError('EDGE_ERR_BAD_ARGUMENT', `Cache API keys are at most ${MAX_URL} characters.`);
}

/** `[status, statusText, headers]` from the guest, checked: a malformed one is refused, never stored. */
function parseMeta(meta: string): Omit<CachePut, 'body'> {
  let v: unknown;
  try {
    v = JSON.parse(meta);
  } catch {
    v = undefined;
  }
  const ok = Array.isArray(v) && v.length === 3 && Number.isInteger(v[0]) && v[0] >= 200 && v[0] <= 599 && typeof v[1] === 'string'
    && Array.isArray(v[2]) && (v[2] as unknown[]).every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string');
  if (!ok) throw new OpError('EDGE_ERR_BAD_ARGUMENT', 'cache_put: the response description is malformed');
  const [status, statusText, headers] = v as [number, string, HeaderPairs];
  return { status, statusText, headers };
}

export function cacheOps(c: CacheOpsContext): {
  cache_put: (name: string, url: string, meta: string, body: ArrayBuffer | string | null) => void;
  cache_match: (name: string, url: string) => ArrayBuffer | null;
  cache_delete: (name: string, url: string) => number;
} {
  return {
    cache_put: (name, url, meta, body) => {
      checkKey(name, url);
      const res = parseMeta(meta);
      const fn = c.fn();
      if (!c.cache || fn === '') return;
      // The guest already stopped a stream at the limit; a string or bytes body is measured here.
      const bytes = body === null ? null : typeof body === 'string' ? utf8.encode(body) : new Uint8Array(body);
      if (bytes && bytes.byteLength > c.maxBodyBytes()) return;
      c.cache.put(fn, name, url, { ...res, body: bytes });
    },
    cache_match: (name, url) => {
      checkKey(name, url);
      const fn = c.fn();
      if (!c.cache || fn === '') return null;
      return c.cache.match(fn, name, url) ?? null;
    },
    cache_delete: (name, url) => {
      checkKey(name, url);
      const fn = c.fn();
      if (!c.cache || fn === '') return 0;
      return c.cache.delete(fn, name, url) ? 1 : 0;
    },
  };
}
