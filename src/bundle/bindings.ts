/** The wrangler config keys that declare bindings (the host provides none of them) and the keys isoedge reads, honours or refuses. */

/**
 * Every binding kind wrangler knows (its config schema, 2025), each a resource the host does not
 * provide. A deploy that declares one is refused with its name: dropping it would deploy a Worker
 * whose `env.X` is undefined and fails only when a request reaches it.
 */
export const BINDING_KEYS: readonly string[] = [
  'kv_namespaces', 'd1_databases', 'r2_buckets', 'durable_objects', 'services', 'queues',
  'analytics_engine_datasets', 'ai', 'vectorize', 'hyperdrive', 'browser', 'send_email',
  'dispatch_namespaces', 'mtls_certificates', 'workflows', 'version_metadata', 'pipelines',
  'secrets_store_secrets', 'images', 'ratelimits', 'unsafe', 'wasm_modules', 'text_blobs',
  'data_blobs', 'logfwdr', 'assets', 'site', 'worker_loaders', 'vpc_services', 'containers',
  'unsafe_hello_world', 'media', 'tail_consumers', 'streaming_tail_consumers', 'migrations',
];

/** Keys mapped onto the revision (docs/cli.md, "Deploying a Workers project"). */
export const MAPPED_KEYS: readonly string[] = ['name', 'main', 'vars', 'compatibility_date', 'compatibility_flags', 'triggers', 'limits'];

/** Keys that change how the bundle is built, honoured as wrangler does. */
export const BUILD_KEYS: readonly string[] = ['define', 'alias', 'minify', 'tsconfig', 'jsx_factory', 'jsx_fragment', 'no_bundle', 'keep_names'];

/** Keys whose meaning this host cannot give, refused with the reason rather than half-honoured. */
export const REFUSED_KEYS: Readonly<Record<string, string>> = {
  build: 'a custom build command is not run by isoedge deploy; run it first and deploy its output (main pointing at it)',
  rules: 'module rules upload extra modules; isoedge uploads one bundled module',
  find_additional_modules: 'extra modules are not uploaded; isoedge uploads one bundled module',
  node_compat: 'Node.js polyfills are not provided; this host is Workers without Node.js compatibility',
};

/** A key not listed above whose value declares a binding (`binding` in it, or a `bindings` list) is a binding too. */
export function declaresBinding(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(declaresBinding);
  if (value === null || typeof value !== 'object') return false;
  return Object.hasOwn(value, 'binding') || Object.hasOwn(value, 'bindings');
}
