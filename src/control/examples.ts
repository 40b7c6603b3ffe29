/**
 * Deploys the functions under examples/ at start. Each example folder has an
 * `isoedge.json` manifest: `{ "name", "main", "config"? }`. A function is
 * (re)deployed only when its latest revision differs in code or config, so a
 * restart does not pile up revisions.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { FunctionService } from './functions.ts';
import { parseRevisionConfig } from '../deploy/index.ts';

/**
 * One revision (`main` + `config`), or several (`revisions`) with a `traffic` table; a
 * multi-revision example is deployed only when its function does not exist yet, since its
 * table names revisions by number.
 */
export interface ExampleManifest {
  name: string;
  main?: string;
  config?: unknown;
  revisions?: { main: string; config?: unknown }[];
  traffic?: unknown;
}

/** `.wasm` files go through the Wasm deployer, anything else is a JS module. */
function deployOne(s: FunctionService, name: string, file: string, config: ReturnType<typeof parseRevisionConfig>) {
  return s.deploy(name, { bytes: readFileSync(file), kind: file.endsWith('.wasm') ? 'wasm' : 'js' }, config);
}

export const EXAMPLES_DIR = new URL('../../examples/', import.meta.url).pathname;

export function readExamples(dir = EXAMPLES_DIR): { dir: string; manifest: ExampleManifest }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'isoedge.json')))
    .map((d) => ({ dir: join(dir, d.name), manifest: JSON.parse(readFileSync(join(dir, d.name, 'isoedge.json'), 'utf8')) as ExampleManifest }))
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

export async function deployExamples(s: FunctionService, url: (fn: string) => string, dir = EXAMPLES_DIR): Promise<{ name: string; url: string; revision: string; deployed: boolean }[]> {
  const out = [];
  for (const { dir: d, manifest } of readExamples(dir)) {
    if (manifest.revisions) {
      const existing = (await s.listFunctions()).find((f) => f.name === manifest.name);
      const exists = existing !== undefined;
      let last = existing?.latestRevision ?? '';
      if (!exists) {
        for (const r of manifest.revisions) last = (await deployOne(s, manifest.name, join(d, r.main), parseRevisionConfig(r.config ?? {}))).name;
        if (manifest.traffic) await s.setTraffic(manifest.name, manifest.traffic);
      }
      out.push({ name: manifest.name, url: url(manifest.name), revision: last, deployed: !exists });
      continue;
    }
    if (!manifest.main) throw new Error(`example ${manifest.name}: isoedge.json needs "main" or "revisions"`);
    const source = readFileSync(join(d, manifest.main));
    const config = parseRevisionConfig(manifest.config ?? {});
    const digest = createHash('sha256').update(source).digest('hex');
    const fn = (await s.listFunctions()).find((f) => f.name === manifest.name);
    const latest = fn ? (await s.listRevisions(manifest.name)).at(-1) : undefined;
    if (latest && latest.digest === digest && JSON.stringify(latest.config) === JSON.stringify(config)) {
      out.push({ name: manifest.name, url: url(manifest.name), revision: latest.name, deployed: false });
      continue;
    }
    const rec = await deployOne(s, manifest.name, join(d, manifest.main), config);
    out.push({ name: manifest.name, url: url(manifest.name), revision: rec.name, deployed: true });
  }
  return out;
}
