/**
 * The outbound-fetch allowlist. Patterns: `host`, `*.domain` (any subdomain), `host:port`,
 * or `*` (anything). Hosts are compared lower-case; a pattern without a port allows any port.
 */
export function allowlist(patterns: readonly string[]): (url: URL) => string {
  const rules = patterns.map((p) => {
    const m = /^(\*|\*\.[a-z0-9.-]+|[a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d+))?$/i.exec(p.trim());
    if (!m) throw new RangeError(`fetch.allow: ${JSON.stringify(p)} is not host, *.domain, host:port or *`);
    return { host: m[1]!.toLowerCase(), port: m[2] };
  });
  return (url) => {
    const host = url.hostname.toLowerCase();
    const port = String(portOf(url));
    for (const r of rules) {
      if (r.port !== undefined && r.port !== port) continue;
      if (r.host === '*' || r.host === host || (r.host.startsWith('*.') && host.endsWith(r.host.slice(1)))) return '';
    }
    return `outbound fetch to ${url.origin} is not allowed by the host allowlist (fetch.allow)`;
  };
}

/** A URL's port, its scheme's default when it names none. */
function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/** Hosts that reach this machine itself. */
const LOCAL = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '[::]']);

/** `allowed`, and never this machine's own `ports()` (the host's listeners, read when asked: they are bound late). */
export function notToPorts(allowed: (url: URL) => string, ports: () => number[]): (url: URL) => string {
  return (url) => {
    const host = url.hostname.toLowerCase();
    if ((LOCAL.has(host) || host.endsWith('.localhost') || host.startsWith('127.')) && ports().includes(portOf(url))) return `a callback to this host's own listener (${url.host}) is not allowed`;
    return allowed(url);
  };
}
