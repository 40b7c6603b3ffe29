/**
 * Traffic tables, Knative Route style: a list of targets (a named revision or
 * "the latest revision"), each with a percent and an optional tag. Pure: no
 * clock, no I/O, randomness injected.
 */
import { EdgeError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';

export interface TrafficTarget {
  revision?: string;
  latestRevision?: boolean;
  percent: number;
  tag?: string;
}

/** A table resolved against the current latest revision, ready for picks. */
export interface RouteTable {
  /** Revisions with a share of traffic, consolidated (one entry per revision). */
  readonly weighted: readonly { revision: string; percent: number }[];
  /** Cumulative percents of `weighted`, for a binary-free linear scan (tables are small). */
  readonly cumulative: readonly number[];
  readonly tags: ReadonlyMap<string, string>;
}

const TAG_RE = /^[a-z][a-z0-9-]{0,62}$/;

/** Checks a traffic spec; throws EDGE_ERR_INVALID_CONFIG naming the first problem. */
export function validateTraffic(targets: unknown, known: ReadonlySet<string>): TrafficTarget[] {
  if (!Array.isArray(targets) || targets.length === 0) throw bad('traffic must be a non-empty array of targets');
  const tags = new Set<string>();
  let sum = 0;
  const out: TrafficTarget[] = [];
  targets.forEach((t: unknown, i) => {
    if (t === null || typeof t !== 'object') throw bad(`traffic[${i}] must be an object`);
    const { revision, latestRevision, percent, tag } = t as Record<string, unknown>;
    if ((revision === undefined) === (latestRevision !== true)) throw bad(`traffic[${i}] needs exactly one of "revision" or "latestRevision": true`);
    if (revision !== undefined && (typeof revision !== 'string' || !known.has(revision))) throw bad(`traffic[${i}].revision ${JSON.stringify(revision)} is not a revision of this function`);
    const p = percent === undefined ? 0 : percent;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 100) throw bad(`traffic[${i}].percent ${JSON.stringify(percent)} must be an integer from 0 to 100`);
    if (tag !== undefined) {
      if (typeof tag !== 'string' || !TAG_RE.test(tag)) throw bad(`traffic[${i}].tag ${JSON.stringify(tag)} must match ${TAG_RE.source}`);
      if (tags.has(tag)) throw bad(`traffic[${i}].tag ${JSON.stringify(tag)} is used twice`);
      tags.add(tag);
    }
    sum += p;
    out.push({ ...(revision !== undefined ? { revision: revision as string } : { latestRevision: true }), percent: p, ...(tag !== undefined ? { tag: tag as string } : {}) });
  });
  if (sum !== 100) throw bad(`traffic percents sum to ${sum}, not 100`);
  return consolidate(out);
}

/** Merges untagged targets that name the same revision (or both "latest"), keeping first-seen order. */
export function consolidate(targets: readonly TrafficTarget[]): TrafficTarget[] {
  const out: TrafficTarget[] = [];
  const byKey = new Map<string, TrafficTarget>();
  for (const t of targets) {
    const key = t.latestRevision ? '@latest' : `rev:${t.revision}`;
    const seen = t.tag === undefined ? byKey.get(key) : undefined;
    if (seen) {
      seen.percent += t.percent;
      continue;
    }
    const copy = { ...t };
    out.push(copy);
    if (t.tag === undefined) byKey.set(key, copy);
  }
  return out;
}

/**
 * The table after deploying `newRev`. By default the current table is kept (a
 * `latestRevision` target then follows the new revision). `noTraffic` stages it:
 * every `latestRevision` target is pinned to the revision that was latest before,
 * so nothing moves. `tag` gives the new revision a route of its own at 0 %
 * (moved from any revision that had it).
 */
export function trafficAfterDeploy(current: readonly TrafficTarget[] | undefined, previousLatest: string | undefined, newRev: string, opts: { noTraffic?: boolean; tag?: string } = {}): TrafficTarget[] {
  let table: TrafficTarget[] = current ? current.map((t) => ({ ...t })) : [{ latestRevision: true, percent: 100 }];
  // The first revision always takes the traffic: there is nothing to stay on.
  if (opts.noTraffic && current && previousLatest) {
    table = consolidate(table.map((t) => (t.latestRevision ? { revision: previousLatest, percent: t.percent, ...(t.tag ? { tag: t.tag } : {}) } : t)));
  }
  if (opts.tag !== undefined) {
    if (!TAG_RE.test(opts.tag)) throw bad(`tag ${JSON.stringify(opts.tag)} must match ${TAG_RE.source}`);
    table = table
      .filter((t) => !(t.tag === opts.tag && t.percent === 0))
      .map((t) => {
        if (t.tag !== opts.tag) return t;
        const { tag: _moved, ...rest } = t;
        return rest;
      });
    table = consolidate(table);
    table.push({ revision: newRev, percent: 0, tag: opts.tag });
  }
  return table;
}

/** Resolves `latestRevision` and merges targets that name the same revision. */
export function buildRouteTable(targets: readonly TrafficTarget[], latest: string | undefined): RouteTable {
  const shares = new Map<string, number>();
  const tags = new Map<string, string>();
  for (const t of targets) {
    const rev = t.latestRevision ? latest : t.revision;
    if (rev === undefined) continue;
    if (t.percent > 0) shares.set(rev, (shares.get(rev) ?? 0) + t.percent);
    if (t.tag) tags.set(t.tag, rev);
  }
  const weighted = [...shares].map(([revision, percent]) => ({ revision, percent }));
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weighted) cumulative.push((acc += w.percent));
  return { weighted, cumulative, tags };
}

/** The revision for one request: the tagged one if a known tag is given, else a weighted pick. */
export function pick(table: RouteTable, rng: Rng, tag?: string): string | undefined {
  if (tag !== undefined) return table.tags.get(tag);
  const total = table.cumulative.at(-1) ?? 0;
  if (total === 0) return undefined;
  const x = rng() * total;
  for (let i = 0; i < table.cumulative.length; i++) if (x < table.cumulative[i]!) return table.weighted[i]!.revision;
  return table.weighted.at(-1)!.revision;
}

/** Every revision the table can send traffic to, by percent or by tag. */
export function routedRevisions(table: RouteTable): Set<string> {
  return new Set([...table.weighted.map((w) => w.revision), ...table.tags.values()]);
}

function bad(message: string): EdgeError {
  return new EdgeError('EDGE_ERR_INVALID_CONFIG', message);
}
