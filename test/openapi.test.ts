/**
 * The admin API's OpenAPI document (issue 9): generated from the schemas fastify
 * validates with, it must cover every route fastify has, and the schemas must
 * validate requests without changing what the handlers answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../src/core/errors.ts';
import { testHost, HELLO, type TestHost } from './helpers/host.ts';

interface Schema { $ref?: string; type?: string; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[]; items?: Schema }
interface Operation {
  operationId: string;
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, { type: string; scheme: string }> };
  security: Record<string, string[]>[];
}

let h: TestHost;
let doc: Doc;
const auth = { authorization: 'Bearer sekret' };
const admin = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, type = 'application/json') =>
  h.admin.inject({ method, url, headers: { ...auth, ...(payload !== undefined ? { 'content-type': type } : {}) }, ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}) });

beforeAll(async () => {
  h = await testHost(['--admin-token', 'sekret']);
  const r = await admin('GET', '/v1/openapi.json');
  expect(r.statusCode, r.body).toBe(200);
  doc = r.json() as Doc;
  expect((await admin('POST', '/v1/functions/doc/revisions', HELLO, 'application/javascript')).statusCode).toBe(201);
});
afterAll(async () => { await h.cleanup(); });

/** Method and path of every route on the instance, read from fastify's own route tree; the HEAD twins fastify adds to GET routes left out. */
function registeredRoutes(app: FastifyInstance): string[] {
  const stack: string[] = [];
  const out = new Set<string>();
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) out.add(`${method} ${stack.join('')}`);
  }
  return [...out].filter((r) => !(r.startsWith('HEAD ') && out.has(r.replace(/^HEAD /, 'GET ')))).sort();
}

const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
const op = (id: string) => operations().find((o) => o.op.operationId === id)!.op;
const component = (s: Schema | undefined): Schema => doc.components.schemas[(s?.$ref ?? '').replace('#/components/schemas/', '')]!;
/** The names listed in a handler's "(known: a, b, c)". */
const known = (message: string) => /\(known: ([^)]*)\)/.exec(message)![1]!.split(', ');

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3 document, behind the bearer token', async () => {
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(5);
    expect((await h.admin.inject({ url: '/v1/openapi.json' })).statusCode).toBe(401);
    const [[name, scheme]] = Object.entries(doc.components.securitySchemes) as [[string, { type: string; scheme: string }]];
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ [name]: [] }]);
    expect(op('healthz').security).toEqual([]);
    expect(op('readyz').security).toEqual([]);
  });

  it('documents every route fastify has, with its method, and nothing else', () => {
    const routes = registeredRoutes(h.admin);
    // The parse found the tree: a nested route and this document's own route are there.
    expect(routes).toContain('PUT /v1/functions/:name/traffic');
    expect(routes).toContain('GET /v1/openapi.json');
    for (const r of routes) {
      const [method, path] = r.split(' ') as [string, string];
      expect(doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()], `${r} is not in /v1/openapi.json`).toBeDefined();
    }
    expect(operations().map((o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`).sort()).toEqual(routes);
  });

  it('gives every operation a unique id, a summary, its path parameters and responses', () => {
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, op: o } of operations()) {
      const where = `${method} ${path}`;
      expect(o.summary, where).toMatch(/\S/);
      expect(Object.keys(o.responses).some((c) => /^2\d\d$/.test(c)), where).toBe(true);
      for (const [code, r] of Object.entries(o.responses)) {
        expect(r.description, `${where} ${code}`).toMatch(/\S/);
        // Errors are the shared Error component (readiness says "starting" in its own words).
        if (/^[45]/.test(code) && o.operationId !== 'readyz') expect(r.content?.['application/json']?.schema, `${where} ${code}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect(o.parameters?.some((p) => p.in === 'path' && p.name === name && p.required), `${where} declares {${name}}`).toBe(true);
      }
    }
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty([ref.slice(8, -1).replace('#/components/schemas/', '')]);
  });

  it('has an Error component with every EDGE_ERR_* code', async () => {
    const e = doc.components.schemas.Error!;
    expect(e.properties!.code!.enum).toEqual(Object.keys(ERROR_CODES));
    expect(e.required).toEqual(['code', 'message', 'requestId']);
    const r = await admin('GET', '/v1/functions/nope');
    expect(r.statusCode).toBe(404);
    expect(Object.keys(r.json() as object).every((k) => k in e.properties!)).toBe(true);
  });

  it('documents the deploy body: JavaScript, Wasm and multipart with a module part and a config part', () => {
    const content = op('deployRevision').requestBody!.content;
    expect(Object.keys(content)).toEqual(expect.arrayContaining(['application/javascript', 'text/javascript', 'application/wasm', 'multipart/form-data']));
    expect(content['multipart/form-data']!.schema).toMatchObject({ required: ['module'], properties: { module: { type: 'string' }, config: { $ref: '#/components/schemas/RevisionConfig' } } });
    expect(op('setTraffic').requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/TrafficUpdate' });
    expect(op('patchConfig').requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/ConfigPatch' });
  });
});

