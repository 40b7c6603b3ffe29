/**
 * Deploys a module as a new immutable revision: validate, transform and build
 * its code cache on piscina, write the artifacts, then record the revision. The
 * order matters: artifacts first, database row last, so a failure or crash at
 * any point leaves the previous state or the complete new one. A refused module
 * stores nothing.
 */
import { createHash } from 'node:crypto';
import { EdgeError } from '../core/errors.ts';
import { isFunctionName } from '../core/ids.ts';
import type { ArtifactStore, RevisionConfig, RevisionRecord, StateStore } from '../store/index.ts';
import type { CompileJsResult, CompileJsTask, CompileWasmResult, CompileWasmTask } from './compile.worker.ts';
import { trafficAfterDeploy } from '../router/index.ts';

/** How a new revision joins the traffic table (see router/trafficAfterDeploy). */
export interface RolloutOptions {
  noTraffic?: boolean;
  tag?: string;
}

export interface DeployerDeps {
  state: StateStore;
  artifacts: ArtifactStore;
  compile: (task: CompileJsTask) => Promise<CompileJsResult>;
  compileWasm: (task: CompileWasmTask) => Promise<CompileWasmResult>;
  moduleBytes: number;
  memoryMb: number;
  /** Wall-clock time for createdAt (Unix ms). */
  wallNow: () => number;
}

export function assertFunctionName(name: string): void {
  if (!isFunctionName(name)) {
    throw new EdgeError('EDGE_ERR_INVALID_NAME', `function name ${JSON.stringify(name)} must match ^[a-z][a-z0-9-]{0,62}$`);
  }
}

export class Deployer {
  readonly #d: DeployerDeps;

  constructor(deps: DeployerDeps) {
    this.#d = deps;
  }

  async deployJs(name: string, source: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<RevisionRecord & { compiled: boolean }> {
    assertFunctionName(name);
    if (source.byteLength === 0) throw new EdgeError('EDGE_ERR_MODULE_PARSE', 'the module is empty');
    if (source.byteLength > this.#d.moduleBytes) {
      throw new EdgeError('EDGE_ERR_MODULE_TOO_LARGE', `the module is ${source.byteLength} bytes, over the limit of ${this.#d.moduleBytes}`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      throw new EdgeError('EDGE_ERR_MODULE_PARSE', 'the module is not valid UTF-8 text');
    }
    const digest = createHash('sha256').update(source).digest('hex');
    let compiled = false;
    if (!this.#d.artifacts.has(digest)) {
      const r = await this.#d.compile({ name, source: text, env: config.env, memoryMb: config.limits.memoryMb ?? this.#d.memoryMb });
      if (!r.ok) throw new EdgeError(r.code, r.message);
      this.#d.artifacts.putJs(digest, { source, script: r.script, cache: r.cache });
      compiled = true;
    }
    return { ...this.record(name, digest, config, rollout), compiled };
  }

  /** A core WebAssembly module on edge-core-v1: checked and compiled on piscina, stored as uploaded. */
  async deployWasm(name: string, bytes: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<RevisionRecord & { compiled: boolean }> {
    assertFunctionName(name);
    if (bytes.byteLength > this.#d.moduleBytes) {
      throw new EdgeError('EDGE_ERR_MODULE_TOO_LARGE', `the module is ${bytes.byteLength} bytes, over the limit of ${this.#d.moduleBytes}`);
    }
    const digest = createHash('sha256').update(bytes).digest('hex');
    let compiled = false;
    let runtime: 'wasm' | 'component' = this.#d.artifacts.hasComponent(digest) ? 'component' : 'wasm';
    if (!this.#d.artifacts.has(digest)) {
      const r = await this.#d.compileWasm({ kind: 'wasm', name, bytes });
      if (!r.ok) throw new EdgeError(r.code, r.message);
      if (r.layer === 'component') {
        this.#d.artifacts.putComponent(digest, bytes, r);
        runtime = 'component';
      } else this.#d.artifacts.putWasm(digest, bytes);
      compiled = true;
    }
    return { ...this.record(name, digest, config, rollout, runtime), compiled };
  }

  /** A new revision of code already stored under `digest` (a configuration change). */
  record(name: string, digest: string, config: RevisionConfig, rollout: RolloutOptions = {}, runtime: 'js' | 'wasm' | 'component' = 'js'): RevisionRecord {
    return this.#d.state.createRevision(name, digest, runtime, config, this.#d.wallNow(), (rev, current, previous) => trafficAfterDeploy(current, previous, rev, rollout));
  }
}
