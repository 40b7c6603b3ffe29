/**
 * Builds the examples that need a build step, from source with npm packages only:
 * WebAssembly text (.wat) through wabt, AssemblyScript (assembly/index.ts) through asc. Runs at `npm install` (postinstall) and from
 * the tests; writes examples/<name>/build/<file>.wasm.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));

export async function buildExamples(): Promise<string[]> {
  const wabt = await (require('wabt') as () => Promise<{ parseWat(name: string, src: string, features: object): { resolveNames(): void; validate(): void; toBinary(o: object): { buffer: Uint8Array }; destroy(): void } }>)();
  const built: string[] = [];
  for (const dir of readdirSync(EXAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const root = join(EXAMPLES, dir.name);
    for (const f of readdirSync(root).filter((x) => x.endsWith('.wat'))) {
      const mod = wabt.parseWat(f, readFileSync(join(root, f), 'utf8'), { bulk_memory: true, annotations: true });
      mod.resolveNames();
      mod.validate();
      const out = join(root, 'build', f.replace(/\.wat$/, '.wasm'));
      mkdirSync(join(root, 'build'), { recursive: true });
      writeFileSync(out, mod.toBinary({ write_debug_names: true }).buffer);
      mod.destroy();
      built.push(out);
      // A component example: embed its WIT world into the core module, then wrap it (jco embed + jco new).
      const cfgPath = join(root, 'build.json');
      if (existsSync(cfgPath)) {
        const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { component?: { wit: string; world: string } };
        if (cfg.component) {
          // jco's API, not its CLI: jco 1.34's `embed -n` does not reach wasm-tools, and the wasi:http package has two worlds.
          const { componentEmbed, componentNew } = await import('@bytecodealliance/jco');
          const base = f.replace(/\.wat$/, '');
          const component = join(root, 'build', `${base}.component.wasm`);
          const embedded = await componentEmbed({ binary: readFileSync(out), witPath: resolve(root, cfg.component.wit), world: cfg.component.world });
          writeFileSync(join(root, 'build', `${base}.embedded.wasm`), embedded);
          writeFileSync(component, await componentNew(embedded, []));
          built.push(component);
        }
      }
    }
    if (existsSync(join(root, 'assembly', 'index.ts'))) {
      // Stub runtime (the module resets its heap per request) and no `env.abort` import: edge-core-v1 provides env.log only.
      const asc = require.resolve('assemblyscript/bin/asc.js');
      const out = join(root, 'build', `${dir.name.replace(/^as-/, '')}.wasm`);
      const r = spawnSync(process.execPath, [asc, join(root, 'assembly', 'index.ts'), '-o', out, '--runtime', 'stub', '-O3', '--use', 'abort='], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`asc failed for ${dir.name}: ${r.stderr || r.stdout}`);
      built.push(out);
    }
  }
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildExamples();
  process.stdout.write(`built ${built.length} example module(s)${built.length ? ': ' + built.map((b) => b.slice(EXAMPLES.length)).join(', ') : ''}\n`);
  if (!existsSync(EXAMPLES)) process.exitCode = 1;
}
