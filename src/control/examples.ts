/**
 * Deploys the functions under examples/ at start. Each example folder has an
 * `isoedge.json` manifest (`{ "name", "main", "config"? }`) or is a Workers
 * project (wrangler.toml/json/jsonc), bundled by the code `isoedge deploy` uses.
 * A function is (re)deployed only when its latest revision differs in code or
 * config, so a restart does not pile up revisions.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import type { FunctionService } from './functions.ts';
import { parseRevisionConfig } from '../deploy/index.ts';
import { bundleWorker, readProject, WRANGLER_FILES, type Project } from '../bundle/index.ts';

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
function deployOne(s: FunctionService, name: string, file: string, config: ReturnType<typeof parseRevisionConfig>, bytes: Uint8Array = readFileSync(file)) {
  return s.deploy(name, { bytes, kind: file.endsWith('.wasm') ? 'wasm' : 'js' }, config);
}

/** A Workers project's module as `isoedge deploy` would upload it. */
async function projectModule(project: Project): Promise<Uint8Array> {
  if (!project.bundle) return readFileSync(project.main);
  return new TextEncoder().encode((await bundleWorker(project.main, project.build, project.root)).code);
}

const isProject = (dir: string) => WRANGLER_FILES.some((f) => existsSync(join(dir, f)));

export const EXAMPLES_DIR = new URL('../../examples/', import.meta.url).pathname;

export function readExamples(dir = EXAMPLES_DIR): { dir: string; manifest: ExampleManifest; project?: Project }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (isProject(join(dir, d.name)) || existsSync(join(dir, d.name, 'isoedge.json'))))
    .map((d) => {
      const at = join(dir, d.name);
      if (!isProject(at)) return { dir: at, manifest: JSON.parse(readFileSync(join(at, 'isoedge.json'), 'utf8')) as ExampleManifest };
      const project = readProject(at);
      return { dir: at, manifest: { name: project.name ?? d.name, main: relative(at, project.main), config: project.config }, project };
    })
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

export async function deployExamples(s: FunctionService, url: (fn: string) => string, dir = EXAMPLES_DIR): Promise<{ name: string; url: string; revision: string; deployed: boolean }[]> {
  const out = [];
  for (const { dir: d, manifest, project } of readExamples(dir)) {
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
    const source = project ? await projectModule(project) : readFileSync(join(d, manifest.main));
    const config = parseRevisionConfig(manifest.config ?? {});
    const digest = createHash('sha256').update(source).digest('hex');
    const fn = (await s.listFunctions()).find((f) => f.name === manifest.name);
    const latest = fn ? (await s.listRevisions(manifest.name)).at(-1) : undefined;
    if (latest && latest.digest === digest && JSON.stringify(latest.config) === JSON.stringify(config)) {
      out.push({ name: manifest.name, url: url(manifest.name), revision: latest.name, deployed: false });
      continue;
    }
    const rec = await deployOne(s, manifest.name, join(d, manifest.main), config, source);
    out.push({ name: manifest.name, url: url(manifest.name), revision: rec.name, deployed: true });
  }
  return out;
}
