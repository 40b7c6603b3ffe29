import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['**/*.case.test.ts', 'node_modules/**'],
    // isolated-vm asks for --no-node-snapshot on Node >= 20.
    execArgv: ['--no-node-snapshot'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: end-to-end files start hosts with executor threads; keep the parallelism modest.
    maxWorkers: 2,
  },
});
