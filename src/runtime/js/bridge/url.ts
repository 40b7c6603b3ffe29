/**
 * URL, URL setters and URLPattern for the guest, on the host's own WHATWG implementations (Node's
 * URL is Ada, which passes the web-platform-tests URL suite; Node 24 has URLPattern, also Ada).
 * Sync ops, charged to the caller: guest/04_url.js keeps the components and asks again on each
 * change. Components cross as one string joined by '\n' (the URL parser removes every newline
 * from its input, so no component holds one); '' is a refusal (no URL's href is empty).
 */

/** The order guest/04_url.js reads them in. */
const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;
const SETTERS: ReadonlySet<string> = new Set(['protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

function components(u: URL): string {
  return `${u.href}\n${u.origin}\n${u.protocol}\n${u.username}\n${u.password}\n${u.host}\n${u.hostname}\n${u.port}\n${u.pathname}\n${u.search}\n${u.hash}`;
}
void FIELDS;

/** The WHATWG URL parser on input (against base when hasBase is 1): the components, or '' if it fails. */
export function urlParse(input: string, base: string, hasBase: number): string {
  const u = hasBase ? URL.parse(input, base) : URL.parse(input);
  return u === null ? '' : components(u);
}

/** A setter applied to href (always a URL this module produced): the new components; '' when the href setter fails. */
export function urlSet(href: string, name: string, value: string): string {
  if (name === 'href') return urlParse(value, '', 0);
  const u = URL.parse(href);
  if (u === null) return '';
  if (SETTERS.has(name)) (u as unknown as Record<string, string>)[name] = value;
  return components(u);
}

type PatternInput = string | Record<string, string>;
/** Compiled patterns by their JSON arguments: compiling is the costly part, and a tenant's patterns repeat. */
const PATTERNS = new Map<string, URLPattern | string>();
const MAX_PATTERNS = 256;

function compiled(argsJson: string): URLPattern | string {
  let p = PATTERNS.get(argsJson);
  if (p === undefined) {
    try {
      const [input, base, options] = JSON.parse(argsJson) as [PatternInput, string | null, { ignoreCase?: boolean } | null];
      p = base === null ? new URLPattern(input, options ?? undefined) : new URLPattern(input as string, base, options ?? undefined);
    } catch (e) {
      p = e instanceof Error ? e.message : String(e);
    }
    if (PATTERNS.size >= MAX_PATTERNS) PATTERNS.delete(PATTERNS.keys().next().value!);
  } else PATTERNS.delete(argsJson);
  PATTERNS.set(argsJson, p);
  return p;
}

const PARTS = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;

/**
 * URLPattern: `compile` answers the pattern's components and hasRegExpGroups as JSON; `exec`
 * answers exec()'s result (groups' undefined values as '\u0000') or 'null'. A refusal is
 * `{"error": message}`, for the guest to throw as a TypeError.
 */
export function urlPattern(kind: string, argsJson: string, inputJson: string): string {
  const p = compiled(argsJson);
  if (typeof p === 'string') return JSON.stringify({ error: p });
  if (kind === 'compile') {
    const out: Record<string, unknown> = { hasRegExpGroups: (p as URLPattern & { hasRegExpGroups?: boolean }).hasRegExpGroups ?? false };
    for (const k of PARTS) out[k] = p[k];
    return JSON.stringify(out);
  }
  try {
    const [input, base] = JSON.parse(inputJson) as [PatternInput, string | null];
    const r = base === null ? p.exec(input) : p.exec(input as string, base);
    if (r === null || r === undefined) return 'null';
    return JSON.stringify(r, (_k, v: unknown) => (v === undefined ? '\u0000' : v));
  } catch (e) {
    return JSON.stringify({ error: e instanceof Error ? e.message : String(e) });
  }
}
