/**
 * URL and its setters for the guest, on the host's own WHATWG implementation (Node's URL is Ada,
 * which passes the web-platform-tests URL suite). Sync ops, charged to the caller: guest/04_url.js
 * keeps the components and asks again on each change. Components cross as one string joined by
 * '\n' (the URL parser removes every newline from its input, so no component holds one); '' is a
 * refusal (no URL's href is empty).
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
