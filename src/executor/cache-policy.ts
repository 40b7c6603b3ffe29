/** Whether and for how long the Cache API keeps a response (Workers' rules: Cache-Control, Expires, Set-Cookie, default edge TTLs). Pure. */
import type { HeaderPairs } from '../runtime/types.ts';

export type Freshness = { store: true; ttlMs: number; headers: HeaderPairs } | { store: false; reason: string };

/**
 * Cloudflare's default edge TTLs when a response says nothing (no Cache-Control lifetime, no Expires):
 * 200, 206, 301 two hours; 302, 303 twenty minutes; 404, 410 three minutes; any other status is not cached.
 */
const DEFAULT_TTL_MS: Record<number, number> = { 200: 7_200_000, 206: 7_200_000, 301: 7_200_000, 302: 1_200_000, 303: 1_200_000, 404: 180_000, 410: 180_000 };

/** Cache-Control directives, lower-cased names; a value unquoted (`private="set-cookie"` → `set-cookie`). */
export function parseCacheControl(value: string): Map<string, string | true> {
  const out = new Map<string, string | true>();
  // Commas inside a quoted value (private="a, b") belong to it.
  for (const m of value.matchAll(/\s*([^=,\s]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*(?:,|$)/g)) {
    const name = m[1]!.toLowerCase();
    if (out.has(name)) continue;
    const raw = m[2];
    out.set(name, raw === undefined ? true : raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.trim());
  }
  return out;
}

/** A delta-seconds value, or undefined if it is not one (RFC 9111 §1.2.2; a huge one is capped, not refused). */
function seconds(v: string | true | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), 2 ** 31);
}

/**
 * How long a response put() is given may be kept, or why it is not kept, at wall time `wallNowMs` (for
 * Expires). s-maxage is preferred to max-age (a shared cache's lifetime), then Expires, then the default
 * TTL by status. `no-store`, `no-cache` and `private` (without field names) are not stored, nor a lifetime
 * of 0, nor a Set-Cookie unless `private=Set-Cookie` names it, in which case it is stored without it, as
 * Workers documents. Fields named by `private=…` or `no-cache=…` are dropped from what is stored.
 */
export function freshness(status: number, headers: HeaderPairs, wallNowMs: number): Freshness {
  const get = (name: string): string | undefined => {
    const vals = headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
    return vals.length === 0 ? undefined : vals.join(', ');
  };
  const cc = parseCacheControl(get('cache-control') ?? '');
  if (cc.has('no-store')) return { store: false, reason: 'no-store' };
  const fieldList = (v: string | true | undefined): Set<string> => new Set(typeof v === 'string' ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : []);
  const priv = cc.get('private');
  if (priv === true) return { store: false, reason: 'private' };
  const noCache = cc.get('no-cache');
  if (noCache === true) return { store: false, reason: 'no-cache' };
  const dropped = new Set([...fieldList(priv), ...fieldList(noCache)]);
  if (!dropped.has('set-cookie') && get('set-cookie') !== undefined) return { store: false, reason: 'set-cookie' };
  const ttlS = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  let ttlMs: number;
  if (ttlS !== undefined) ttlMs = ttlS * 1000;
  else {
    const expires = get('expires');
    if (expires !== undefined) {
      // An Expires that is not a date means already expired (RFC 9111 §5.3).
      const at = Date.parse(expires);
      ttlMs = Number.isNaN(at) ? 0 : at - wallNowMs;
    } else ttlMs = DEFAULT_TTL_MS[status] ?? 0;
  }
  if (!(ttlMs > 0)) return { store: false, reason: 'expired' };
  return { store: true, ttlMs, headers: dropped.size === 0 ? headers : headers.filter(([k]) => !dropped.has(k.toLowerCase())) };
}