describe('the documented parameters and fields are the ones the handlers know', () => {
  it('deploy query parameters', async () => {
    const r = await admin('POST', '/v1/functions/doc/revisions?bogus=1', HELLO, 'application/javascript');
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG' });
    const documented = op('deployRevision').parameters!.filter((p) => p.in === 'query').map((p) => p.name);
    expect(documented.sort()).toEqual(known(r.json().message).sort());
  });

  it('config fields, limits and scaling settings', async () => {
    const patch = component(op('patchConfig').requestBody!.content['application/json']!.schema);
    const stored = doc.components.schemas.RevisionConfig!;
    const top = await admin('PATCH', '/v1/functions/doc/config', { bogus: 1 });
    expect(Object.keys(patch.properties!).sort()).toEqual(known(top.json().message).sort());
    expect(Object.keys(stored.properties!).sort()).toEqual(known(top.json().message).sort());
    for (const part of ['limits', 'scaling']) {
      const r = await admin('PATCH', '/v1/functions/doc/config', { [part]: { bogus: 1 } });
      expect(r.json(), part).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG' });
      expect(Object.keys(patch.properties![part]!.properties!).sort(), part).toEqual(known(r.json().message).sort());
      expect(Object.keys(stored.properties![part]!.properties!).sort(), part).toEqual(known(r.json().message).sort());
    }
  });
});

describe('schema validation of request bodies', () => {
  const revisions = async () => ((await admin('GET', '/v1/functions/doc')).json() as { revisions: unknown[] }).revisions.length;

  it('PUT traffic: a body that is not a table is refused by the schema with EDGE_ERR_INVALID_CONFIG', async () => {
    const before = (await admin('GET', '/v1/functions/doc')).json().traffic;
    const r = await admin('PUT', '/v1/functions/doc/traffic', '"everything to doc-00001"');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', requestId: expect.any(String), details: { errors: [{ path: 'body', message: expect.any(String) }, { path: 'body', message: expect.any(String) }] } });
    const item = await admin('PUT', '/v1/functions/doc/traffic', [{ revision: 'doc-00001', percent: '100' }]);
    expect(item.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/body\/0\/percent must be integer/) });
    expect(item.json().details.errors).toEqual([{ path: 'body/0/percent', message: 'must be integer' }]);
    expect((await admin('GET', '/v1/functions/doc')).json().traffic).toEqual(before);
    // Both documented forms pass the schema; the handler's own checks still answer with their messages.
    expect((await admin('PUT', '/v1/functions/doc/traffic', { traffic: [{ revision: 'doc-00001', percent: 100 }] })).json()).toMatchObject({ traffic: [{ revision: 'doc-00001', percent: 100 }] });
    expect((await admin('PUT', '/v1/functions/doc/traffic', [{ latestRevision: true, percent: 100 }])).statusCode).toBe(200);
    expect((await admin('PUT', '/v1/functions/doc/traffic', [{ revision: 'doc-00001', percent: 60 }])).json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: 'traffic percents sum to 60, not 100' });
  });

  it('PATCH config: a patch that is not an object, or has a number for an env value, is refused by the schema', async () => {
    const n = await revisions();
    const arr = await admin('PATCH', '/v1/functions/doc/config', [{ env: {} }]);
    expect(arr.statusCode).toBe(400);
    expect(arr.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', details: { errors: [{ path: 'body', message: 'must be object' }] } });
    expect((await admin('PATCH', '/v1/functions/doc/config', { env: { A: 1 } })).json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/body\/env\/A must be string,null/) });
    expect(await revisions()).toBe(n);
    // Digit strings and nulls pass the schema, as the handler accepts them.
    const ok = await admin('PATCH', '/v1/functions/doc/config', { env: { A: '1', B: null }, limits: { cpuMs: '20' }, scaling: { maxScale: 3 } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ revision: `doc-0000${n + 1}`, config: { env: { A: '1' }, concurrency: 0, limits: { cpuMs: 20 }, scaling: { maxScale: 3 } } });
  });

  it('a malformed JSON body is still EDGE_ERR_BAD_REQUEST', async () => {
    expect((await admin('PUT', '/v1/functions/doc/traffic', '[{')).json()).toMatchObject({ code: 'EDGE_ERR_BAD_REQUEST' });
  });
});

describe('response schemas keep every field the handlers return', () => {
  it('a function with its revisions, config, scaling status and effective traffic', async () => {
    const f = (await admin('GET', '/v1/functions/doc')).json();
    const fn = doc.components.schemas.Function!;
    for (const k of fn.required!) expect(f, k).toHaveProperty(k);
    const rev = f.revisions.at(-1);
    for (const k of doc.components.schemas.Revision!.required!) expect(rev, k).toHaveProperty(k);
    for (const k of doc.components.schemas.RevisionStatus!.required!) expect(rev.status, k).toHaveProperty(k);
    expect(rev.config).toMatchObject({ env: { A: '1' }, limits: { cpuMs: 20 }, scaling: { maxScale: 3 } });
    expect(f.effectiveTraffic).toEqual([{ revision: rev.name, percent: 100, tags: [] }]);
  });

  it('logs, host status and readiness', async () => {
    await h.edge.inject({ url: '/x', headers: { host: 'doc.localhost' } });
    await new Promise((r) => setTimeout(r, 50));
    const logs = (await admin('GET', '/v1/functions/doc/logs')).json() as { logs: Record<string, unknown>[] };
    const line = logs.logs.find((l) => l.source === 'host')!;
    for (const k of doc.components.schemas.LogEntry!.required!) expect(line, k).toHaveProperty(k);
    expect(line.request).toMatchObject({ method: 'GET', path: '/x', status: 200, ms: expect.any(Number) });
    const st = (await admin('GET', '/v1/status')).json();
    expect(st.executors[0]).toMatchObject({ warm: expect.any(Number), hot: expect.any(Number), starts: { hot: expect.any(Number), warm: expect.any(Number), cold: expect.any(Number) } });
    expect(st.threads).toEqual({ desired: expect.any(Number), running: expect.any(Number), panicMode: expect.any(Boolean) });
    expect((await h.admin.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', functions: 1 });
  });
});
