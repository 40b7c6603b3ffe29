/**
 * `GET /v1/openapi.json`: an OpenAPI 3.0.3 document generated from the routes
 * registered on the admin instance and the JSON Schemas fastify validates and
 * serializes them with (schemas.ts). Paths are never written down twice: an
 * `onRoute` hook, added before the route plugins, collects every route.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { componentOf, componentSchema, openapi as openapiSchema, type JsonSchema, type RouteSchema } from './schemas.ts';
import pkg from '../../../package.json' with { type: 'json' };

export interface CollectedRoute {
  method: string;
  url: string;
  schema: Partial<RouteSchema> | undefined;
}

/** Starts collecting the routes registered on `app` from now on (HEAD twins of GET routes left out). */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (opts: RouteOptions) => {
    for (const method of [opts.method].flat()) {
      const isHeadTwin = method === 'HEAD' && routes.some((r) => r.method === 'GET' && r.url === opts.url);
      if (!isHeadTwin) routes.push({ method, url: opts.url, schema: opts.schema as Partial<RouteSchema> | undefined });
    }
  });
  return routes;
}

/** `/v1/functions/:name` → `/v1/functions/{name}`; a wildcard becomes `{wildcard}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}').replace(/\*$/, '{wildcard}');
}

const isObject = (x: unknown): x is JsonSchema => typeof x === 'object' && x !== null && !Array.isArray(x);
const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** Keywords an OpenAPI 3.0 Schema Object shares with JSON Schema, copied as they are. */
const PLAIN = new Set([
  'title', 'description', 'default', 'enum', 'format', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'uniqueItems', 'minProperties', 'maxProperties', 'multipleOf', 'required', 'readOnly', 'writeOnly', 'deprecated', 'nullable', 'example',
]);
/** Keywords that only apply to one type, moved into that type's branch when a union type is split. */
const FOR_TYPE: Record<string, string[]> = {
  object: ['properties', 'additionalProperties', 'required', 'minProperties', 'maxProperties'],
  array: ['items', 'minItems', 'maxItems', 'uniqueItems'],
  string: ['pattern', 'minLength', 'maxLength', 'format'],
  integer: ['minimum', 'maximum', 'multipleOf'],
  number: ['minimum', 'maximum', 'multipleOf'],
};

/** Converts JSON Schema (as ajv reads it) to OpenAPI 3.0 Schema Objects, collecting the components used. */
class SchemaConverter {
  readonly used = new Set<string>();

  convert(schema: unknown, asComponent = false): unknown {
    if (schema === true) return {};
    if (schema === false) return { not: {} };
    if (!isObject(schema)) return schema;
    const ref = asComponent ? undefined : componentOf(schema);
    if (ref) {
      this.used.add(ref);
      return { $ref: `#/components/schemas/${ref}` };
    }
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'type') continue;
      if (k === 'properties' && isObject(v)) out.properties = mapValues(v, (p) => this.convert(p));
      else if ((k === 'items' || k === 'not') && isObject(v)) out[k] = this.convert(v);
      else if (k === 'additionalProperties') out[k] = typeof v === 'boolean' ? v : this.convert(v);
      else if ((k === 'oneOf' || k === 'anyOf' || k === 'allOf') && Array.isArray(v)) out[k] = v.map((s) => this.convert(s));
      else if (k === 'const') out.enum = [v];
      else if (k === 'examples' && Array.isArray(v) && v.length) out.example = v[0];
      else if (PLAIN.has(k)) out[k] = v;
      // Anything else ($id, $schema, patternProperties, …) has no OpenAPI 3.0 counterpart.
    }
    const types = [schema.type].flat().filter((t): t is string => typeof t === 'string');
    const nullable = types.includes('null');
    const rest = types.filter((t) => t !== 'null');
    if (rest.length === 1) return { type: rest[0], ...(nullable ? { nullable: true } : {}), ...out };
    if (rest.length === 0) return nullable ? { enum: [null], nullable: true, ...out } : out;
    // A union type: one anyOf branch per type, each with the keywords that apply to it.
    const branches = rest.map((t, i) => {
      const b: JsonSchema = { type: t, ...(nullable && i === 0 ? { nullable: true } : {}) };
      for (const k of FOR_TYPE[t] ?? []) if (k in out) b[k] = out[k];
      return b;
    });
    for (const t of rest) for (const k of FOR_TYPE[t] ?? []) delete out[k];
    const anyOf = out.anyOf ? { allOf: [{ anyOf: out.anyOf }, { anyOf: branches }] } : { anyOf: branches };
    delete out.anyOf;
    return { ...out, ...anyOf };
  }

  /** Every component used so far, and the ones they use, in name order. */
  components(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let pending = [...this.used]; pending.length; pending = [...this.used].filter((n) => !(n in out))) {
      for (const name of pending) out[name] = this.convert(componentSchema(name), true);
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }
}

