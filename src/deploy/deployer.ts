/**
 * Deploys a module as a new immutable revision: validate, transform and build its
 * code cache on the compile pool, store the artifact, then record the revision. The
 * order matters: artifact first, state record last, so a failure or crash at any
 * point leaves the previous state or the complete new one. A refused module stores
 * nothing. A revision whose cron triggers its code cannot serve (no scheduled handler)
 * is refused before its record; the artifact a JS deploy built for it stays (it is valid
 * code, and a concurrent deploy of the same bytes may be using it).
 */
import { createHash } from 'node:crypto';
import { EdgeError } from '../core/errors.ts';
import { isFunctionName } from '../core/ids.ts';
import { componentFiles, isComponent, jsFiles, jsHandlers, wasmFiles, type ArtifactStore, type RevisionConfig, type RevisionRecord, type RuntimeKind, type StateStore } from '../store/index.ts';
import type { CompileJsResult, CompileJsTask, CompileWasmResult, CompileWasmTask } from './compile.worker.ts';
import { trafficAfterDeploy } from '../router/index.ts';

/** How a new revision joins the traffic table (see router/trafficAfterDeploy). */
export interface RolloutOptions {
  noTraffic?: boolean;
  tag?: string;
}

/** The compile pool as the deployer uses it. */
export interface Compiler {
  compileJs(task: CompileJsTask): Promise<CompileJsResult>;
  compileWasm(task: CompileWasmTask): Promise<CompileWasmResult>;
}

export interface DeployerDeps {
  state: StateStore;
  artifacts: ArtifactStore;
  compiler: Compiler;
  moduleBytes: number;
  memoryMb: number;
  /** Wall-clock time for createdAt (Unix ms). */
  wallNow: () => number;
}

export type Deployed = RevisionRecord & { compiled: boolean };

export function assertFunctionName(name: string): void {
  if (!isFunctionName(name)) {
    throw new EdgeError('EDGE_ERR_INVALID_NAME', `function name ${JSON.stringify(name)} must match ^[a-z][a-z0-9-]{0,62}$`);
  }
}

/** Refuses a config with cron triggers for code without a scheduled handler (`runtime`: which kind of code that is). */
function checkNoCrons(config: RevisionConfig, runtime: RuntimeKind): void {
  const crons = config.triggers?.crons ?? [];
  if (crons.length === 0) return;
  const which = `the revision's cron triggers (${crons.map((c) => JSON.stringify(c)).join(', ')})`;
  throw new EdgeError('EDGE_ERR_MODULE_NO_SCHEDULED', runtime === 'js'
    ? `${which} need a scheduled handler, and the module has none: export scheduled(controller, env, ctx) next to fetch in its default export, or remove triggers.crons`
    : `${which} need a scheduled handler, and ${runtime === 'wasm' ? 'WebAssembly modules and components have' : 'components have'} none: deploy a JS module that exports scheduled(controller, env, ctx) next to fetch, or remove triggers.crons`);
}

export class Deployer {
  readonly #d: DeployerDeps;
  /** Artifacts being built, by digest: concurrent deploys of the same bytes compile and store once. */
  readonly #building = new Map<string, Promise<{ compiled: boolean; runtime: RuntimeKind }>>();

  constructor(deps: DeployerDeps) {
    this.#d = deps;
  }

  #checkSize(bytes: Uint8Array): void {
    if (bytes.byteLength > this.#d.moduleBytes) {
      throw new EdgeError('EDGE_ERR_MODULE_TOO_LARGE', `the module is ${bytes.byteLength} bytes, over the limit of ${this.#d.moduleBytes}`);
    }
  }

  async deployJs(name: string, source: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<Deployed> {
    assertFunctionName(name);
    if (source.byteLength === 0) throw new EdgeError('EDGE_ERR_MODULE_PARSE', 'the module is empty');
    this.#checkSize(source);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      throw new EdgeError('EDGE_ERR_MODULE_PARSE', 'the module is not valid UTF-8 text');
    }
    const digest = createHash('sha256').update(source).digest('hex');
    const { compiled } = await this.#artifact(digest, async () => {
      const r = await this.#d.compiler.compileJs({ name, source: text, env: config.env, memoryMb: config.limits.memoryMb ?? this.#d.memoryMb });
      if (!r.ok) throw new EdgeError(r.code, r.message);
      await this.#d.artifacts.put(digest, jsFiles({ source, script: r.script, cache: r.cache, scheduled: r.scheduled }));
      return 'js';
    }, async () => 'js');
    return { ...(await this.record(name, digest, config, rollout)), compiled };
  }

  /** A core WebAssembly module on edge-core-v1, or a component: checked and compiled on the pool. */
  async deployWasm(name: string, bytes: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<Deployed> {
    assertFunctionName(name);
    this.#checkSize(bytes);
    // Neither Wasm tier has a scheduled handler: refused before anything is compiled or stored.
    checkNoCrons(config, 'wasm');
    const digest = createHash('sha256').update(bytes).digest('hex');
    const { compiled, runtime } = await this.#artifact(digest, async () => {
      const r = await this.#d.compiler.compileWasm({ kind: 'wasm', name, bytes });
      if (!r.ok) throw new EdgeError(r.code, r.message);
      await this.#d.artifacts.put(digest, r.layer === 'component' ? componentFiles(bytes, r) : wasmFiles(bytes));
      return r.layer === 'component' ? 'component' : 'wasm';
    }, async () => ((await isComponent(this.#d.artifacts, digest)) ? 'component' : 'wasm'));
    return { ...(await this.record(name, digest, config, rollout, runtime)), compiled };
  }

  /**
   * The stored artifact of a digest: built by `build` unless it is stored already (then `stored`
   * says its runtime) or being built by a concurrent deploy of the same bytes (then that build is
   * awaited). `compiled` is true for the deploy that built it.
   */
  async #artifact(digest: string, build: () => Promise<RuntimeKind>, stored: () => Promise<RuntimeKind>): Promise<{ compiled: boolean; runtime: RuntimeKind }> {
    const pending = this.#building.get(digest);
    if (pending) return { compiled: false, runtime: (await pending).runtime };
    // Registered before the first await, so the first deploy of these bytes is the one that builds
    // them, whatever order the artifact store answers has() in (it was a race, and CI lost it once).
    const p = (async () => {
      if (await this.#d.artifacts.has(digest)) return { compiled: false, runtime: await stored() };
      return { compiled: true, runtime: await build() };
    })().finally(() => this.#building.delete(digest));
    this.#building.set(digest, p);
    return p;
  }

  /**
   * A new revision of code already stored under `digest` (a configuration change, and the last step
   * of every deploy). Refused with EDGE_ERR_MODULE_NO_SCHEDULED, recording nothing, when the config
   * has cron triggers the code cannot serve: a Wasm or component revision, or a JS module whose stored
   * handlers.json says it has no scheduled handler (one stored before that file existed is allowed).
   */
  async record(name: string, digest: string, config: RevisionConfig, rollout: RolloutOptions = {}, runtime: RuntimeKind = 'js'): Promise<RevisionRecord> {
    if (config.triggers?.crons.length) {
      if (runtime !== 'js') checkNoCrons(config, runtime);
      else if ((await jsHandlers(this.#d.artifacts, digest))?.scheduled === false) checkNoCrons(config, 'js');
    }
    const { revision } = await this.#d.state.createRevision({
      function: name, digest, runtime, config, createdAt: this.#d.wallNow(),
      traffic: (rev, current, previous) => trafficAfterDeploy(current, previous, rev, rollout),
    });
    return revision;
  }
}
