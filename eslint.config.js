// Lint rules, and the one-way imports of style.md §2 enforced per folder:
// core ← config ← (pure: router, autoscaler, metrics, concurrency) ← (shells) ← api ← app/main.
import tseslint from 'typescript-eslint';

const PURE = ['node:*', 'pino', 'fastify', 'isolated-vm', 'piscina', 'lru-cache', 'better-sqlite3', 'esbuild', '@bytecodealliance/*'];
const ONLY_CORE = '^\\.\\./(?!core/)';
const ABOVE = '^\\.\\./(api/|app\\.ts|main\\.ts)';
const PURE_WHY = 'Pure algorithms take `now` and a random source as arguments: no I/O, timers, loggers or other layers (style.md §2).';

// One entry per folder: flat config lets the last matching block win for a rule, so each folder's list is complete.
const LAYERS = {
  core: [PURE, '^\\.\\./', 'core/ imports nothing: it is the bottom layer.'],
  config: [PURE, ONLY_CORE, 'config/ may import core/ only.'],
  router: [PURE, ONLY_CORE, PURE_WHY],
  autoscaler: [PURE, ONLY_CORE, PURE_WHY],
  metrics: [PURE, ONLY_CORE, PURE_WHY],
  concurrency: [PURE, ONLY_CORE, PURE_WHY],
  pool: [['node:*', 'pino', 'fastify', 'isolated-vm', 'piscina', 'better-sqlite3'], ONLY_CORE, 'pool/ holds instances through a narrow interface: core/ and lru-cache only.'],
  runtime: [['pino', 'fastify', 'piscina', 'better-sqlite3'], '^\\.\\./\\.\\./(?!core/)|^\\.\\./(?!(\\.\\./|core/|js/|types\\.ts))', 'runtime/ may import core/ only; it is the only home of isolated-vm.'],
  telemetry: [PURE, ONLY_CORE, 'telemetry/ renders metrics; it reads nothing itself.'],
  scaling: [['node:*', 'isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3', 'esbuild'], '^\\.\\./(?!(core|concurrency|autoscaler|metrics)/)', 'scaling/ is the shell around the pure autoscaler: it talks to executors through the ScalingTarget it is given.'],
  store: [['isolated-vm'], ABOVE, 'store/ is below the API and outside the runtime.'],
  deploy: [['isolated-vm'], ABOVE, 'deploy/ is below the API; isolated-vm stays in runtime/js.'],
  executor: [['isolated-vm'], ABOVE, 'executor/ is below the API; isolated-vm stays in runtime/js.'],
  functions: [['isolated-vm'], ABOVE, 'functions/ is below the API.'],
  host: [['isolated-vm'], ABOVE, 'host/ is below the API.'],
  log: [['isolated-vm'], ABOVE, 'log/ is below the API.'],
  logs: [PURE, ONLY_CORE, 'logs/ is a pure ring and fan-out.'],
  cli: [['isolated-vm', 'fastify', 'pino', 'piscina', 'better-sqlite3', 'esbuild'], '^\\.\\./', 'cli/ is a client of the HTTP API: it imports nothing of the host.'],
  api: [['isolated-vm'], '^(\\.\\./)+(app|main)\\.ts$', 'Nothing imports app.ts or main.ts.'],
};
const layers = Object.entries(LAYERS).map(([dir, [mods, paths, why]]) => ({
  files: [`src/${dir}/**`],
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: mods, message: why }, { regex: paths, message: why }] }] },
}));

export default tseslint.config(
  // AssemblyScript sources are compiled by asc, not by tsc: they use its decorators and types.
  { ignores: ['node_modules/**', 'bench/results/**', '.isoedge/**', 'examples/**/build/**', 'examples/**/assembly/**', '.scratch/**'] },
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
  { files: ['bench/**', 'test/**', 'src/main.ts', 'bin/**'], rules: { 'no-console': 'off' } },
  ...layers,
  // runtime/js/bridge/ and guest/ sit one folder deeper: the same rule as runtime/, with its paths one level up.
  { files: ['src/runtime/js/bridge/**', 'src/runtime/js/guest/**'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: LAYERS.runtime[0], message: LAYERS.runtime[2] }, { regex: '^\\.\\./\\.\\./\\.\\./(?!core/)|^\\.\\./\\.\\./(?!(\\.\\./|types\\.ts))', message: LAYERS.runtime[2] }] }] } },
);
