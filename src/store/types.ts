/**
 * The state the host keeps, behind asynchronous interfaces: functions, revisions and
 * traffic tables (StateStore), and content-addressed artifacts (ArtifactStore). SQLite
 * and a directory implement them on one node; a NATS JetStream KV and Object Store can
 * implement them for a cluster (docs/architecture.md, "State and durability"). test/contracts/ holds the suites every
 * implementation passes.
 */
import type { TrafficTarget } from '../router/index.ts';
import type { RevisionLimitsConfig, RevisionScalingConfig } from '../config/index.ts';
export type { TrafficTarget };

export interface RevisionConfig {
  env: Record<string, string>;
  /** Requests one instance serves at once; 0 = unlimited. */
  concurrency: number;
  /** Per-request limits (the `limits` rows of config/revision-settings.ts); absent = host default. */
  limits: RevisionLimitsConfig;
  /** Per-revision autoscaling, named after Knative's autoscaling.knative.dev annotations; absent = host default. */
  scaling?: ScalingOverrides;
  /** Workers' `compatibility_date` (YYYY-MM-DD), kept as the project said it; the runtime does not vary by it. */
  compatibilityDate?: string;
  /** Workers' `compatibility_flags`: only those this host honours are accepted (deploy/revision-config.ts). */
  compatibilityFlags?: string[];
  /** Cron triggers (five fields, UTC) for `scheduled(controller, env, ctx)`, design §11. */
  triggers?: { crons: string[] };
  /** The function's own policy for its async calls (design §11); absent = the host's async.* options. */
  async?: AsyncSettings;
}

/** A revision's `async` block: retries and how many of its calls run at once. */
export interface AsyncSettings {
  maxAttempts?: number;
  initialRetryMs?: number;
  maxRetryMs?: number;
  maxAgeS?: number;
  /** Statuses that are retried (default 408, 429, 500, 502, 503, 504). */
  retryOn?: number[];
  maxInflight?: number;
}

/** Named after Knative's autoscaling.knative.dev annotations: the `scaling` rows of config/revision-settings.ts. */
export type ScalingOverrides = RevisionScalingConfig;

export type RuntimeKind = 'js' | 'wasm' | 'component';

export interface RevisionRecord {
  name: string;
  function: string;
  seq: number;
  digest: string;
  runtime: RuntimeKind;
  config: RevisionConfig;
  /** Unix ms. */
  createdAt: number;
}

export interface FunctionRecord {
  name: string;
  createdAt: number;
  traffic: TrafficTarget[];
  /** The newest revision (what `latestRevision: true` follows); undefined once none is left. */
  latestRevision: string | undefined;
  /**
   * Moves on with every change to the function (a revision made or deleted, a traffic
   * table set): writers compare-and-set on it, watchers apply the newest they see.
   */
  generation: number;
}

/** How a new revision changes the traffic table, given the table now and the latest revision before it. */
export type TrafficRule = (revision: string, current: TrafficTarget[] | undefined, previousLatest: string | undefined) => TrafficTarget[];

export interface NewRevision {
  function: string;
  digest: string;
  runtime: RuntimeKind;
  config: RevisionConfig;
  /** Unix ms. */
  createdAt: number;
  traffic: TrafficRule;
}

/**
 * One change, level-triggered: the record as it now is (undefined once deleted).
 * A watcher reconciles to it; it never needs the history in between.
 */
export type StateChange =
  | { kind: 'function'; name: string; function: FunctionRecord | undefined }
  | { kind: 'revision'; name: string; fn: string; revision: RevisionRecord | undefined };

export interface StateStore {
  listFunctions(): Promise<FunctionRecord[]>;
  getFunction(name: string): Promise<FunctionRecord | undefined>;
  /** Every revision (of one function), oldest first. */
  listRevisions(fn?: string): Promise<RevisionRecord[]>;
  getRevision(name: string): Promise<RevisionRecord | undefined>;
  /** The next revision `{fn}-{seq}` (creating the function) and its traffic table, in one atomic step. */
  createRevision(r: NewRevision): Promise<{ revision: RevisionRecord; function: FunctionRecord }>;
  /** Compare-and-set: refused with EDGE_ERR_CONFLICT unless the function is still at `generation`. */
  setTraffic(fn: string, table: TrafficTarget[], generation: number): Promise<FunctionRecord>;
  /** Removes the function and its revisions; returns the revisions removed (none if it did not exist). */
  deleteFunction(name: string): Promise<RevisionRecord[]>;
  /** Compare-and-set on the function's generation, like setTraffic. */
  deleteRevision(name: string, generation: number): Promise<void>;
  /** Whether any revision still refers to the digest (its artifacts must stay). */
  isDigestUsed(digest: string): Promise<boolean>;
  /**
   * Makes a function as exported (`isoedge store import`): with exactly these revisions (names and
   * seqs kept; the next deploy gets the highest seq + 1), in one atomic step where the store allows it.
   * Refused with EDGE_ERR_CONFLICT when a function of that name exists: an import never overwrites.
   * Watchers hear of it like any write (the revisions, then the function).
   */
  restoreFunction(f: { name: string; createdAt: number; traffic: TrafficTarget[] }, revisions: RevisionRecord[]): Promise<FunctionRecord>;
  /**
   * Every committed change from now on, in commit order. Changes made by this store are
   * delivered before the write's promise resolves; the returned function unsubscribes.
   */
  watch(listener: (change: StateChange) => void): () => void;
  /**
   * Grows with every change this store applied (its own writes and, on a shared store, other
   * nodes'): a node that reports at least the number a write left behind serves that write.
   */
  readonly applied: number;
  close(): Promise<void>;
}

/** Artifact files by name: `script.js`, `cache.bin`, `cores/0.wasm`, … (names match ARTIFACT_NAME_RE). */
export type ArtifactFiles = Record<string, Uint8Array>;

export const DIGEST_RE = /^[0-9a-f]{64}$/;
export const ARTIFACT_NAME_RE = /^[\w-][\w.-]*(\/[\w-][\w.-]*)?$/;

export interface ArtifactStore {
  /** True once every file of a put() is stored. */
  has(digest: string): Promise<boolean>;
  /** Stores the files under the digest, all or none visible; idempotent (a digest's content never changes). */
  put(digest: string, files: ArtifactFiles): Promise<void>;
  /** One file's bytes, in an ArrayBuffer of their own; undefined if absent. */
  get(digest: string, name: string): Promise<Uint8Array | undefined>;
  remove(digest: string): Promise<void>;
  /** The names of the digest's files (what `isoedge store export` copies); undefined when the store cannot tell. */
  files?(digest: string): Promise<string[] | undefined>;
}
