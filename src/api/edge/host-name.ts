/** Maps a request's Host header to a function name: `{name}.{domain}[:port]`. Pure. */
export function functionFromHost(host: string | undefined, domain: string): string | undefined {
  if (!host) return undefined;
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && !h.endsWith(']')) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  const suffix = '.' + domain;
  if (!h.endsWith(suffix)) return undefined;
  const name = h.slice(0, -suffix.length);
  return name.length > 0 && !name.includes('.') ? name : undefined;
}