function parameters(c: SchemaConverter, schema: unknown, where: 'path' | 'query'): JsonSchema[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, prop]) => {
    const { description, examples, ...rest } = isObject(prop) ? prop : {};
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: c.convert(rest),
      ...(Array.isArray(examples) && examples.length ? { example: examples[0] } : {}),
    };
  });
}

function requestBody(c: SchemaConverter, schema: Partial<RouteSchema>): JsonSchema | undefined {
  const convertContent = (content: unknown) => mapValues(isObject(content) ? content : {}, (m) => (isObject(m) ? { ...m, schema: c.convert(m.schema) } : m));
  if (schema.requestBody) return { ...schema.requestBody, content: convertContent(schema.requestBody.content) };
  const body = schema.body;
  if (!isObject(body)) return undefined;
  if (isObject(body.content)) return { required: true, content: convertContent(body.content) };
  return {
    required: true,
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    content: { 'application/json': { schema: c.convert(body) } },
  };
}

function responses(c: SchemaConverter, response: unknown): JsonSchema {
  const out: JsonSchema = {};
  for (const [code, r] of Object.entries(isObject(response) ? response : {})) {
    if (!isObject(r)) continue;
    const key = /^[1-5]xx$/i.test(code) ? code.toUpperCase() : code;
    const description = typeof r.description === 'string' ? r.description : (STATUS_CODES[code] ?? 'Response');
    if (isObject(r.content)) out[key] = { description, content: mapValues(r.content, (m) => (isObject(m) ? { ...m, schema: c.convert(m.schema) } : m)) };
    else if (r.type === 'null') out[key] = { description };
    else out[key] = { description, content: { 'application/json': { schema: c.convert(r) } } };
  }
  return out;
}

const operationIdOf = (method: string, path: string) =>
  method.toLowerCase() + path.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

const TAGS = [
  { name: 'functions', description: 'Functions: a name, its revisions and its traffic table.' },
  { name: 'revisions', description: 'Deploys, configuration changes and revisions.' },
  { name: 'traffic', description: 'Traffic tables: which revisions get the requests.' },
  { name: 'logs', description: 'Function logs.' },
  { name: 'host', description: 'Health, readiness, status, metrics and this document.' },
];

export const SECURITY_SCHEME = 'adminToken';

/** The OpenAPI document of the given routes. */
export function buildOpenApi(routes: readonly CollectedRoute[]): JsonSchema {
  const c = new SchemaConverter();
  const paths: Record<string, JsonSchema> = {};
  for (const r of routes) {
    const s = r.schema ?? {};
    const path = openApiPath(r.url);
    const params = parameters(c, s.params, 'path');
    // Every templated path parameter must be declared, schema or not.
    for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
      if (!params.some((p) => p.name === name)) params.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    }
    params.push(...parameters(c, s.querystring, 'query'));
    const body = requestBody(c, s);
    const op: JsonSchema = {
      operationId: s.operationId ?? operationIdOf(r.method, path),
      ...(s.summary !== undefined ? { summary: s.summary } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(body ? { requestBody: body } : {}),
      responses: responses(c, s.response),
      ...(s.security ? { security: s.security } : {}),
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'isoedge admin API',
      version: pkg.version,
      description:
        'Deploy functions, manage revisions and traffic, read logs and host status. Errors are JSON `{code, message, requestId}` with a stable `EDGE_ERR_*` code. Human-readable reference: docs/admin-api.md.',
      license: { name: pkg.license },
    },
    tags: TAGS,
    paths,
    components: {
      schemas: c.components(),
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin token (`ISOEDGE_ADMIN_TOKEN` / `--admin-token`). When the host has one, every call except `/healthz` and `/readyz` needs `Authorization: Bearer <token>`; without one, the admin listener is open (loopback only).',
        },
      },
    },
    security: [{ [SECURITY_SCHEME]: [] }],
  };
}

/** Serves the document of `routes`, built on the first request (every route is registered by then). */
export async function openapiRoutes(app: FastifyInstance, opts: { routes: readonly CollectedRoute[] }): Promise<void> {
  let doc: JsonSchema | undefined;
  app.get('/v1/openapi.json', { schema: openapiSchema }, async () => (doc ??= buildOpenApi(opts.routes)));
}
