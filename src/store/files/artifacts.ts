/**
 * The ArtifactStore as a directory: `<dataDir>/artifacts/<sha256>/<name>`. A put writes every
 * file into a staging directory of its own, fsyncs them, writes `manifest.json` (the list of
 * names) last, and renames the directory into place: the artifact appears whole or not at
 * all, and when two writers race on one digest (two deploys of the same bytes) the first
 * rename wins and the other's files are dropped, never mixed with the winner's. Directories
 * are fsynced so the renames survive a crash too.
 */
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exactBytes } from '../../core/bytes.ts';
import { ARTIFACT_NAME_RE, DIGEST_RE, type ArtifactFiles, type ArtifactStore } from '../types.ts';

const MANIFEST = 'manifest.json';
/** Staging directories sit beside the artifacts (the same file system, so the rename is atomic); no digest starts so. */
const STAGING = '.staging-';
/** Artifacts written before manifests existed were complete once one of these was there (written last). */
const LEGACY_MARKERS = ['script.js', 'module.wasm'];

export class FileArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'artifacts');
    mkdirSync(this.root, { recursive: true });
  }

  #dir(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
    return join(this.root, digest);
  }

  async has(digest: string): Promise<boolean> {
    const d = this.#dir(digest);
    for (const f of [MANIFEST, ...LEGACY_MARKERS]) if (await exists(join(d, f))) return true;
    return false;
  }

  async put(digest: string, files: ArtifactFiles): Promise<void> {
    const dir = this.#dir(digest);
    const names = Object.keys(files);
    for (const n of names) if (!ARTIFACT_NAME_RE.test(n) || n === MANIFEST) throw new TypeError(`not an artifact file name: ${JSON.stringify(n)}`);
    // Idempotent: the same digest always has the same content, and what is stored is whole.
    if (await this.has(digest)) return;
    const staging = join(this.root, `${STAGING}${randomBytes(6).toString('hex')}`);
    try {
      const dirs = new Set([staging, ...names.map((n) => dirname(join(staging, n)))]);
      for (const d of dirs) await mkdir(d, { recursive: true });
      for (const n of names) await writeAtomic(join(staging, n), files[n]!);
      await writeAtomic(join(staging, MANIFEST), Buffer.from(JSON.stringify(names)));
      for (const d of dirs) await fsyncDir(d);
      try {
        await rename(staging, dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Another writer's artifact is in place (rename refuses a non-empty target): keep it.
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && await this.has(digest)) return;
        // An incomplete directory left by a crash before manifests or staging existed: replace it.
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          await rm(dir, { recursive: true, force: true });
          await rename(staging, dir);
        } else throw e;
      }
      await fsyncDir(this.root);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Staging directories a crash left behind (their artifacts never appeared): removed at start. */
  async sweep(): Promise<void> {
    for (const e of await readdir(this.root)) if (e.startsWith(STAGING)) await rm(join(this.root, e), { recursive: true, force: true });
  }

  async get(digest: string, name: string): Promise<Uint8Array | undefined> {
    if (!ARTIFACT_NAME_RE.test(name)) throw new TypeError(`not an artifact file name: ${JSON.stringify(name)}`);
    try {
      // readFile may hand back a view on a shared pool buffer: the bytes get a buffer of their own.
      return exactBytes(await readFile(join(this.#dir(digest), name)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async remove(digest: string): Promise<void> {
    await rm(this.#dir(digest), { recursive: true, force: true });
  }

  /** The names manifest.json lists; undefined when there is none (an absent artifact, or one stored before manifests). */
  async files(digest: string): Promise<string[] | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#dir(digest), MANIFEST), 'utf8')) as string[];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    let off = 0;
    while (off < data.byteLength) off += (await fh.write(data, off)).bytesWritten;
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
