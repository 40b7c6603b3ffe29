import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * URL and its setters for the guest, on the host's own WHATWG implementation (Node's URL is Ada,
 * which passes the web-platform-tests URL suite), and URLPattern's source. Sync ops, charged to the caller: guest/04_url.js keeps the components and asks again on each
 * change. Components cross as one string joined by '\n' (the URL parser removes every newline
 * from its input, so no component holds one); '' is a refusal (no URL's href is empty).
 */

const SETTERS: ReadonlySet<string> = new Set(['protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

/** In the order guest/04_url.js reads them: href, origin, protocol, username, password, host, hostname, port, pathname, search, hash. */
function components(u: URL): string {
  return `${u.href}\n${u.origin}\n${u.protocol}\n${u.username}\n${u.password}\n${u.host}\n${u.hostname}\n${u.port}\n${u.pathname}\n${u.search}\n${u.hash}`;
}

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

/**
 * URLPattern's source for the guest: urlpattern-polyfill (MIT, node_modules), its ES-module
 * `export` turned into a `return`, read once per thread. URLPattern runs in the guest, not on the
 * host: matching runs regular expressions built from the tenant's patterns (its own regexp groups,
 * and wildcards, which backtrack polynomially), and only the guest's CPU limit can stop a slow one.
 * The guest compiles it on first use of the URLPattern global (guest/04_url.js), so isolates that
 * never use it carry none of it.
 */
let patternSource: string | undefined;
export function urlPatternSource(): string {
  if (patternSource === undefined) {
    const src = readFileSync(fileURLToPath(import.meta.resolve('urlpattern-polyfill/urlpattern')), 'utf8');
    const m = /export\s*\{\s*([\w$]+)\s+as\s+URLPattern\s*\}\s*;?\s*$/.exec(src);
    if (!m) throw new Error('urlpattern-polyfill: the module does not end with `export { … as URLPattern }`');
    patternSource = `'use strict';\n${src.slice(0, m.index)}\nreturn ${m[1]};`;
  }
  return patternSource;
}
