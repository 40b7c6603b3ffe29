/** The Node names a Workers module must not see, shared by the CLI's bundler and the deploy-time transform. */

/**
 * What Node gives a CommonJS module and a Workers module does not have (design §9). Both bundlers
 * emit CommonJS, because with any other output format esbuild rewrites a free `require` into its
 * `__require` shim, which is a function (so `typeof require === 'function'` would hold). The
 * deploy transform runs that CommonJS inside a wrapper whose parameters carry these names and are
 * never passed, so each is `undefined` to the code; `exports` is among them because the CommonJS
 * output would otherwise see the wrapper's.
 */
export const NODE_NAMES = ['require', 'process', 'module', 'Buffer', 'global', 'exports'] as const;

/** `var|const NAME = ((require, …) => {`: the line before the CommonJS body (esbuild's banner). */
export const wrapperStart = (decl: string): string => `${decl} = ((${NODE_NAMES.join(', ')}) => {`;
export const WRAPPER_END = '})();';

/**
 * For the CLI's bundler, whose entry is the project's own module (so esbuild tree-shakes it): the
 * free Node names become `undefined` at bundle time, except `require`, which must stay an
 * identifier for esbuild to bundle CommonJS dependencies' `require('./x')`; the wrapper shadows
 * that one. A dependency's own `module`/`exports` are its CommonJS wrapper's and stay bound.
 * wrangler defines `process.env.NODE_ENV` so libraries take their production branch; so does this.
 */
export const NODE_DEFINES: Readonly<Record<string, string>> = {
  'process.env.NODE_ENV': '"production"',
  process: 'undefined', module: 'undefined', exports: 'undefined', Buffer: 'undefined', global: 'undefined',
};
