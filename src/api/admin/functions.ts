/** Admin API: functions and revisions (docs/admin-api.md). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EdgeError } from '../../core/errors.ts';
import { assertFunctionName, configFromQuery, type RolloutOptions } from '../../deploy/index.ts';
import type { FunctionService } from '../../control/index.ts';
import { buildRouteTable } from '../../router/index.ts';
import type { FunctionRecord, RevisionRecord } from '../../store/index.ts';
import type { ReadyAnswer } from '../../cluster/nodes.ts';
import * as S from './schemas.ts';

const JS_TYPES = new Set(S.JS_TYPES);
/** Traffic tables and config patches refused by their schema answer like the handlers' own checks. */
const invalidConfig = S.validationError('EDGE_ERR_INVALID_CONFIG');

interface NameParams { name: string }

/** `?noTraffic=true` stages the revision; `?tag=t` gives it a route of its own at 0 %. */
function rolloutFromQuery(q: Record<string, string>): RolloutOptions {
  const nt = q.noTraffic;
  if (nt !== undefined && !['true', 'false', '1', '0', ''].includes(nt)) throw new EdgeError('EDGE_ERR_INVALID_CONFIG', `noTraffic ${JSON.stringify(nt)} must be true or false`);
  return { noTraffic: nt === 'true' || nt === '1' || nt === '', ...(q.tag !== undefined ? { tag: q.tag } : {}) };
}
interface RevParams { name: string; revision: string }

/** Knative-style revision status: desired and ready instances, load, and the last autoscaler decision. */
export interface RevisionStatusView {
  routed: boolean;
  desired: number;
  ready: number;
  inflight: number;
  queued: number;
  panicMode: boolean;
  activatorInPath: boolean;
  lastDecision: { at: string; desired: number; recommended: number; stableConcurrency: number | null; panicConcurrency: number | null; excessBurstCapacity: number; reason: string } | null;
}

/** What the function routes need of the host. */
export interface FunctionRoutesOptions {
  functions: FunctionService;
  /** The data plane's view of one revision. */
  revisionStatus(rev: string, routed: boolean): RevisionStatusView;
  /** A component revision's world ('edge-host' or 'wasi-http'), read from its artifact. */
  componentAbi(digest: string): Promise<'edge-host' | 'wasi-http'>;
  url(fn: string): string;
  moduleBytes: number;
  /** For `PUT …/traffic?wait=ready`: waits until every live node applied state up to where this node is now. */
  waitReady(timeoutMs: number): Promise<ReadyAnswer>;
}

async function abiOf(o: FunctionRoutesOptions, r: RevisionRecord): Promise<{ abi?: 'edge-host' | 'wasi-http' }> {
  return r.runtime === 'component' ? { abi: await o.componentAbi(r.digest) } : {};
}

async function revisionView(o: FunctionRoutesOptions, r: RevisionRecord, routed: Set<string>) {
  return {
    name: r.name,
    function: r.function,
    digest: r.digest,
    runtime: r.runtime,
    ...(await abiOf(o, r)),
    config: r.config,
    createdAt: new Date(r.createdAt).toISOString(),
    status: o.revisionStatus(r.name, routed.has(r.name)),
  };
}

async function functionView(o: FunctionRoutesOptions, name: string) {
  const f = await o.functions.getFunction(name);
  const table = buildRouteTable(f.traffic, f.latestRevision);
  const routed = new Set([...table.weighted.map((w) => w.revision), ...table.tags.values()]);
  const revisions = await Promise.all((await o.functions.listRevisions(name)).map((r) => revisionView(o, r, routed)));
  return {
    name,
    url: o.url(name),
    createdAt: new Date(f.createdAt).toISOString(),
    latestRevision: f.latestRevision ?? null,
    generation: f.generation,
    traffic: f.traffic,
    effectiveTraffic: table.weighted.map((w) => ({ ...w, tags: [...table.tags].filter(([, r]) => r === w.revision).map(([t]) => t) })),
    revisions,
  };
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const isWasm = (b: Uint8Array): boolean => WASM_MAGIC.every((x, i) => b[i] === x);

/**
 * Reads the module bytes, its kind and the config from a raw body or a multipart form.
 * A multipart `module` part is Wasm when its content type says so or its bytes start with `\0asm`.
 */
async function readDeploy(req: FastifyRequest): Promise<{ source: Uint8Array; kind: 'js' | 'wasm'; configPart: unknown }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (JS_TYPES.has(type)) return { source: req.body as Buffer, kind: 'js', configPart: {} };
  if (type === 'application/wasm') return { source: req.body as Buffer, kind: 'wasm', configPart: {} };
  if (type === 'multipart/form-data') {
    let source: Uint8Array | undefined;
    let kind: 'js' | 'wasm' = 'js';
    let configPart: unknown = {};
    for await (const part of req.parts()) {
      if (part.type === 'file' && part.fieldname === 'module') {
        source = await part.toBuffer();
        kind = part.mimetype === 'application/wasm' || isWasm(source) ? 'wasm' : 'js';
      }
      else if (part.type === 'field' && part.fieldname === 'config') {
        try {
          configPart = JSON.parse(String(part.value));
        } catch (e) {
          throw new EdgeError('EDGE_ERR_INVALID_CONFIG', `the config part is not JSON: ${(e as Error).message}`);
        }
      } else if (part.type === 'file') await part.toBuffer();
    }
    if (!source) throw new EdgeError('EDGE_ERR_BAD_REQUEST', 'the multipart form has no "module" file part');
    return { source, kind, configPart };
  }
  throw new EdgeError('EDGE_ERR_UNSUPPORTED_MEDIA_TYPE', `cannot deploy a body of type ${JSON.stringify(type || '(none)')}; send application/javascript, application/wasm, or multipart/form-data with a "module" part`);
}

