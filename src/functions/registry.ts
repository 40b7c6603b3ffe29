/**
 * The gateway's in-memory view of what is deployed: a resolved route table per
 * function and the executable spec of each revision. Tables are replaced whole
 * (one reference swap), so a request sees the old table or the new one, never
 * half of each.
 */
import type { ArtifactStore, RevisionRecord, StateStore } from '../store/index.ts';
import { buildRouteTable, type RouteTable } from '../router/index.ts';
import type { RevisionLimits, RevisionSpec } from '../runtime/types.ts';

export interface FunctionRoute {
  name: string;
  latest: string | undefined;
  table: RouteTable;
}

export class Registry {
  readonly #routes = new Map<string, FunctionRoute>();
  readonly #specs = new Map<string, RevisionSpec>();
  readonly #state: StateStore;
  readonly #artifacts: ArtifactStore;
  readonly #limits: RevisionLimits;

  constructor(state: StateStore, artifacts: ArtifactStore, defaults: RevisionLimits) {
    this.#state = state;
    this.#artifacts = artifacts;
    this.#limits = defaults;
    for (const f of state.listFunctions()) this.refresh(f.name);
  }

  get functionCount(): number {
    return this.#routes.size;
  }

  route(fn: string): FunctionRoute | undefined {
    return this.#routes.get(fn);
  }

  /** Rebuilds one function's route from the state store (after a deploy or a traffic change). */
  refresh(fn: string): void {
    const f = this.#state.getFunction(fn);
    if (!f) {
      this.#routes.delete(fn);
      return;
    }
    const revs = this.#state.listRevisions(fn);
    const latest = revs.at(-1)?.name;
    this.#routes.set(fn, { name: fn, latest, table: buildRouteTable(f.traffic, latest) });
  }

  /** Forgets a function; returns the revisions whose specs were dropped. */
  remove(fn: string, revisions: readonly RevisionRecord[]): void {
    this.#routes.delete(fn);
    for (const r of revisions) this.#specs.delete(r.name);
  }

  forgetRevision(rev: string): void {
    this.#specs.delete(rev);
  }

  /** The executable spec of a revision; its artifact is read from disk on first use. */
  spec(rev: string): RevisionSpec | undefined {
    const hit = this.#specs.get(rev);
    if (hit) return hit;
    const r = this.#state.getRevision(rev);
    if (!r) return undefined;
    const a = r.runtime === 'wasm' ? { script: '', cache: null, wasm: this.#artifacts.getWasm(r.digest) }
      : r.runtime === 'component' ? this.#artifacts.getComponent(r.digest)
      : this.#artifacts.getJs(r.digest);
    const spec: RevisionSpec = {
      id: r.name,
      fn: r.function,
      digest: r.digest,
      runtime: r.runtime,
      script: a.script,
      cache: a.cache,
      ...('wasm' in a ? { wasm: a.wasm } : {}),
      ...('cores' in a ? { cores: a.cores } : {}),
      env: r.config.env,
      concurrency: r.config.concurrency,
      limits: { ...this.#limits, ...r.config.limits },
      ...(r.config.scaling ? { scaling: { ...r.config.scaling } as Record<string, number> } : {}),
    };
    this.#specs.set(rev, spec);
    return spec;
  }
}
