/**
 * Bundles a Workers entry module into one ES module the way wrangler does (esbuild; conditions
 * workerd, worker, browser; mainFields browser, module, main; es2022; no Node built-ins), for
 * `isoedge deploy` and the examples loader alike. Errors name file, line and column.
 */
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { ProjectError } from './errors.ts';
import { NODE_DEFINES } from './no-node.ts';
import type { BuildOptions } from './project.ts';

const BUILTINS = new Set(builtinModules);
/** The CommonJS `module` the bundle's last line assigns; the upload's default export is read off it. */
const CJS = '__isoedge_cjs';

export interface Bundled {
  /** The ES module to upload: its default export is the Worker's. */
  code: string;
  /** esbuild's warnings, as file:line:column: text. */
  warnings: string[];
}

/** A path as the user can open it: relative to the working folder when under it, else absolute. */
export function shownPath(file: string): string {
  const abs = resolve(file);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

const where = (m: esbuild.Message, root: string): string => (m.location ? `${shownPath(resolve(root, m.location.file))}:${m.location.line}:${m.location.column + 1}: ` : '');

/** The specifier of a "Could not resolve" error, when it names a Node built-in module. */
function builtinOf(m: esbuild.Message): string | undefined {
  const spec = /^Could not resolve "([^"]+)"/.exec(m.text)?.[1];
  return spec && (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) ? spec : undefined;
}

function describe(m: esbuild.Message, root: string): string {
  const builtin = builtinOf(m);
  if (builtin) return `${where(m, root)}${JSON.stringify(builtin)} is a Node.js built-in module, which isoedge does not provide (it is Workers without nodejs_compat); use a Web API or a package that does not need Node`;
  return `${where(m, root)}${m.text}`;
}

/**
 * Bundled to CommonJS (no-node.ts says why not ESM), run at once inside a wrapper that hands it a
 * `module` of its own and no `require`, then re-exported as the default export of an ES module: the
 * host reads only `default`, so the upload is one self-contained ES module.
 */
export async function bundleWorker(main: string, opts: BuildOptions = {}, root = dirname(resolve(main))): Promise<Bundled> {
  let out: esbuild.BuildResult<{ write: false }>;
  try {
    out = await esbuild.build({
      // Paths in the bundle's comments are relative to the project's folder, so the module (and its
      // digest) is the same wherever the deploy runs from.
      absWorkingDir: root,
      entryPoints: [resolve(main)],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      // wrangler reads JSX in .js files too.
      loader: { '.js': 'jsx', '.mjs': 'jsx', '.cjs': 'jsx' },
      define: { ...NODE_DEFINES, ...opts.define },
      ...(opts.alias ? { alias: opts.alias } : {}),
      ...(opts.tsconfig ? { tsconfig: opts.tsconfig } : {}),
      ...(opts.jsxFactory ? { jsxFactory: opts.jsxFactory } : {}),
      ...(opts.jsxFragment ? { jsxFragment: opts.jsxFragment } : {}),
      minify: opts.minify ?? false,
      keepNames: opts.keepNames ?? true,
      banner: { js: `const ${CJS} = { exports: {} };\n((require, module) => {` },
      footer: { js: `})(undefined, ${CJS});\nexport default ${CJS}.exports.default;` },
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors;
    if (!errors?.length) throw e;
    throw new ProjectError(`cannot bundle ${shownPath(main)}:\n${errors.slice(0, 5).map((m) => `  ${describe(m, root)}`).join('\n')}${errors.length > 5 ? `\n  … and ${errors.length - 5} more` : ''}`);
  }
  const warnings = out.warnings
    // The CommonJS output warns that ESM code mentions `module`/`exports`: that is the point of the wrapper.
    .filter((w) => !/The CommonJS "(module|exports)" variable is treated as a global variable/.test(w.text))
    .map((w) => `${where(w, root)}${w.text}`);
  return { code: out.outputFiles[0]!.text, warnings };
}