export async function functionRoutes(app: FastifyInstance, o: FunctionRoutesOptions): Promise<void> {
  const fns = o.functions;
  for (const t of JS_TYPES) {
    app.addContentTypeParser(t, { parseAs: 'buffer', bodyLimit: o.moduleBytes }, (_req, body, done) => done(null, body));
  }
  app.addContentTypeParser('application/wasm', { parseAs: 'buffer', bodyLimit: o.moduleBytes }, (_req, body, done) => done(null, body));

  const created = async (rec: RevisionRecord) => ({
    name: rec.function, revision: rec.name, digest: rec.digest, runtime: rec.runtime, ...(await abiOf(o, rec)), url: o.url(rec.function),
    createdAt: new Date(rec.createdAt).toISOString(), traffic: (await fns.getFunction(rec.function).catch(() => undefined))?.traffic ?? [],
  });

  app.post<{ Params: NameParams; Querystring: Record<string, string> }>('/v1/functions/:name/revisions', { schema: S.deployRevision }, async (req, reply) => {
    assertFunctionName(req.params.name);
    const { source, kind, configPart } = await readDeploy(req);
    const config = configFromQuery(req.query, configPart);
    const rollout = rolloutFromQuery(req.query);
    const rec = await fns.deploy(req.params.name, { bytes: source, kind }, config, rollout);
    return reply.code(201).send(await created(rec));
  });

  app.patch<{ Params: NameParams; Querystring: Record<string, string> }>('/v1/functions/:name/config', { schema: S.patchConfig, schemaErrorFormatter: invalidConfig }, async (req, reply) => {
    const rec = await fns.patchConfig(req.params.name, req.body, rolloutFromQuery(req.query));
    return reply.code(201).send({ ...(await created(rec)), config: rec.config });
  });

  app.get('/v1/functions', { schema: S.listFunctions }, async () => ({
    functions: (await fns.listFunctions()).map((f: FunctionRecord) => ({
      name: f.name, url: o.url(f.name), latestRevision: f.latestRevision ?? null, traffic: f.traffic, createdAt: new Date(f.createdAt).toISOString(),
    })),
  }));

  app.get<{ Params: NameParams }>('/v1/functions/:name', { schema: S.getFunction }, async (req) => functionView(o, req.params.name));

  app.get<{ Params: NameParams }>('/v1/functions/:name/revisions', { schema: S.listRevisions }, async (req) => ({ revisions: (await functionView(o, req.params.name)).revisions }));

  app.get<{ Params: RevParams }>('/v1/functions/:name/revisions/:revision', { schema: S.getRevision }, async (req) => {
    const rev = (await functionView(o, req.params.name)).revisions.find((r) => r.name === req.params.revision);
    if (!rev) throw new EdgeError('EDGE_ERR_REVISION_NOT_FOUND', `function ${req.params.name} has no revision ${req.params.revision}`);
    return rev;
  });

  app.put<{ Params: NameParams; Querystring: Record<string, string> }>('/v1/functions/:name/traffic', { schema: S.setTraffic, schemaErrorFormatter: invalidConfig }, async (req) => {
    const body = req.body as unknown;
    const spec = Array.isArray(body) ? body : (body as { traffic?: unknown } | null)?.traffic;
    const wait = req.query.wait;
    if (wait !== undefined && wait !== 'ready') throw new EdgeError('EDGE_ERR_BAD_REQUEST', `wait must be "ready", not ${JSON.stringify(wait)}`);
    const timeoutMs = req.query.timeoutMs === undefined ? 10_000 : Number(req.query.timeoutMs);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 60_000) throw new EdgeError('EDGE_ERR_BAD_REQUEST', `timeoutMs must be an integer from 0 to 60000, not ${JSON.stringify(req.query.timeoutMs)}`);
    const traffic = await fns.setTraffic(req.params.name, spec);
    // The write resolved once this node applied it: every node at this node's sequence has the table.
    const ready = wait === 'ready' ? await o.waitReady(timeoutMs) : undefined;
    const view = await functionView(o, req.params.name);
    return { name: view.name, traffic, effectiveTraffic: view.effectiveTraffic, ...(ready ? { ready } : {}) };
  });

  app.delete<{ Params: NameParams }>('/v1/functions/:name', { schema: S.deleteFunction }, async (req, reply) => {
    await fns.deleteFunction(req.params.name);
    return reply.code(204).send();
  });

  app.delete<{ Params: RevParams }>('/v1/functions/:name/revisions/:revision', { schema: S.deleteRevision }, async (req, reply) => {
    await fns.deleteRevision(req.params.name, req.params.revision);
    return reply.code(204).send();
  });
}
