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
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    for (const r of rules) {
      if (r.port !== undefined && r.port !== port) continue;
      if (r.host === '*' || r.host === host || (r.host.startsWith('*.') && host.endsWith(r.host.slice(1)))) return '';
    }
    return `outbound fetch to ${url.origin} is not allowed by the host allowlist (fetch.allow)`;
  };
}
