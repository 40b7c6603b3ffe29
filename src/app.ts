/**
 * The composition root: builds every part of a host once and hands each only what it
 * uses. Stores (SQLite, artifact directory) ← control plane (deploys, traffic) writes
 * them; the catalog follows the store's change feed and drives the data plane
 * (executors, autoscaler); the dispatcher serves requests; the edge and admin
 * listeners are fastify plugins over those. main.ts runs one host; tests build one and
 * call `admin.inject()` / `edge.inject()` or listen on port 0.
 */
import { cpus } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { hostMaximums, revisionDefaults, type Config } from './config/index.ts';
import { systemClock, systemScheduler, type Clock, type Scheduler } from './core/clock.ts';
import { mathRng, type Rng } from './core/rng.ts';
import { buildAdmin } from './api/admin/index.ts';
import { buildEdge, type EdgeListener } from './api/edge/index.ts';
import { AsyncHost, type AsyncService, type FunctionTriggers } from './async/index.ts';
import { Catalog } from './catalog/index.ts';
import { ControlPlane, type FunctionService } from './control/index.ts';
import { CompilePool } from './deploy/index.ts';
import { Dispatcher, observeDispatch } from './dispatch/index.ts';
import { ExecutorGroup } from './executor/index.ts';
import { LogHub } from './logging/index.ts';
import { ScalingManager } from './activator/index.ts';
import { hostStatus, revisionStatus } from './status/index.ts';
import { componentAbi, type StateStore, type NatsLink } from './store/index.ts';
import { openStores } from './cluster/stores.ts';
import type { NodeReport } from './cluster/nodes.ts';
import { allowlist, notToPorts } from './runtime/outbound.ts';
import { createHostMetrics } from './telemetry/index.ts';
import type { RevisionSpec } from './runtime/types.ts';

/** The boundaries tests replace: time, timers and randomness. */
export interface HostOptions {
  clock?: Clock;
  scheduler?: Scheduler;
  rng?: Rng;
  /** Unix ms, for async invocation records and cron ticks. */
  wallNow?: () => number;
  /** An open NATS connection for `store.kind: nats` (main.ts opens it first, to say on /readyz that it waits). */
  natsLink?: NatsLink;
  /** Told while the store cannot be opened yet (JetStream electing its leaders): main.ts says so on /readyz. */
  onStoreWaiting?: (why: string) => void;
}

export interface Isoedge {
  /** The control plane (deploy, traffic, delete): what the admin API calls. */
  functions: FunctionService;
  /** The data plane's entry point. */
  dispatcher: Dispatcher;
  executors: ExecutorGroup;
  /** Async invocations (submit, read, cancel, replay). */
  invocations: AsyncService;
  /** The async queue worker, cron scheduler and callbacks. */
  async: AsyncHost;
  admin: FastifyInstance;
  edge: EdgeListener;
  /** A function's URL on the edge (with the bound port once listening). */
  url(fn: string): string;
  /** Binds both listeners; returns the bound addresses. */
  listen(): Promise<{ edge: string; admin: string; edgePort: number; adminPort: number }>;
  close(): Promise<void>;
}

