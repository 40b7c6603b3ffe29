/** Host header → function (and tag). Pure: the caller says which functions exist and which tags they route. */

/** The first label of `{label}.{domain}[:port]`, or undefined when the host is not under the domain. */
export function labelFromHost(host: string | undefined, domain: string): string | undefined {
  if (!host) return undefined;
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && !h.endsWith(']')) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  const suffix = '.' + domain;
  if (!h.endsWith(suffix)) return undefined;
  const label = h.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.') ? label : undefined;
}

/**
 * `{name}` → that function; otherwise `{tag}-{name}` → that function's tagged route
 * (Knative's tag-route host). A function whose full name matches wins, so a function
 * named `canary-shop` is never shadowed by tag `canary` of `shop`.
 */
export function resolveLabel(label: string, hasFunction: (fn: string) => boolean, hasTag: (fn: string, tag: string) => boolean): { fn: string; tag?: string } | undefined {
  if (hasFunction(label)) return { fn: label };
  for (let i = label.indexOf('-'); i !== -1; i = label.indexOf('-', i + 1)) {
    const tag = label.slice(0, i);
    const fn = label.slice(i + 1);
    if (hasFunction(fn) && hasTag(fn, tag)) return { fn, tag };
  }
  return undefined;
}
