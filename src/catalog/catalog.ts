/**
 * The gateway's in-memory view of what is deployed, kept by following the state
 * store's change feed (never refreshed by hand): a resolved route table per function
 * and the executable spec of each revision. Route tables are replaced whole (one
 * reference swap), so a request sees the old table or the new one, never half of each.
 * Nothing here reads storage on the request path: specs are loaded when a revision
 * appears (or, at the latest, on its first request, asynchronously).
 */
import type { ArtifactStore, FunctionRecord, RevisionRecord, StateChange, StateStore } from '../store/index.ts';
import { loadCode } from '../store/index.ts';
import { buildRouteTable, type RouteTable } from '../router/index.ts';
import type { RevisionLimits, RevisionSpec } from '../runtime/types.ts';

export interface FunctionRoute {
  name: string;
  latest: string | undefined;
  generation: number;
  table: RouteTable;
}

/** What the rest of the host hears as the catalog applies changes (the data plane follows it). */
export interface CatalogEvents {
  /** A revision's spec is loaded: executors may preload it, the scaler may start it. */
  revisionReady?(spec: RevisionSpec): void;
  revisionRemoved?(rev: string): void;
  functionRemoved?(fn: string): void;
  /** A spec could not be loaded (its artifact is missing or unreadable). */
  loadFailed?(rev: string, err: unknown): void;
}

export class Catalog {
  readonly #routes = new Map<string, FunctionRoute>();
  readonly #records = new Map<string, RevisionRecord>();
  readonly #specs = new Map<string, RevisionSpec>();
  readonly #loading = new Map<string, Promise<RevisionSpec | undefined>>();
  readonly #artifacts: ArtifactStore;
  readonly #limits: RevisionLimits;
  readonly #events: CatalogEvents;
  #unwatch: (() => void) | undefined;

  constructor(artifacts: ArtifactStore, defaults: RevisionLimits, events: CatalogEvents = {}) {
    this.#artifacts = artifacts;
    this.#limits = defaults;
    this.#events = events;
  }

  /** Subscribes first, then reads everything: a change made meanwhile is applied by generation, never lost. */
  async follow(state: StateStore): Promise<void> {
    this.#unwatch = state.watch((c) => this.apply(c));
    const [fns, revs] = await Promise.all([state.listFunctions(), state.listRevisions()]);
    for (const r of revs) if (!this.#records.has(r.name)) this.#records.set(r.name, r);
    for (const f of fns) this.#setFunction(f);
  }

  close(): void {
    this.#unwatch?.();
  }

  get functionCount(): number {
    return this.#routes.size;
  }

  route(fn: string): FunctionRoute | undefined {
    return this.#routes.get(fn);
  }

  revision(rev: string): RevisionRecord | undefined {
    return this.#records.get(rev);
  }

  /** The spec if it is in memory now (the request path's fast case). */
  specNow(rev: string): RevisionSpec | undefined {
    return this.#specs.get(rev);
  }

  /** The spec, loading its artifact if needed; undefined for a revision that does not exist. */
  spec(rev: string): Promise<RevisionSpec | undefined> {
    const hit = this.#specs.get(rev);
    if (hit) return Promise.resolve(hit);
    let p = this.#loading.get(rev);
    if (!p) {
      p = this.#load(rev).finally(() => this.#loading.delete(rev));
      this.#loading.set(rev, p);
    }
    return p;
  }

  /** Applies one change from the store's feed (level-triggered: the record as it now is). */
  apply(c: StateChange): void {
    if (c.kind === 'function') {
      if (c.function) this.#setFunction(c.function);
      else if (this.#routes.delete(c.name)) this.#events.functionRemoved?.(c.name);
      return;
    }
    if (c.revision) {
      if (this.#records.has(c.name)) return;
      this.#records.set(c.name, c.revision);
      // Off the request path: read the artifact now, so the first request pays for no disk read.
      void this.spec(c.name).then((spec) => { if (spec) this.#events.revisionReady?.(spec); }, () => {});
      return;
    }
    this.#records.delete(c.name);
    this.#specs.delete(c.name);
    this.#events.revisionRemoved?.(c.name);
  }

  #setFunction(f: FunctionRecord): void {
    const cur = this.#routes.get(f.name);
    if (cur && cur.generation > f.generation) return;
    this.#routes.set(f.name, { name: f.name, latest: f.latestRevision, generation: f.generation, table: buildRouteTable(f.traffic, f.latestRevision) });
  }

  async #load(rev: string): Promise<RevisionSpec | undefined> {
    const r = this.#records.get(rev);
    if (!r) return undefined;
    let code;
    try {
      code = await loadCode(this.#artifacts, r.runtime, r.digest);
    } catch (e) {
      this.#events.loadFailed?.(rev, e);
      throw e;
    }
    // Deleted while its artifact was read: nothing to keep.
    if (this.#records.get(rev) !== r) return undefined;
    const spec: RevisionSpec = {
      id: r.name,
      fn: r.function,
      digest: r.digest,
      runtime: r.runtime,
      script: code.script,
      cache: code.cache,
      ...(code.wasm ? { wasm: code.wasm } : {}),
      ...(code.cores ? { cores: code.cores } : {}),
      env: r.config.env,
      concurrency: r.config.concurrency,
      limits: { ...this.#limits, ...r.config.limits },
      ...(r.config.scaling ? { scaling: { ...r.config.scaling } as Record<string, number> } : {}),
    };
    this.#specs.set(rev, spec);
    return spec;
  }
}
