/** Workers projects: read a wrangler.toml/json/jsonc (or isoedge.json) and bundle its main into one module; shared by the CLI and the examples loader. */
export { readProject, parseWranglerFile, WRANGLER_FILES, type Project, type BuildOptions } from './project.ts';
export { bundleWorker, type Bundled } from './bundle.ts';
export { ProjectError } from './errors.ts';
export { BINDING_KEYS } from './bindings.ts';
export { NODE_NAMES, wrapperStart, WRAPPER_END } from './no-node.ts';
