/**
 * The control plane: deploy, change config, set traffic, delete, list and read.
 * It writes the state store and the artifact store and nothing else; the data plane
 * (catalog, executors, autoscaler) follows the store's change feed, so a change made
 * here and one made by another node reach it the same way.
 */
import type { Logger } from 'pino';
import { EdgeError } from '../core/errors.ts';
import { Deployer, checkHostMaximums, mergeConfigPatch, type Compiler, type Deployed, type LimitName, type RolloutOptions } from '../deploy/index.ts';
import { buildRouteTable, routedRevisions, validateTraffic, type TrafficTarget } from '../router/index.ts';
import type { ArtifactStore, FunctionRecord, RevisionConfig, RevisionRecord, StateStore } from '../store/index.ts';

/** What the admin API, the CLI's examples loader and tests call. */
export interface FunctionService {
  deploy(name: string, module: { bytes: Uint8Array; kind: 'js' | 'wasm' }, config: RevisionConfig, rollout?: RolloutOptions): Promise<Deployed>;
  /** A configuration change (env, concurrency, limits) makes a new revision of the same code. */
  patchConfig(name: string, patch: unknown, rollout?: RolloutOptions): Promise<RevisionRecord>;
  listFunctions(): Promise<FunctionRecord[]>;
  /** Throws EDGE_ERR_FUNCTION_NOT_FOUND. */
  getFunction(name: string): Promise<FunctionRecord>;
  listRevisions(name: string): Promise<RevisionRecord[]>;
  setTraffic(name: string, spec: unknown): Promise<TrafficTarget[]>;
  deleteFunction(name: string): Promise<void>;
  deleteRevision(name: string, rev: string): Promise<void>;
}

export interface ControlPlaneDeps {
  state: StateStore;
  artifacts: ArtifactStore;
  compiler: Compiler;
  log: Logger;
  /** Host limits: the module size, the default heap, the maximums a revision may set. */
  moduleBytes: number;
  memoryMb: number;
  maximums: Record<LimitName, number>;
  /** Resolves once this node's data plane serves the revision (its spec loaded and handed to executors). */
  served?: (rev: string) => Promise<void>;
  wallNow?: () => number;
}

export class ControlPlane implements FunctionService {
  readonly #d: ControlPlaneDeps;
  readonly #deployer: Deployer;

  constructor(deps: ControlPlaneDeps) {
    this.#d = deps;
    this.#deployer = new Deployer({
      state: deps.state, artifacts: deps.artifacts, compiler: deps.compiler,
      moduleBytes: deps.moduleBytes, memoryMb: deps.memoryMb, wallNow: deps.wallNow ?? Date.now,
    });
  }

  async deploy(name: string, module: { bytes: Uint8Array; kind: 'js' | 'wasm' }, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<Deployed> {
    checkHostMaximums(config.limits, this.#d.maximums);
    const rec = module.kind === 'wasm'
      ? await this.#deployer.deployWasm(name, module.bytes, config, rollout)
      : await this.#deployer.deployJs(name, module.bytes, config, rollout);
    await this.#created(rec);
    return rec;
  }

  async patchConfig(name: string, patch: unknown, rollout: RolloutOptions = {}): Promise<RevisionRecord> {
    const f = await this.getFunction(name);
    const latest = f.latestRevision === undefined ? undefined : await this.#d.state.getRevision(f.latestRevision);
    if (!latest) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `function ${name} has no revision to change`);
    const config = mergeConfigPatch(latest.config, patch);
    checkHostMaximums(config.limits, this.#d.maximums);
    const rec = await this.#deployer.record(name, latest.digest, config, rollout, latest.runtime);
    await this.#created({ ...rec, compiled: false });
    return rec;
  }

  async #created(rec: Deployed): Promise<void> {
    // Like Knative's Ready condition: the call returns once this node serves the revision,
    // so its first request pays for neither the artifact read nor the code transfer.
    await this.#d.served?.(rec.name);
    const f = await this.#d.state.getFunction(rec.function);
    this.#d.log.info({ function: rec.function, revision: rec.name, digest: rec.digest, compiled: rec.compiled, traffic: f?.traffic }, 'revision created');
  }

  listFunctions(): Promise<FunctionRecord[]> {
    return this.#d.state.listFunctions();
  }

  async getFunction(name: string): Promise<FunctionRecord> {
    const f = await this.#d.state.getFunction(name);
    if (!f) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(name)}`);
    return f;
  }

  async listRevisions(name: string): Promise<RevisionRecord[]> {
    await this.getFunction(name);
    return this.#d.state.listRevisions(name);
  }

  async setTraffic(name: string, spec: unknown): Promise<TrafficTarget[]> {
    const f = await this.getFunction(name);
    const known = new Set((await this.#d.state.listRevisions(name)).map((r) => r.name));
    const table = validateTraffic(spec, known);
    // Compare-and-set on what was validated: a revision deleted meanwhile cannot slip in.
    await this.#d.state.setTraffic(name, table, f.generation);
    this.#d.log.info({ function: name, traffic: table }, 'traffic updated');
    return table;
  }

  async deleteFunction(name: string): Promise<void> {
    await this.getFunction(name);
    const revs = await this.#d.state.deleteFunction(name);
    for (const d of new Set(revs.map((r) => r.digest))) await this.#collect(d);
    this.#d.log.info({ function: name, revisions: revs.length }, 'function deleted');
  }

  async deleteRevision(name: string, rev: string): Promise<void> {
    const f = await this.getFunction(name);
    const r = await this.#d.state.getRevision(rev);
    if (!r || r.function !== name) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `function ${name} has no revision ${rev}`);
    if (routedRevisions(buildRouteTable(f.traffic, f.latestRevision)).has(rev)) {
      throw new EdgeError('EDGE_ERR_REVISION_HAS_TRAFFIC', `revision ${rev} still receives traffic (by percent, tag or as the latest revision); update the traffic table first`);
    }
    await this.#d.state.deleteRevision(rev, f.generation);
    await this.#collect(r.digest);
    this.#d.log.info({ function: name, revision: rev }, 'revision deleted');
  }

  /** An artifact no revision refers to any more is removed. */
  async #collect(digest: string): Promise<void> {
    if (!(await this.#d.state.isDigestUsed(digest))) await this.#d.artifacts.remove(digest);
  }
}
