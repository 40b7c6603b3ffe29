/**
 * The host's parts, wired once: state, artifacts, the compile pool (piscina),
 * the executor threads, the registry and the deployer. The API plugins and the
 * CLI use these; nothing here knows about HTTP.
 */
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { hostMaximums, revisionDefaults, type Config } from '../config/index.ts';
import { EdgeError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { mathRng, type Rng } from '../core/rng.ts';
import { ArtifactStore, StateStore, type RevisionConfig, type RevisionRecord } from '../store/index.ts';
import { Deployer, COMPILE_WORKER_URL, mergeConfigPatch, checkHostMaximums, type CompileJsResult, type CompileJsTask, type CompileWasmResult, type CompileWasmTask, type CollectTask, type RolloutOptions } from '../deploy/index.ts';
import { ExecutorGroup } from '../executor/index.ts';
import { Registry } from '../functions/index.ts';
import { routedRevisions, validateTraffic, type TrafficTarget } from '../router/index.ts';
import { ScalingManager, type RevisionScaler } from '../scaling/index.ts';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry } from '../telemetry/index.ts';
import { LogHub } from '../logs/index.ts';
import { cpus } from 'node:os';

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
  readonly compilePool: Piscina<CompileJsTask | CompileWasmTask | CollectTask, CompileJsResult | CompileWasmResult | { ok: true }>;
  readonly executors: ExecutorGroup;
  readonly registry: Registry;
  readonly deployer: Deployer;
  readonly scaling: ScalingManager;
  /** Recent and live logs per function (guest console and request lines), for `isoedge logs`. */
  readonly logs: LogHub;
  readonly metrics = new MetricsRegistry();
  readonly requestsTotal = this.metrics.add(new Counter('isoedge_requests_total', 'Edge requests by function, revision and outcome code.'));
  readonly startSeconds = this.metrics.add(new Histogram('isoedge_instance_start_seconds', 'Instance start latency by tier (hot = taken from the hot set, warm = pre-warmed isolate specialised, cold = new isolate).', [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1]));
  readonly queueSeconds = this.metrics.add(new Histogram('isoedge_queue_seconds', 'Time requests waited in the activator or a revision queue.', [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]));
  readonly scaleEvents = this.metrics.add(new Counter('isoedge_autoscaler_decisions_total', 'Autoscaler decisions that changed a desired count.'));
  /** The edge port actually bound (differs from config when it is 0). */
  edgePort: number;
  ready = false;
  /** Set when shutdown starts: listeners refuse new requests while in-flight ones finish. */
  closing = false;

  constructor(config: Config, log: Logger, opts: ServiceOptions = {}) {
    this.config = config;
    this.log = log;
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? mathRng;
    this.logs = new LogHub(config.logs.linesPerFunction, config.logs.maxLines);
    this.edgePort = config.edge.port;
    this.state = new StateStore(config.dataDir);
    this.artifacts = new ArtifactStore(config.dataDir);
    // atomics 'disabled': an idle compile thread waits in its event loop, not in Atomics.wait, so the
    // timer that finalises its isolated-vm handles once idle can run (compile.worker.ts).
    this.compilePool = new Piscina({ filename: COMPILE_WORKER_URL.href, minThreads: 1, maxThreads: config.compileThreads, idleTimeout: 60_000, atomics: 'disabled' });
    const maxThreads = config.executors.max === 0 ? Math.max(config.executors.min, cpus().length) : config.executors.max;
    this.executors = new ExecutorGroup(config.executors.min, {
      memoryMb: config.limits.memoryMb,
      warmMin: config.pool.warmMin,
      warmMax: config.pool.warmMax,
      hotMax: config.pool.hotMax,
      hotBudgetMb: config.pool.hotBudgetMb,
      idleTtlMs: config.pool.idleTtlMs,
      wasmMaxBytes: config.limits.wasmMemoryPages * 65536,
      wasmCacheMb: config.pool.wasmCacheMb,
      fetch: config.fetch,
    }, {
      onLog: (m) => {
        log[m.level]({ function: m.fn, revision: m.rev, reqId: m.reqId, console: m.msg }, 'guest console');
        if (m.fn) this.logs.push({ time: new Date().toISOString(), level: m.level, source: 'guest', function: m.fn, revision: m.rev, reqId: m.reqId, msg: m.msg });
      },
      onExecutorExit: (index, err) => log.error({ executor: index, err }, 'executor thread died; starting a new one'),
      onReady: (rev, total, m) => {
        this.scaling.setReady(rev, total);
        if (m.tier) this.startSeconds.observe({ tier: m.tier, source: 'autoscaler' }, (m.startMs ?? 0) / 1000);
      },
    });
    this.scaling = new ScalingManager(config.autoscaler, { min: config.executors.min, max: maxThreads, targetConcurrency: config.executors.targetConcurrency }, this.clock, {
      realize: (rev, desired) => {
        const spec = this.registry.spec(rev);
        if (spec) this.executors.scale(spec, desired);
      },
      resizeThreads: (n) => this.executors.resize(n),
    }, {
      decision: (rev, d, before) => {
        this.scaleEvents.inc({ revision: rev, direction: d.desired > before ? 'up' : d.desired < before ? 'down' : 'hold' });
        log.info({ revision: rev, from: before, to: d.desired, ready: d.ready, stable: d.stable, panic: d.panic, panicMode: d.panicMode, excessBurstCapacity: d.excessBurstCapacity, reason: d.reason }, 'autoscaler decision');
      },
      threads: (d) => log.info({ threads: d.desired, observedConcurrency: d.observed, panicMode: d.panic }, 'executor threads scaled'),
    });
    this.#registerGauges();
    this.registry = new Registry(this.state, this.artifacts, revisionDefaults(config));
    this.deployer = new Deployer({
      state: this.state,
      artifacts: this.artifacts,
      compile: (task) => this.#compile(task) as Promise<CompileJsResult>,
      compileWasm: (task) => this.#compile(task) as Promise<CompileWasmResult>,
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

  /** The host's maximums for per-revision limits (limits.max*). */
  #maximums() {
    return hostMaximums(this.config);
  }

  async deployJs(name: string, source: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<RevisionRecord & { compiled: boolean }> {
    checkHostMaximums(config.limits, this.#maximums());
    const rec = await this.deployer.deployJs(name, source, config, rollout);
    this.#deployed(rec);
    return rec;
  }

  async deployWasm(name: string, bytes: Uint8Array, config: RevisionConfig, rollout: RolloutOptions = {}): Promise<RevisionRecord & { compiled: boolean }> {
    checkHostMaximums(config.limits, this.#maximums());
    const rec = await this.deployer.deployWasm(name, bytes, config, rollout);
    this.#deployed(rec);
    return rec;
  }

  /** A configuration change (env, concurrency, limits) makes a new revision of the same code. */
  patchConfig(name: string, patch: unknown, rollout: RolloutOptions = {}): RevisionRecord {
    this.requireFunction(name);
    const latest = this.state.listRevisions(name).at(-1);
    if (!latest) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `function ${name} has no revision to change`);
    const config = mergeConfigPatch(latest.config, patch);
    checkHostMaximums(config.limits, this.#maximums());
    const rec = this.deployer.record(name, latest.digest, config, rollout, latest.runtime);
    this.#deployed({ ...rec, compiled: false });
    return rec;
  }

  #deployed(rec: RevisionRecord & { compiled: boolean }): void {
    const name = rec.function;
    this.registry.refresh(name);
    // Off the request path: read the artifact now and hand it to the executors, so the
    // revision's first request pays for neither the disk read nor the code transfer.
    const spec = this.registry.spec(rec.name);
    if (spec) {
      this.executors.preload(spec);
      this.scaling.deployed(rec.name, spec.concurrency, spec.scaling);
    }
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
    this.logs.forget(name);
    for (const r of revs) {
      this.scaling.remove(r.name);
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
    this.scaling.remove(rev);
    this.executors.unload(rev);
    if (!this.state.isDigestUsed(r.digest)) this.artifacts.remove(r.digest);
    this.log.info({ function: name, revision: rev }, 'revision deleted');
  }

  requireFunction(name: string): { name: string; traffic: TrafficTarget[]; createdAt: number } {
    const f = this.state.getFunction(name);
    if (!f) throw new EdgeError('EDGE_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(name)}`);
    return f;
  }

  #registerGauges(): void {
    const per = (f: (s: RevisionScaler) => number) => () =>
      [...this.scaling.revisions()].map(([rev, s]) => [{ revision: rev }, f(s)] as [Record<string, string>, number]);
    this.metrics.add(new Gauge('isoedge_revision_desired_instances', 'Instances the autoscaler wants per revision.', per((s) => s.desired)));
    this.metrics.add(new Gauge('isoedge_revision_ready_instances', 'Live instances per revision, as the executors report.', per((s) => s.ready)));
    this.metrics.add(new Gauge('isoedge_revision_inflight_requests', 'Requests in flight per revision.', per((s) => s.inflight)));
    this.metrics.add(new Gauge('isoedge_revision_queued_requests', 'Requests waiting per revision (activator or queue).', per((s) => s.queued)));
    this.metrics.add(new Gauge('isoedge_revision_panic_mode', '1 while the revision autoscaler is in panic mode.', per((s) => (s.panicMode ? 1 : 0))));
    this.metrics.add(new Gauge('isoedge_revision_excess_burst_capacity', 'Excess burst capacity; negative keeps the activator in the path.', per((s) => s.excessBurstCapacity)));
    this.metrics.add(new Gauge('isoedge_executor_threads', 'Executor threads: desired by the thread autoscaler, and running.', () => [[{ state: 'desired' }, this.scaling.threadsDesired], [{ state: 'running' }, this.executors.size]]));
    this.metrics.add(new Gauge('isoedge_executor_threads_panic_mode', '1 while the thread autoscaler is in panic mode.', () => [[{}, this.scaling.threadsPanic ? 1 : 0]]));
    this.metrics.add(new Gauge('isoedge_functions', 'Deployed functions.', () => [[{}, this.registry.functionCount]]));
    this.metrics.add(new Gauge('process_resident_memory_bytes', 'Resident memory of the host process.', () => [[{}, process.memoryUsage().rss]]));
  }

  /** Whether any compile task ran: only then can a compile thread hold isolated-vm handles. */
  #compiled = false;

  readonly #compiling = new Set<Promise<unknown>>();

  #compile(task: CompileJsTask | CompileWasmTask): Promise<CompileJsResult | CompileWasmResult> {
    if (this.closing) return Promise.reject(new EdgeError('EDGE_ERR_SHUTTING_DOWN', 'the host is shutting down; deploy again once it is back'));
    const p = (this.compilePool.run(task) as Promise<CompileJsResult | CompileWasmResult>).finally(() => {
      this.#compiling.delete(p);
      this.#compiled = true;
    });
    this.#compiling.add(p);
    return p;
  }

  async close(): Promise<void> {
    this.ready = false;
    this.scaling.close();
    await this.executors.close();
    // A compile thread finalises its isolated-vm handles once idle (compile.worker.ts); ending it
    // before that could abort the process. So: no new compiles, wait for those in flight, then one
    // collect task per thread (each thread takes one: they are all idle and run one task at a time).
    this.closing = true;
    await Promise.allSettled([...this.#compiling]);
    if (this.#compiled) await Promise.allSettled(this.compilePool.threads.map(() => this.compilePool.run({ kind: 'collect' })));
    await this.compilePool.destroy();
    this.state.close();
  }
}
