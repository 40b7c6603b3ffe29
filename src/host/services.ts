/**
 * The host's parts, wired once: state, artifacts, the compile pool (piscina),
 * the executor threads, the registry and the deployer. The API plugins and the
 * CLI use these; nothing here knows about HTTP.
 */
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { EdgeError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { mathRng, type Rng } from '../core/rng.ts';
import { ArtifactStore, StateStore, type RevisionConfig, type RevisionRecord } from '../store/index.ts';
import { Deployer, COMPILE_WORKER_URL, mergeConfigPatch, type CompileJsResult, type CompileJsTask, type RolloutOptions } from '../deploy/index.ts';
import { ExecutorGroup } from '../executor/index.ts';
import { Registry } from '../functions/index.ts';
import { routedRevisions, validateTraffic, type TrafficTarget } from '../router/index.ts';

export interface ServiceOptions {
  clock?: Clock;
  rng?: Rng;
}

export class Services {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly state: StateStore;
  readonly artifacts: ArtifactStore;
  readonly compilePool: Piscina<CompileJsTask, CompileJsResult>;
  readonly executors: ExecutorGroup;
  readonly registry: Registry;
  readonly deployer: Deployer;
  /** Requests in flight per revision, as the gateway sees them. */
  readonly inflight = new Map<string, number>();
  /** The edge port actually bound (differs from config when it is 0). */
  edgePort: number;
  ready = false;

  constructor(config: Config, log: Logger, opts: ServiceOptions = {}) {
    this.config = config;
    this.log = log;
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? mathRng;
    this.edgePort = config.edge.port;
    this.state = new StateStore(config.dataDir);
    this.artifacts = new ArtifactStore(config.dataDir);
    this.compilePool = new Piscina({ filename: COMPILE_WORKER_URL.href, minThreads: 1, maxThreads: config.compileThreads, idleTimeout: 60_000 });
    this.executors = new ExecutorGroup(config.executors, {
      memoryMb: config.limits.memoryMb,
      warmMin: config.pool.warmMin,
      warmMax: config.pool.warmMax,
      hotMax: config.pool.hotMax,
      hotBudgetMb: config.pool.hotBudgetMb,
      idleTtlMs: config.pool.idleTtlMs,
    }, {
      onLog: (m) => log[m.level]({ function: m.fn, revision: m.rev, reqId: m.reqId, console: m.msg }, 'guest console'),
      onExecutorExit: (index, err) => log.error({ executor: index, err }, 'executor thread died; starting a new one'),
    });
    this.registry = new Registry(this.state, this.artifacts, { cpuMs: config.limits.cpuMs, wallMs: config.limits.wallMs, memoryMb: config.limits.memoryMb });
    this.deployer = new Deployer({
      state: this.state,
      artifacts: this.artifacts,
      compile: (task) => this.compilePool.run(task),
      moduleBytes: config.limits.moduleBytes,
      memoryMb: config.limits.memoryMb,
      wallNow: () => Date.now(),
    });
  }

  async start(): Promise<void> {
    await this.executors.ready();
    this.ready = true;
  }

  url(fn: string): string {
    const port = this.edgePort === 80 ? '' : `:${this.edgePort}`;
    return `http://${fn}.${this.config.domain}${port}/`;
  }

  async deployJs(name: string, source: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<RevisionRecord & { compiled: boolean }> {
    const rec = await this.deployer.deployJs(name, source, config, rollout);
    this.#deployed(rec);
    return rec;
  }

  /** A configuration change (env, concurrency, limits) makes a new revision of the same code. */
  patchConfig(name: string, patch: unknown, rollout: RolloutOptions = {}): RevisionRecord {
    this.requireFunction(name);
    const latest = this.state.listRevisions(name).at(-1);
    if (!latest) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `function ${name} has no revision to change`);
    const config = mergeConfigPatch(latest.config, patch);
    const rec = this.deployer.record(name, latest.digest, config, rollout);
    this.#deployed({ ...rec, compiled: false });
    return rec;
  }

  #deployed(rec: RevisionRecord & { compiled: boolean }): void {
    const name = rec.function;
    this.registry.refresh(name);
    // Off the request path: read the artifact now and hand it to the executors, so the
    // revision's first request pays for neither the disk read nor the code transfer.
    const spec = this.registry.spec(rec.name);
    if (spec) this.executors.preload(spec);
    this.log.info({ function: name, revision: rec.name, digest: rec.digest, compiled: rec.compiled, traffic: this.state.getFunction(name)?.traffic }, 'revision created');
  }

  setTraffic(name: string, spec: unknown): TrafficTarget[] {
    const f = this.requireFunction(name);
    const known = new Set(this.state.listRevisions(name).map((r) => r.name));
    const table = validateTraffic(spec, known);
    this.state.setTraffic(f.name, table);
    this.registry.refresh(name);
    this.log.info({ function: name, traffic: table }, 'traffic updated');
    return table;
  }

  deleteFunction(name: string): void {
    this.requireFunction(name);
    const revs = this.state.deleteFunction(name);
    this.registry.remove(name, revs);
    for (const r of revs) {
      this.executors.unload(r.name);
      if (!this.state.isDigestUsed(r.digest)) this.artifacts.remove(r.digest);
    }
    this.log.info({ function: name, revisions: revs.length }, 'function deleted');
  }

  deleteRevision(name: string, rev: string): void {
    this.requireFunction(name);
    const r = this.state.getRevision(rev);
    if (!r || r.function !== name) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `function ${name} has no revision ${rev}`);
    const route = this.registry.route(name);
    if (route && routedRevisions(route.table).has(rev)) {
      throw new EdgeError('EDGE_ERR_REVISION_HAS_TRAFFIC', `revision ${rev} still receives traffic (by percent, tag or as the latest revision); update the traffic table first`);
    }
    this.state.deleteRevision(rev);
    this.registry.forgetRevision(rev);
    this.registry.refresh(name);
    this.executors.unload(rev);
    if (!this.state.isDigestUsed(r.digest)) this.artifacts.remove(r.digest);
    this.log.info({ function: name, revision: rev }, 'revision deleted');
  }

  requireFunction(name: string): { name: string; traffic: TrafficTarget[]; createdAt: number } {
    const f = this.state.getFunction(name);
    if (!f) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(name)}`);
    return f;
  }

  async close(): Promise<void> {
    this.ready = false;
    await this.executors.close();
    await this.compilePool.destroy();
    this.state.close();
  }
}
