/**
 * The two handlers every scenario serves: a trivial one (hello) and a ~50 KB bundle (many small
 * functions, as a bundled app would have). `tag` makes each deployed module distinct, so isoedge
 * compiles and code-caches each one as it would a real function rather than sharing one digest.
 */
/** ~50 KB of helper functions (plain script: no module syntax, so node:vm, workers and `node -e` take it too). */
export const BUNDLE_HELPERS = Array.from({ length: 700 }, (_, i) => `function helper${i}(s) { return s.length > ${i} ? s.slice(0, ${i % 13}) + '${'x'.repeat(20)}' : s + ${i}; }`).join('\n');

export function helloJs(tag = 'isoedge'): string {
  return `export default { async fetch(request) { return new Response('Hello from ${tag}! You asked for ' + new URL(request.url).pathname + '\\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } }); } };`;
}

export function bundleJs(tag = 'a 50 KB bundle'): string {
  return `${BUNDLE_HELPERS}\nexport default { async fetch(request) { return new Response('Hello from ${tag}! ' + helper7(new URL(request.url).pathname) + '\\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } }); } };`;
}

/** The same two handlers as a plain expression `(path) => string`, for the baselines without a Request/Response API. */
export const HELLO_FN = `(path) => 'Hello from isoedge! You asked for ' + path + '\\n'`;
export const BUNDLE_FN = `(() => {\n${BUNDLE_HELPERS}\nreturn (path) => 'Hello from a 50 KB bundle! ' + helper7(path) + '\\n'; })()`;
