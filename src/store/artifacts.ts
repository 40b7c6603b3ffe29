/**
 * Content-addressed artifact files: `<dataDir>/artifacts/<sha256>/{source.js,script.js,cache.bin}`.
 * Each file is written to a temporary name, fsynced and renamed, so a crash leaves
 * either the whole file or none; the directory is fsynced so the rename survives too.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { exactBytes } from '../core/bytes.ts';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface JsArtifact {
  source: Uint8Array;
  script: string;
  cache: Uint8Array | null;
}

const DIGEST_RE = /^[0-9a-f]{64}$/;

export class ArtifactStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'artifacts');
    mkdirSync(this.root, { recursive: true });
  }

  #dir(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.root, digest);
  }

  has(digest: string): boolean {
    const d = this.#dir(digest);
    return existsSync(join(d, 'script.js')) || existsSync(join(d, 'module.wasm'));
  }

  /**
   * A transpiled component: the bundled script, its code cache and jco's core modules; script.js last marks it complete.
   * A wasi:http/proxy component also gets an `abi` file saying so (absent: edge:host/handler, as stored before there were two).
   */
  putComponent(digest: string, source: Uint8Array, a: { abi?: string; script: string; cache: Uint8Array | null; cores: [string, Uint8Array][] }): void {
    const dir = this.#dir(digest);
    mkdirSync(join(dir, 'cores'), { recursive: true });
    writeAtomic(join(dir, 'component.wasm'), source);
    for (const [name, bytes] of a.cores) {
      if (!/^[\w.-]+\.wasm$/.test(name)) throw new Error(`unexpected core module name ${name}`);
      writeAtomic(join(dir, 'cores', name), bytes);
    }
    writeAtomic(join(dir, 'cores.json'), Buffer.from(JSON.stringify(a.cores.map(([n]) => n))));
    if (a.cache) writeAtomic(join(dir, 'cache.bin'), a.cache);
    if (a.abi && a.abi !== 'edge-host') writeAtomic(join(dir, 'abi'), Buffer.from(a.abi));
    writeAtomic(join(dir, 'script.js'), Buffer.from(a.script, 'utf8'));
    fsyncDir(join(dir, 'cores'));
    fsyncDir(dir);
    fsyncDir(this.root);
  }

  getComponent(digest: string): { script: string; cache: Uint8Array | null; cores: [string, Uint8Array][] } {
    const dir = this.#dir(digest);
    const names = JSON.parse(readFileSync(join(dir, 'cores.json'), 'utf8')) as string[];
    const cachePath = join(dir, 'cache.bin');
    return {
      script: readFileSync(join(dir, 'script.js'), 'utf8'),
      cache: existsSync(cachePath) ? readBytes(cachePath) : null,
      cores: names.map((n) => [n, readBytes(join(dir, 'cores', n))] as [string, Uint8Array]),
    };
  }

  /** Which world a stored component serves: 'wasi-http' or 'edge-host'. */
  componentAbi(digest: string): 'edge-host' | 'wasi-http' {
    const p = join(this.#dir(digest), 'abi');
    return existsSync(p) && readFileSync(p, 'utf8') === 'wasi-http' ? 'wasi-http' : 'edge-host';
  }

  hasComponent(digest: string): boolean {
    return existsSync(join(this.#dir(digest), 'cores.json'));
  }

  /** A core Wasm module, stored as uploaded (executors compile it once per digest). */
  putWasm(digest: string, bytes: Uint8Array): void {
    const dir = this.#dir(digest);
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, 'module.wasm'), bytes);
    fsyncDir(dir);
    fsyncDir(this.root);
  }

  getWasm(digest: string): Uint8Array {
    return readBytes(join(this.#dir(digest), 'module.wasm'));
  }

  /** Idempotent: the same digest always has the same content. script.js is written last: it marks completeness. */
  putJs(digest: string, a: JsArtifact): void {
    const dir = this.#dir(digest);
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, 'source.js'), a.source);
    if (a.cache) writeAtomic(join(dir, 'cache.bin'), a.cache);
    writeAtomic(join(dir, 'script.js'), Buffer.from(a.script, 'utf8'));
    fsyncDir(dir);
    fsyncDir(this.root);
  }

  getJs(digest: string): JsArtifact {
    const dir = this.#dir(digest);
    const cachePath = join(dir, 'cache.bin');
    return {
      source: readFileSync(join(dir, 'source.js')),
      script: readFileSync(join(dir, 'script.js'), 'utf8'),
      cache: existsSync(cachePath) ? readBytes(cachePath) : null,
    };
  }

  remove(digest: string): void {
    rmSync(this.#dir(digest), { recursive: true, force: true });
  }
}

/** A file's bytes in an ArrayBuffer of their own (readFileSync may return a view on a shared buffer). */
function readBytes(path: string): Uint8Array {
  return exactBytes(readFileSync(path));
}

function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    let off = 0;
    while (off < data.byteLength) off += writeSync(fd, data, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
