// Lint rules, and the one-way imports of docs/architecture.md ("Source layout and the import rule") enforced per folder:
// core ← config ← (pure: router, autoscaler, concurrency) ← (shells) ← api ← app/main.
import tseslint from 'typescript-eslint';

const PURE = ['node:*', 'pino', 'fastify', 'isolated-vm', 'piscina', 'lru-cache', 'better-sqlite3', 'esbuild', '@bytecodealliance/*'];
const ONLY_CORE = '^\\.\\./(?!core/)';
const ABOVE = '^\\.\\./(api/|app\\.ts|main\\.ts)';
const PURE_WHY = 'Pure algorithms take `now` and a random source as arguments: no I/O, timers, loggers or other layers (docs/architecture.md).';

// One entry per folder: flat config lets the last matching block win for a rule, so each folder's list is complete.
const LAYERS = {
  core: [PURE, '^\\.\\./', 'core/ imports nothing: it is the bottom layer.'],
  config: [PURE, ONLY_CORE, 'config/ may import core/ only.'],
  router: [PURE, ONLY_CORE, PURE_WHY],
  autoscaler: [PURE, ONLY_CORE, PURE_WHY],
  concurrency: [PURE, ONLY_CORE, PURE_WHY],
  pool: [['node:*', 'pino', 'fastify', 'isolated-vm', 'piscina', 'better-sqlite3'], ONLY_CORE, 'pool/ holds instances through a narrow interface: core/ and lru-cache only.'],
  runtime: [['pino', 'fastify', 'piscina', 'better-sqlite3'], '^\\.\\./\\.\\./(?!core/)|^\\.\\./(?!(\\.\\./|core/|js/|types\\.ts))', 'runtime/ may import core/ only; it is the only home of isolated-vm.'],
  // prom-client is not in PURE: it is telemetry/'s library (its default metrics read the process, so telemetry/ needs no node:*).
  telemetry: [PURE, ONLY_CORE, 'telemetry/ defines metrics on prom-client; host state reaches it only through the GaugeSources readers it is given.'],
  activator: [['node:*', 'isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3', 'esbuild'], '^\\.\\./(?!(core|concurrency|autoscaler)/)', 'activator/ is the shell around the pure autoscaler: it talks to executors through the ScalingTarget it is given.'],
  store: [['isolated-vm'], ABOVE, 'store/ is below the API and outside the runtime.'],
  deploy: [['isolated-vm'], ABOVE, 'deploy/ is below the API; isolated-vm stays in runtime/js.'],
  executor: [['isolated-vm'], ABOVE, 'executor/ is below the API; isolated-vm stays in runtime/js.'],
  catalog: [['isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3', 'node:*'], '^\\.\\./(?!(core|router|store|runtime/types\\.ts))', 'catalog/ follows the store and builds route tables: core, router, store and the spec type only.'],
  control: [['isolated-vm', 'fastify', 'piscina', 'better-sqlite3'], '^\\.\\./(?!(core|router|store|deploy|bundle)/)', 'control/ writes the stores through the deployer; it knows nothing of the data plane or HTTP.'],
  dispatch: [['isolated-vm', 'fastify', 'piscina', 'better-sqlite3', 'lru-cache', 'node:*'], '^\\.\\./(?!(core/|router/|runtime/types\\.ts|executor/index\\.ts|logging/index\\.ts))', 'dispatch/ is the request path: it reaches the catalog, the activator and the executors through the interfaces it declares.'],
  status: [['isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3'], '^\\.\\./(?!(core|executor)/)', 'status/ shapes views of the data plane; it reads through narrow interfaces.'],
  logging: [['isolated-vm', 'fastify', 'piscina', 'better-sqlite3', 'node:*'], '^\\.\\./(?!core/)', 'logging/ is the pino factory and a pure ring with subscribers.'],
  cli: [['isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3'], '^\\.\\./(?!bundle/)', 'cli/ is a client of the HTTP API: it imports nothing of the host but bundle/ (it bundles Workers projects as wrangler does).'],
  // Shared by the CLI and the examples loader, so it may import nothing of the host: esbuild, smol-toml, jsonc-parser and node:* only.
  bundle: [['isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3', 'lru-cache', 'prom-client', '@bytecodealliance/*'], '^\\.\\./', 'bundle/ is shared by the CLI and the host: it imports nothing of the host.'],
  async: [['isolated-vm', 'fastify', 'piscina', 'better-sqlite3'], '^\\.\\./(?!(core/|dispatch/index\\.ts|store/index\\.ts|deploy/index\\.ts|runtime/types\\.ts))', 'async/ runs calls through dispatch() and keeps them in the InvocationStore: core, dispatch, store, deploy (cron parsing) and the runtime types only.'],
  cluster: [['isolated-vm', 'fastify', 'piscina', 'esbuild'], '^\\.\\./(?!(core/|config/index\\.ts|store/))', 'cluster/ opens the stores and keeps the node registry: core, config and store only.'],
  api: [['isolated-vm'], '^(\\.\\./)+(app|main)\\.ts$', 'Nothing imports app.ts or main.ts.'],
};
const layers = Object.entries(LAYERS).map(([dir, [mods, paths, why]]) => ({
  files: [`src/${dir}/**`],
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: mods, message: why }, { regex: paths, message: why }] }] },
}));

export default tseslint.config(
  // AssemblyScript sources are compiled by asc, not by tsc: they use its decorators and types.
  { ignores: ['node_modules/**', 'bench/results/**', '.isoedge/**', 'examples/**/build/**', 'examples/**/assembly/**', 'examples/cluster/tmp/**', '.scratch/**', 'src/runtime/js/.vendor/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  // Guest code runs inside isolates: plain script JS, no imports at all.
  { files: ['src/runtime/js/guest/**/*.js', 'examples/**/*.js'], rules: { 'no-console': 'off' }, languageOptions: { sourceType: 'script' } },
  { files: ['examples/**/*.js'], languageOptions: { sourceType: 'module' }, rules: { '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }] } },
  // Benches, tests, the command line and examples (a function's console.log is its log; receiver.mjs is a demo tool) print.
  { files: ['bench/**', 'test/**', 'src/main.ts', 'bin/**', 'examples/**/*.ts', 'examples/**/*.mjs'], rules: { 'no-console': 'off' } },
  ...layers,
  // runtime/js/bridge/ and guest/ sit one folder deeper: the same rule as runtime/, with its paths one level up.
  { files: ['src/runtime/js/bridge/**', 'src/runtime/js/guest/**'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: LAYERS.runtime[0], message: LAYERS.runtime[2] }, { regex: '^\\.\\./\\.\\./\\.\\./(?!core/)|^\\.\\./\\.\\./(?!(\\.\\./|types\\.ts))', message: LAYERS.runtime[2] }] }] } },
);