export async function createIsoedge(config: Config, log: Logger, opts: HostOptions = {}): Promise<Isoedge> {
  const clock = opts.clock ?? systemClock;
  const scheduler = opts.scheduler ?? systemScheduler;
  const rng = opts.rng ?? mathRng;
  const wallNow = opts.wallNow ?? Date.now;
  const l = config.limits;
  const life = { ready: false, closing: false, edgePort: config.edge.port, adminPort: config.admin.port, inflight: 0, startedAt: Date.now() };
  const url = (fn: string): string => `http://${fn}.${config.domain}${life.edgePort === 80 ? '' : `:${life.edgePort}`}/`;

  const stores = await openStores(config, log, { link: opts.natsLink, onWaiting: opts.onStoreWaiting, wallNow });
  const { state, artifacts, invocations } = stores;
  const compiler = new CompilePool(config.compileThreads);
  const logs = new LogHub(config.logs.linesPerFunction, config.logs.maxLines);

  // The data plane: executors own instances; the scaler decides how many; the catalog says what exists.
  // (Callbacks below name parts made further down; none runs before they exist.)
  const executors = new ExecutorGroup(config.executors.min, {
    memoryMb: l.memoryMb, warmMin: config.pool.warmMin, warmMax: config.pool.warmMax, hotMax: config.pool.hotMax,
    hotBudgetMb: config.pool.hotBudgetMb, idleTtlMs: config.pool.idleTtlMs, wasmMaxBytes: l.wasmMemoryPages * 65536,
    wasmCacheMb: config.pool.wasmCacheMb, cacheMaxBytes: config.cache.maxBytes, fetch: config.fetch,
  }, {
    onLog: (m) => {
      log[m.level]({ function: m.fn, revision: m.rev, reqId: m.reqId, console: m.msg }, 'guest console');
      if (m.fn) logs.push({ time: new Date().toISOString(), level: m.level, source: 'guest', function: m.fn, revision: m.rev, reqId: m.reqId, msg: m.msg });
    },
    onExecutorExit: (index, err) => log.error({ executor: index, err }, 'executor thread died; starting a new one'),
    onCache: (m) => { for (const [fn, result, n] of m.counts) metrics.cacheRequests.inc({ function: fn, result }, n); },
    onReady: (rev, total, m) => {
      scaling.setReady(rev, total);
      if (m.tier) metrics.startSeconds.observe({ tier: m.tier, source: 'autoscaler' }, (m.startMs ?? 0) / 1000);
    },
  });
  const metrics = createHostMetrics({
    revisions: () => scaling.revisions(),
    threads: () => ({ desired: scaling.threadsDesired, running: executors.size, panic: scaling.threadsPanic }),
    functionCount: () => catalog.functionCount,
    cacheBytes: () => executors.cacheBytes(),
  });
  const maxThreads = config.executors.max === 0 ? Math.max(config.executors.min, cpus().length) : config.executors.max;
  const scaling = new ScalingManager(config.autoscaler, { min: config.executors.min, max: maxThreads, targetConcurrency: config.executors.targetConcurrency }, clock, {
    realize: (rev, desired) => {
      const spec = catalog.specNow(rev);
      if (spec) executors.scale(spec, desired);
      else void catalog.spec(rev).then((s) => { if (s) executors.scale(s, desired); }, () => {});
    },
    resizeThreads: (n) => executors.resize(n),
  }, {
    decision: (rev, d, before) => {
      metrics.scaleEvents.inc({ revision: rev, direction: d.desired > before ? 'up' : d.desired < before ? 'down' : 'hold' });
      log.info({ revision: rev, from: before, to: d.desired, ready: d.ready, stable: d.stable, panic: d.panic, panicMode: d.panicMode, excessBurstCapacity: d.excessBurstCapacity, reason: d.reason }, 'autoscaler decision');
    },
    threads: (d) => log.info({ threads: d.desired, observedConcurrency: d.observed, panicMode: d.panic }, 'executor threads scaled'),
  }, scheduler);

  // A revision the catalog learns of is handed to the executors ahead of its first request.
  const served = new Set<string>();
  const serve = (spec: RevisionSpec): void => {
    if (served.has(spec.id)) return;
    served.add(spec.id);
    executors.preload(spec);
    scaling.deployed(spec.id, spec.concurrency, spec.scaling);
  };
  const catalog = new Catalog(artifacts, revisionDefaults(config), {
    revisionReady: serve,
    revisionRemoved: (rev) => {
      served.delete(rev);
      scaling.remove(rev);
      executors.unload(rev);
    },
    functionRemoved: (fn) => {
      logs.forget(fn);
      executors.forgetFunction(fn);
    },
    loadFailed: (rev, err) => log.error({ revision: rev, err }, 'revision artifact could not be read'),
  });

  const dispatcher = new Dispatcher({
    routes: catalog,
    admission: {
      admit: (spec, signal) => scaling.scaler(spec.id, spec.concurrency, spec.scaling).admit(() => clock.now(), signal),
      started: () => { life.inflight++; scaling.requestStarted(); },
      ended: () => { life.inflight--; scaling.requestEnded(); },
    },
    executors,
    clock,
    rng,
    hooks: observeDispatch(metrics, logs, log.child({ listener: 'edge' })),
  });

  // Async calls and cron ticks run through the same dispatcher as edge requests.
  const asyncHost = new AsyncHost({
    store: invocations, config: config.async, domain: config.domain, wallNow, scheduler, rng, registry: metrics.registry, log: log.child({ component: 'async' }),
    dispatch: (target, request, signal) => dispatcher.dispatch(target, request, signal),
    hasFunction: (fn) => catalog.route(fn) !== undefined,
    functions: async () => {
      const out = new Map<string, FunctionTriggers>();
      for (const f of await state.listFunctions()) {
        const t = await triggersOf(state, f.latestRevision);
        if (t) out.set(f.name, t);
      }
      return out;
    },
    // X-Callback-Url: the allowlist, and never this host's own listeners (an anonymous edge client's
    // callback must not reach the admin API, a replay or a deploy, or loop back into the edge).
    outboundDenied: notToPorts(allowlist(config.fetch.allow), () => [life.edgePort, life.adminPort]), callbackTimeoutMs: config.fetch.timeoutMs,
  });
  const unwatchTriggers = state.watch((c) => {
    if (c.kind !== 'function') return;
    if (!c.function) asyncHost.functionDeleted(c.name);
    else void triggersOf(state, c.function.latestRevision).then((t) => asyncHost.setFunction(c.name, t), () => {});
  });

  const functions = new ControlPlane({
    state, artifacts, compiler, log,
    moduleBytes: l.moduleBytes, memoryMb: l.memoryMb,
    maximums: hostMaximums(config),
    served: async (rev) => {
      const spec = await catalog.spec(rev);
      if (spec) serve(spec);
    },
  });

  let admin: FastifyInstance | undefined;
  let edge: EdgeListener | undefined;
  let closed = false;
  let started = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    life.closing = true;
    life.ready = false;
    // Stop accepting first; in-flight requests and running async calls finish (the calls within
    // async.drainMs, the rest stay queued) before the executors go.
    unwatchTriggers();
    unwatchApplied();
    await nodes?.close();
    await Promise.all([edge?.close(), admin?.close(), started ? asyncHost.stop(config.async.drainMs) : undefined]);
    scaling.close();
    catalog.close();
    await executors.close();
    await compiler.close();
    await stores.close();
  };
  const report = (): NodeReport => ({
    id: stores.nodeId, name: config.node.name || stores.nodeId, startedAt: life.startedAt, at: Date.now(), applied: state.applied,
    functions: catalog.functionCount, executors: executors.size, inflight: life.inflight, rssBytes: process.memoryUsage.rss(),
    edge: `http://${config.edge.host}:${life.edgePort}`, admin: `http://${config.admin.host}:${life.adminPort}`,
    store: stores.kind, storeConnected: stores.connected(),
  });
  let nodes: Awaited<ReturnType<typeof stores.nodes>> | undefined;
  let unwatchApplied = (): void => {};
  try {
    await catalog.follow(state);
    nodes = await stores.nodes(report);
    const registry = nodes;
    // Watched after the catalog, so a `wait=ready` probe is answered once the route tables have the change.
    unwatchApplied = state.watch(() => registry.applied?.(state.applied));
    admin = await buildAdmin({
      log,
      token: config.admin.token,
      functions: {
        functions, url, moduleBytes: l.moduleBytes,
        componentAbi: (digest) => componentAbi(artifacts, digest),
        revisionStatus: (rev, routed) => revisionStatus(scaling.get(rev), executors.readyCount(rev), routed, clock, Date.now()),
        waitReady: (timeoutMs) => registry.ready(state.applied, timeoutMs),
      },
      health: {
        // A host whose invocation store thread died cannot take async calls: a load balancer should know
        // (a cluster node that lost NATS stays ready: it serves what it applied; cluster/stores.ts).
        notReady: () => (life.ready ? stores.trouble() : 'starting'),
        nodes: registry,
        functionCount: () => catalog.functionCount,
        metrics,
        status: async () => hostStatus(catalog.functionCount, await executors.stats(), { desired: scaling.threadsDesired, running: executors.size, panicMode: scaling.threadsPanic }),
      },
      logs: { logs, linesPerFunction: config.logs.linesPerFunction, requireFunction: (name) => functions.getFunction(name) },
      invocations: { invocations: asyncHost.service, requireFunction: (name) => functions.getFunction(name) },
    });
    edge = buildEdge({
      log,
      domain: config.domain,
      dispatch: (target, request, signal) => dispatcher.dispatch(target, request, signal),
      routes: {
        hasFunction: (fn) => catalog.route(fn) !== undefined,
        hasTag: (fn, tag) => catalog.route(fn)?.table.tags.has(tag) ?? false,
      },
      closing: () => life.closing,
      async: asyncHost.service,
    });
    await executors.ready();
    await asyncHost.start();
    started = true;
    life.ready = true;
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
  const adminApp = admin;
  const edgeApp = edge;
  return {
    functions,
    dispatcher,
    executors,
    invocations: asyncHost.service,
    async: asyncHost,
    admin: adminApp,
    edge: edgeApp,
    url,
    async listen() {
      // `--processes N`: every process binds the same ports and the kernel spreads connections.
      const reusePort = config.processes > 1;
      const edgeAddr = await edgeApp.listen({ host: config.edge.host, port: config.edge.port, reusePort });
      life.edgePort = (edgeApp.server.address() as { port: number }).port;
      // fastify hands its listen options to net.Server.listen, which takes reusePort; its types do not name it.
      const adminOpts: { host: string; port: number; reusePort?: boolean } = { host: config.admin.host, port: config.admin.port, reusePort };
      const adminAddr = await adminApp.listen(adminOpts);
      const adminPort = (adminApp.server.address() as { port: number }).port;
      life.adminPort = adminPort;
      return { edge: edgeAddr, admin: adminAddr, edgePort: life.edgePort, adminPort };
    },
    close,
  };
}

/** A function's cron triggers and async settings, from its latest revision; undefined when it has neither. */
async function triggersOf(state: StateStore, latest: string | undefined): Promise<FunctionTriggers | undefined> {
  if (latest === undefined) return undefined;
  const r = await state.getRevision(latest);
  const crons = r?.config.triggers?.crons ?? [];
  const a = r?.config.async;
  return crons.length > 0 || a ? { revision: latest, crons, ...(a ? { async: a } : {}) } : undefined;
}
