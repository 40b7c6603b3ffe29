// @ts-check
/* console → the host's structured log (tagged with function, revision and request there). */
{
  const { ops, define } = ns;
  /** One console argument as text. */
  const fmt = (/** @type {unknown} */ v) => {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return v.stack || String(v);
    if (typeof v === 'object' && v !== null) { try { return JSON.stringify(v); } catch { return String(v); } }
    return String(v);
  };
  /** @type {(level: string) => (...args: unknown[]) => void} */
  const logAt = (level) => (...args) => { ops.log(level, args.map(fmt).join(' ').slice(0, 16384)); };
  const console = Object.freeze({
    log: logAt('info'), info: logAt('info'), debug: logAt('debug'), trace: logAt('debug'),
    warn: logAt('warn'), error: logAt('error'),
  });
  define('console', console);
  ns.fmt = fmt;
  // The runtime's own console: a tenant replacing globalThis.console does not redirect the runtime's messages.
  ns.console = console;
}
