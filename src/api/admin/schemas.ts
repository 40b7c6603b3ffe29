/**
 * JSON Schemas of the admin API. Fastify validates requests and serializes
 * responses with these objects, and openapi.ts turns the very same objects into
 * `GET /v1/openapi.json` — there is no second copy of the API description.
 *
 * Request schemas only refuse what the handlers would refuse anyway, and with
 * the code the handlers use: the checks that have precise messages (name
 * pattern, value ranges, unknown fields, percents summing to 100, tag pattern)
 * stay in the handlers and are described here in `description`. The admin
 * instance's validator never rewrites a request (no type coercion, no defaults,
 * no removal of properties; see index.ts), so `default` and `examples` here are
 * documentation only.
 *
 * Response schemas must declare every field a handler returns: fast-json-stringify
 * drops undeclared ones. Objects whose shape is owned by another module (config,
 * autoscaler status, executor stats, log entries) also allow additional properties.
 */
import type { FastifySchema, FastifySchemaValidationError } from 'fastify';
import { ERROR_CODES, EdgeError, type ErrorCode } from '../../core/errors.ts';
import { COMPATIBILITY_FLAGS, CONFIG_FIELDS, MAX_CRONS } from '../../deploy/index.ts';
import { LIMIT_NAMES, SCALING_NAMES, SETTABLE_NAMES, settable, settingDescription, settingPath, type SettableName } from '../../config/index.ts';

export type JsonSchema = { [key: string]: unknown };

/** A route's schema: what fastify uses, plus the operation's documentation. */
export interface RouteSchema extends FastifySchema {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** OpenAPI security requirements; `[]` marks a route the bearer token does not guard. */
  security?: Record<string, string[]>[];
  /**
   * An OpenAPI Request Body Object for a body fastify does not validate (the deploy
   * body is JavaScript, Wasm or multipart); its `schema`s are JSON Schemas like the rest.
   */
  requestBody?: JsonSchema;
}

// ---------------------------------------------------------------------------
// Named schemas: documented once under components.schemas and referenced by $ref.

const names = new WeakMap<object, string>();
const canonical = new Map<string, JsonSchema>();

function component<T extends JsonSchema>(name: string, schema: T): T {
  names.set(schema, name);
  canonical.set(name, schema);
  return schema;
}

/** A component with another description (a response's); still documented as a $ref to the component. */
function alias<T extends JsonSchema>(schema: T, description: string): T {
  const name = names.get(schema);
  if (!name) throw new Error('alias() needs a component');
  const copy = { ...schema, description };
  names.set(copy, name);
  return copy;
}

/** The component name of a schema object, if it is one (or an alias of one). */
export function componentOf(schema: object): string | undefined {
  return names.get(schema);
}

export function componentSchema(name: string): JsonSchema | undefined {
  return canonical.get(name);
}

// ---------------------------------------------------------------------------
// Validation errors: a request refused by a schema gets an EDGE_ERR_* code like any other.

function describeErrors(errors: FastifySchemaValidationError[], dataVar: string): { message: string; errors: { path: string; message: string }[] } {
  // A failed oneOf/anyOf reports each branch and then itself; the branches say more, and a
  // branch that got past the type check and failed deeper says more than one of the wrong type.
  const deeper = (e: FastifySchemaValidationError) => errors.some((o) => o.instancePath.startsWith(`${e.instancePath}/`));
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && !(e.keyword === 'type' && deeper(e)));
  const list = (specific.length ? specific : errors).map((e) => ({ path: `${dataVar}${e.instancePath}`, message: e.message ?? e.keyword }));
  return { message: [...new Set(list.map((e) => `${e.path} ${e.message}`))].join('; '), errors: list };
}

/** A schemaErrorFormatter answering `code` (400) with the validator's findings in `details.errors`. */
export function validationError(code: ErrorCode, what?: string): (errors: FastifySchemaValidationError[], dataVar: string) => Error {
  return (errors, dataVar) => {
    const d = describeErrors(errors, dataVar);
    return new EdgeError(code, what ? `${what}: ${d.message}` : d.message, { details: { errors: d.errors } });
  };
}

// ---------------------------------------------------------------------------
// Shared pieces.

const NAME_RULE = '`^[a-z][a-z0-9-]{0,62}$`';
const TAG_RULE = NAME_RULE;

export const ErrorSchema = component('Error', {
  type: 'object',
  description: 'Every error the host returns. Match on `code` (stable, listed in docs/errors.md), not on `message`.',
  required: ['code', 'message', 'requestId'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'The stable error code.' },
    message: { type: 'string', description: 'What was wrong, for people; may be reworded between versions.' },
    requestId: { type: 'string', description: 'The id the host logged the request under (an incoming plain `x-request-id` of up to 64 characters is kept).' },
    details: {
      type: 'object',
      additionalProperties: true,
      description: 'More about some errors. A request refused by the schema has `errors: [{path, message}]`.',
    },
  },
  examples: [{ code: 'EDGE_ERR_FUNCTION_NOT_FOUND', message: 'no function named "nope"', requestId: '4b6f1c1e-8d0e-4a51-9a0c-0f8f5c1a2b3c' }],
});

/** Response entries for the given error codes, one per HTTP status, each listing its codes. */
function errors(...codes: ErrorCode[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_CODES[c].status, [...(byStatus.get(ERROR_CODES[c].status) ?? []), c]);
  const out: Record<string, JsonSchema> = {};
  for (const [status, cs] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = alias(ErrorSchema, cs.map((c) => `\`${c}\`: ${ERROR_CODES[c].meaning}`).join('\n\n'));
  }
  return out;
}
/** Errors every call behind the bearer token can answer. */
const AUTHED: ErrorCode[] = ['EDGE_ERR_UNAUTHORIZED', 'EDGE_ERR_INTERNAL'];
/** Errors of calls with a JSON body. */
const JSON_BODY: ErrorCode[] = ['EDGE_ERR_BAD_REQUEST', 'EDGE_ERR_BODY_TOO_LARGE', 'EDGE_ERR_UNSUPPORTED_MEDIA_TYPE'];

const NO_CONTENT = (description: string): JsonSchema => ({ type: 'null', description });

const dateTime = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });

/** A query parameter: a string, or several when it is repeated (the handlers use the last one). */
const query = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: ['string', 'array'], items: { type: 'string' }, description, ...extra });

const nameParam = {
  type: 'string',
  description: `The function name, ${NAME_RULE}. The handler checks it: a deploy answers 400 \`EDGE_ERR_INVALID_NAME\` for any other name, other calls 404 \`EDGE_ERR_FUNCTION_NOT_FOUND\`.`,
  examples: ['hello'],
};
const NameParams = { type: 'object', required: ['name'], properties: { name: nameParam } };
const RevisionParams = {
  type: 'object',
  required: ['name', 'revision'],
  properties: { name: nameParam, revision: { type: 'string', description: 'A revision of the function: `{name}-00001`, `{name}-00002`, …', examples: ['hello-00001'] } },
};

// ---------------------------------------------------------------------------
// Revision configuration: every limit and scaling setting is a row of config/revision-settings.ts.

const TRIGGERS_RULE = `five-field cron expressions (minute hour day-of-month month day-of-week, UTC; day of week 0–7 with 0 and 7 Sunday, or SUN–SAT), at most ${MAX_CRONS}`;
const FLAGS_RULE = `Only ${COMPATIBILITY_FLAGS.join(', ')} is accepted: the host is Workers without Node.js compatibility, and any other flag is refused rather than ignored.`;

const ENV_RULE = 'names match `^[A-Za-z_][A-Za-z0-9_]{0,127}$`, values are strings, 64 KiB in all';

/** As stored and answered: integers with their ranges. */
function storedInt(name: SettableName): JsonSchema {
  const { min, max } = settable(name);
  return { type: 'integer', minimum: min, maximum: max, description: settingDescription(name) };
}
/** In a merge patch: validated loosely (the handler checks the range, with its own message); `null` removes. */
function patchInt(name: SettableName): JsonSchema {
  return { type: ['integer', 'string', 'null'], description: `${settingDescription(name)} A string of digits is accepted too; \`null\` removes the setting.` };
}
const mapSettings = (names: readonly SettableName[], f: (name: SettableName) => JsonSchema) => Object.fromEntries(names.map((k) => [k, f(k)]));

const ASYNC_PROPS = {
  maxAttempts: { type: 'integer', description: 'Attempts before a call is dead, 1 to 100 (async.maxAttempts).' },
  initialRetryMs: { type: 'integer', description: 'Shortest wait before a retry (ms).' },
  maxRetryMs: { type: 'integer', description: 'Longest wait between attempts (ms).' },
  maxAgeS: { type: 'integer', description: 'A call is not tried again after it is this old (s).' },
  retryOn: { type: 'array', items: { type: 'integer' }, description: 'Statuses that are retried (default 408, 429, 500, 502, 503, 504).' },
  maxInflight: { type: 'integer', description: "The function's async calls running at once (async.maxInflight)." },
};

export const RevisionConfig = component('RevisionConfig', {
  type: 'object',
  description: `A revision's configuration. The \`config\` part of a multipart deploy has this shape (integers may also be strings of digits there); fields other than ${CONFIG_FIELDS.join(', ')} are refused with \`EDGE_ERR_INVALID_CONFIG\`, as are values out of range.`,
  properties: {
    env: { type: 'object', additionalProperties: { type: 'string' }, description: `Environment variables, the \`env\` argument of \`fetch(request, env, ctx)\`: ${ENV_RULE}.` },
    concurrency: storedInt('concurrency'),
    limits: { type: 'object', properties: mapSettings(LIMIT_NAMES, storedInt), additionalProperties: true, description: 'Per-request limits; an absent one is the host default.' },
    scaling: { type: 'object', properties: mapSettings(SCALING_NAMES, storedInt), additionalProperties: true, description: 'Per-revision autoscaling settings; absent ones (or the whole object) are host defaults.' },
    compatibilityDate: { type: 'string', description: "Workers' `compatibility_date` (YYYY-MM-DD), stored as given; the runtime does not vary by it.", examples: ['2025-01-01'] },
    compatibilityFlags: { type: 'array', items: { type: 'string' }, description: `Workers' \`compatibility_flags\`. ${FLAGS_RULE}` },
    triggers: { type: 'object', properties: { crons: { type: 'array', items: { type: 'string' }, description: `Cron triggers: ${TRIGGERS_RULE}.` } }, additionalProperties: true, description: "The revision's triggers (design §11): each tick runs the module's scheduled(controller, env, ctx) as an async invocation; a module without scheduled() is refused (`EDGE_ERR_MODULE_NO_SCHEDULED`)." },
    async: { type: 'object', properties: ASYNC_PROPS, additionalProperties: true, description: "The function's own policy for its async calls; absent ones are the host's async.* options." },
  },
  additionalProperties: true,
  examples: [{ env: { GREETING: 'hi' }, concurrency: 10, limits: { cpuMs: 20 }, scaling: { minScale: 1 } }],
});

export const ConfigPatch = component('ConfigPatch', {
  type: 'object',
  description: `A JSON merge patch (RFC 7396) over the latest revision's config: objects merge, \`null\` removes a key, anything else replaces. Fields other than ${CONFIG_FIELDS.join(', ')}, unknown limits or scaling settings, and values out of range are refused with \`EDGE_ERR_INVALID_CONFIG\`.`,
  properties: {
    env: { type: ['object', 'null'], additionalProperties: { type: ['string', 'null'] }, description: `Variables to set (strings) or remove (\`null\`): ${ENV_RULE}.` },
    concurrency: patchInt('concurrency'),
    limits: { type: ['object', 'null'], properties: mapSettings(LIMIT_NAMES, patchInt), description: `Limits to set or remove: ${LIMIT_NAMES.join(', ')}.` },
    scaling: { type: ['object', 'null'], properties: mapSettings(SCALING_NAMES, patchInt), description: `Scaling settings to set or remove: ${SCALING_NAMES.join(', ')}.` },
    compatibilityDate: { type: ['string', 'null'], description: 'A date YYYY-MM-DD; `null` removes it.' },
    compatibilityFlags: { type: ['array', 'null'], items: { type: 'string' }, description: `Replaces the flags; \`null\` removes them. ${FLAGS_RULE}` },
    triggers: { type: ['object', 'null'], properties: { crons: { type: ['array', 'null'], items: { type: 'string' }, description: `Replaces the cron triggers: ${TRIGGERS_RULE}.` } }, description: 'Triggers to set or remove.' },
    async: { type: ['object', 'null'], description: 'Async settings to set (or `null` to remove): maxAttempts, initialRetryMs, maxRetryMs, maxAgeS, retryOn, maxInflight.' },
  },
  examples: [{ env: { A: '1', B: null }, limits: { cpuMs: 20 } }],
});

// ---------------------------------------------------------------------------
// Traffic.

export const TrafficTarget = component('TrafficTarget', {
  type: 'object',
  description: 'One target of a traffic table: exactly one of `revision` or `latestRevision: true`, a percent and an optional tag.',
  properties: {
    revision: { type: 'string', description: 'A revision of this function.' },
    latestRevision: { type: 'boolean', description: '`true`: whatever revision is the newest, now and after later deploys.' },
    percent: { type: 'integer', description: 'Share of the requests: an integer from 0 to 100 (absent = 0). The percents of a table sum to 100.' },
    tag: { type: 'string', description: `A route of its own, even at 0 %: \`{tag}-{name}.{domain}\` or the header \`isoedge-tag: {tag}\`. Matches ${TAG_RULE}, unique in the table.` },
  },
  examples: [{ revision: 'hello-00001', percent: 90 }],
});

const TrafficTable = {
  type: 'array',
  minItems: 1,
  items: TrafficTarget,
  description: 'The traffic table. Untagged targets naming the same revision are merged.',
};

export const TrafficUpdate = component('TrafficUpdate', {
  description:
    'A whole new traffic table, as an array of targets or as `{"traffic": [...]}`. Percents are integers summing to 100, revisions must exist, tags are unique; a bad table is refused with 400 `EDGE_ERR_INVALID_CONFIG` and nothing changes.',
  oneOf: [TrafficTable, { type: 'object', required: ['traffic'], properties: { traffic: TrafficTable } }],
  examples: [[{ revision: 'hello-00001', percent: 90 }, { latestRevision: true, percent: 10, tag: 'canary' }]],
});

export const EffectiveTarget = component('EffectiveTarget', {
  type: 'object',
  description: 'The table as it routes now: `latestRevision` resolved, one entry per revision with a share, with the tags that name it.',
  required: ['revision', 'percent', 'tags'],
  properties: {
    revision: { type: 'string' },
    percent: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
  },
});

// ---------------------------------------------------------------------------
// Functions and revisions.

export const RevisionStatus = component('RevisionStatus', {
  type: 'object',
  description: 'Knative-style revision status, from the autoscaler and the executors.',
  required: ['routed', 'desired', 'ready', 'inflight', 'queued', 'panicMode', 'activatorInPath', 'lastDecision'],
  properties: {
    routed: { type: 'boolean', description: 'The traffic table sends it requests (by percent, by tag or as the latest revision).' },
    desired: { type: 'integer', description: 'Instances the autoscaler wants.' },
    ready: { type: 'integer', description: 'Live instances, as the executors report.' },
    inflight: { type: 'integer', description: 'Requests in flight.' },
    queued: { type: 'integer', description: 'Requests waiting (activator or queue).' },
    panicMode: { type: 'boolean' },
    activatorInPath: { type: 'boolean', description: 'Requests go through the activator (the revision is at zero or short of burst capacity).' },
    lastDecision: {
      type: ['object', 'null'],
      description: "The autoscaler's last decision, or null before the first.",
      properties: {
        at: dateTime('When it was made.'),
        desired: { type: 'integer' },
        recommended: { type: 'number', description: "The autoscaler's own answer before bounds, grace and activation; -1 when it had no valid data." },
        stableConcurrency: { type: ['number', 'null'], description: 'Average concurrency over the stable window.' },
        panicConcurrency: { type: ['number', 'null'], description: 'Average concurrency over the panic window.' },
        excessBurstCapacity: { type: 'number', description: 'Negative keeps the activator in the path.' },
        reason: { type: 'string' },
      },
      additionalProperties: true,
    },
  },
  additionalProperties: true,
});

const ABI = { type: 'string', enum: ['edge-host', 'wasi-http'], description: 'Components only: the world served, `edge-host` (edge:host/handler@0.1.0) or `wasi-http` (wasi:http/proxy, WASI 0.2).' };

export const Revision = component('Revision', {
  type: 'object',
  description: 'An immutable revision: module bytes (by sha256) and configuration.',
  required: ['name', 'function', 'digest', 'runtime', 'config', 'createdAt', 'status'],
  properties: {
    name: { type: 'string', description: '`{function}-00001`, …' },
    function: { type: 'string' },
    digest: { type: 'string', description: 'sha256 of the module, hex.' },
    runtime: { type: 'string', description: '`js`, `wasm` (core WebAssembly) or `component`.' },
    abi: ABI,
    config: RevisionConfig,
    createdAt: dateTime('Creation time.'),
    status: RevisionStatus,
  },
});

const functionCommon = {
  name: { type: 'string' },
  url: { type: 'string', description: "The function's URL on the edge: `http://{name}.{domain}:{port}/`." },
  createdAt: dateTime('When the function was first deployed.'),
  latestRevision: { type: ['string', 'null'], description: 'The newest revision, or null when there is none.' },
  traffic: { type: 'array', items: TrafficTarget, description: 'The traffic table as set.' },
};

export const FunctionSummary = component('FunctionSummary', {
  type: 'object',
  required: ['name', 'url', 'latestRevision', 'traffic', 'createdAt'],
  properties: functionCommon,
});

export const FunctionView = component('Function', {
  type: 'object',
  description: 'A function with its traffic table, the traffic as it routes now, and every revision.',
  required: ['name', 'url', 'createdAt', 'latestRevision', 'traffic', 'effectiveTraffic', 'revisions'],
  properties: {
    ...functionCommon,
    generation: { type: 'integer', description: 'Moves on with every change to the function (a revision made or deleted, a traffic table set); writes compare-and-set on it.' },
    effectiveTraffic: { type: 'array', items: EffectiveTarget },
    revisions: { type: 'array', items: Revision, description: 'Oldest first.' },
  },
});

export const NewRevision = component('NewRevision', {
  type: 'object',
  description: 'The revision a deploy or a configuration change created, and the traffic table after it.',
  required: ['name', 'revision', 'digest', 'runtime', 'url', 'createdAt', 'traffic'],
  properties: {
    name: { type: 'string', description: 'The function.' },
    revision: { type: 'string', description: 'The new revision.' },
    digest: { type: 'string', description: 'sha256 of the module, hex.' },
    runtime: { type: 'string', description: '`js`, `wasm` (core WebAssembly) or `component`.' },
    abi: ABI,
    url: functionCommon.url,
    createdAt: dateTime('Creation time of the revision.'),
    traffic: { type: 'array', items: TrafficTarget, description: 'The traffic table after the change.' },
    config: alias(RevisionConfig, 'The new configuration (configuration changes only).'),
  },
});

const NodeApplied = { type: 'object', required: ['id', 'name', 'applied'], properties: { id: { type: 'string' }, name: { type: 'string' }, applied: { type: 'integer', description: 'The state sequence the node applied.' } } } as const;
const ReadyState = component('ReadyState', {
    type: 'object',
    required: ['ready', 'seq', 'nodes', 'waiting'],
    properties: {
      ready: { type: 'boolean', description: 'Every live node applied the change.' },
      seq: { type: 'integer', description: 'The state sequence the change left: a node that applied at least this serves it.' },
      nodes: { type: 'array', items: NodeApplied, description: 'Nodes that answered the probe having applied it.' },
      waiting: { type: 'array', items: NodeApplied, description: 'Live nodes that had not applied it when the wait ended.' },
    },
});

export const NodeReport = component('NodeReport', {
  type: 'object',
  required: ['id', 'name', 'startedAt', 'at', 'applied', 'functions', 'executors', 'inflight', 'rssBytes', 'edge', 'admin', 'store', 'storeConnected'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    startedAt: { type: 'integer', description: 'Unix ms.' },
    at: { type: 'integer', description: 'Unix ms of the heartbeat this report came from.' },
    applied: { type: 'integer', description: 'The state sequence (generation) the node applied: its route tables are at least this new.' },
    functions: { type: 'integer' },
    executors: { type: 'integer', description: 'Executor threads running.' },
    inflight: { type: 'integer', description: 'Requests in flight.' },
    rssBytes: { type: 'integer' },
    edge: { type: 'string', description: 'The edge listener.' },
    admin: { type: 'string', description: 'The admin listener.' },
    store: { type: 'string', enum: ['sqlite', 'nats'] },
    storeConnected: { type: 'boolean', description: 'False while the node cannot reach the store (it keeps serving what it last knew).' },
  },
});

export const TrafficState = component('TrafficState', {
  type: 'object',
  description: 'The traffic table now in force.',
  required: ['name', 'traffic', 'effectiveTraffic'],
  properties: {
    name: { type: 'string' },
    traffic: { type: 'array', items: TrafficTarget, description: 'The table as stored (validated and merged).' },
    effectiveTraffic: { type: 'array', items: EffectiveTarget },
    ready: alias(ReadyState, 'With `wait=ready`: whether every live node applied the table before the wait ended, and which had not.'),
  },
});

export const LogEntry = component('LogEntry', {
  type: 'object',
  description: 'A log line of a function: its `console.*` output (`source: guest`) or one line per request (`source: host`).',
  required: ['time', 'level', 'source', 'function', 'revision', 'reqId', 'msg'],
  properties: {
    time: dateTime('When it was logged.'),
    level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] },
    source: { type: 'string', enum: ['guest', 'host'] },
    function: { type: 'string' },
    revision: { type: 'string' },
    reqId: { type: 'string', description: 'The edge request id, shared by the lines of one request.' },
    msg: { type: 'string' },
    request: {
      type: 'object',
      description: 'Host request lines: method, path, status, duration and start tier.',
      properties: { method: { type: 'string' }, path: { type: 'string' }, status: { type: 'integer' }, ms: { type: 'number' }, tier: { type: 'string', enum: ['hot', 'warm', 'cold'] } },
      additionalProperties: true,
    },
  },
  additionalProperties: true,
});

export const ExecutorStats = component('ExecutorStats', {
  type: 'object',
  description: 'One executor thread.',
  properties: {
    warm: { type: 'integer', description: 'Generic isolates in the warm pool.' },
    warmTarget: { type: 'integer', description: 'Warm pool size it aims for.' },
    hot: { type: 'integer', description: 'Idle specialised instances kept.' },
    hotBytes: { type: 'integer', description: 'Their heap bytes.' },
    hotRevisions: { type: 'integer' },
    evictions: { type: 'integer' },
    inflight: { type: 'integer' },
    starts: { type: 'object', properties: { hot: { type: 'integer' }, warm: { type: 'integer' }, cold: { type: 'integer' } }, additionalProperties: true, description: 'Instance starts by tier.' },
    isolatesCreated: { type: 'integer', description: 'Isolates the warm pool made (new or reused).' },
    isolatesReused: { type: 'integer', description: 'Contexts made in the isolate of a retired instance instead of a new isolate.' },
    spareIsolates: { type: 'integer', description: 'Isolates of retired instances waiting for reuse.' },
  },
  additionalProperties: true,
});

export const HostStatus = component('HostStatus', {
  type: 'object',
  required: ['functions', 'memory', 'executors', 'threads'],
  properties: {
    functions: { type: 'integer', description: 'Deployed functions.' },
    memory: { type: 'object', properties: { rss: { type: 'integer' }, heapUsed: { type: 'integer' }, external: { type: 'integer' } }, additionalProperties: true, description: 'Host process memory (bytes).' },
    executors: { type: 'array', items: ExecutorStats },
    threads: {
      type: 'object',
      description: 'Executor threads: desired by the thread autoscaler, running, and its panic mode.',
      properties: { desired: { type: 'integer' }, running: { type: 'integer' }, panicMode: { type: 'boolean' } },
      additionalProperties: true,
    },
  },
  additionalProperties: true,
});

// ---------------------------------------------------------------------------
// Routes.

/** Content types a deploy takes as a raw JavaScript module. */
export const JS_TYPES = ['application/javascript', 'text/javascript', 'application/ecmascript', 'text/ecmascript'];
const MODULE_BYTES = 'the module bytes, up to `limits.moduleBytes` (10 MiB by default)';

const rolloutQuery = {
  noTraffic: query('`true` (or `1`, or present without a value) stages the revision: every `latestRevision` target is pinned to the revision that was latest before, so no traffic moves. The first revision of a function always takes the traffic.', { examples: ['true'] }),
  tag: query(`Gives the new revision a route of its own at 0 % under this tag (moved from any revision that had it); matches ${TAG_RULE}.`, { examples: ['preview'] }),
};

export const deployRevision: RouteSchema = {
  operationId: 'deployRevision',
  summary: 'Deploy a new revision',
  description:
    'Creates the function on its first deploy. The module is checked (it must parse, import nothing the host does not provide, and have a default export with `fetch`) and evaluated once before anything is stored; a refused module stores nothing. Query parameters override the `config` part of a multipart body; unknown query parameters are refused with `EDGE_ERR_INVALID_CONFIG`. By default the traffic table is kept, so a `latestRevision` target (the default table) moves to the new revision.',
  tags: ['revisions'],
  params: NameParams,
  querystring: {
    type: 'object',
    properties: {
      'env.NAME': query(`Sets the environment variable NAME (put the variable's name in place of \`NAME\`; repeat for more variables): ${ENV_RULE}.`, { examples: ['value'] }),
      ...Object.fromEntries(SETTABLE_NAMES.map((k) => [k, query(`\`${settingPath(k)}\`: ${settingDescription(k)}`)])),
      ...rolloutQuery,
    },
    additionalProperties: true,
  },
  requestBody: {
    required: true,
    description: `The module: ${MODULE_BYTES}, as a JavaScript module (Workers module syntax, one self-contained file) or a multipart form.`,
    content: {
      ...Object.fromEntries(JS_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary', description: 'The module source, UTF-8.' } }])),
      'application/wasm': { schema: { type: 'string', format: 'binary', description: 'A core WebAssembly module on the edge-core-v1 ABI (docs/host-abi.md §2), or a component for edge:host/handler@0.1.0 (§3) or wasi:http/proxy (§4).' } },
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['module'],
          properties: {
            module: { type: 'string', format: 'binary', description: 'The module file (required; 400 `EDGE_ERR_BAD_REQUEST` without it).' },
            config: RevisionConfig,
          },
        },
        encoding: { config: { contentType: 'application/json' }, module: { contentType: 'application/javascript' } },
      },
    },
  },
  response: {
    201: alias(NewRevision, 'The new revision.'),
    ...errors(...AUTHED, 'EDGE_ERR_BAD_REQUEST', 'EDGE_ERR_INVALID_NAME', 'EDGE_ERR_INVALID_CONFIG', 'EDGE_ERR_MODULE_PARSE', 'EDGE_ERR_MODULE_NO_FETCH', 'EDGE_ERR_MODULE_INIT',
      'EDGE_ERR_MODULE_TOO_LARGE', 'EDGE_ERR_BODY_TOO_LARGE', 'EDGE_ERR_UNSUPPORTED_MEDIA_TYPE', 'EDGE_ERR_STORE_UNAVAILABLE'),
  },
};

export const patchConfig: RouteSchema = {
  operationId: 'patchConfig',
  summary: 'Change the configuration (a new revision of the same code)',
  description: "Applies a JSON merge patch to the latest revision's config and records the result as a new revision of the same module; it joins the traffic like a deploy.",
  tags: ['revisions'],
  params: NameParams,
  querystring: { type: 'object', properties: rolloutQuery, additionalProperties: true },
  body: ConfigPatch,
  response: {
    201: alias(NewRevision, 'The new revision, with its configuration.'),
    ...errors(...AUTHED, ...JSON_BODY, 'EDGE_ERR_INVALID_CONFIG', 'EDGE_ERR_FUNCTION_NOT_FOUND', 'EDGE_ERR_REVISION_NOT_FOUND', 'EDGE_ERR_STORE_UNAVAILABLE'),
  },
};

export const listFunctions: RouteSchema = {
  operationId: 'listFunctions',
  summary: 'List functions',
  tags: ['functions'],
  response: {
    200: { type: 'object', description: 'Every function.', required: ['functions'], properties: { functions: { type: 'array', items: FunctionSummary } } },
    ...errors(...AUTHED),
  },
};

export const getFunction: RouteSchema = {
  operationId: 'getFunction',
  summary: 'Get a function',
  description: 'The function, its traffic table and the traffic as it routes now, and its revisions with their configuration and scaling status.',
  tags: ['functions'],
  params: NameParams,
  response: { 200: alias(FunctionView, 'The function.'), ...errors(...AUTHED, 'EDGE_ERR_FUNCTION_NOT_FOUND') },
};

export const listRevisions: RouteSchema = {
  operationId: 'listRevisions',
  summary: 'List the revisions of a function',
  tags: ['revisions'],
  params: NameParams,
  response: {
    200: { type: 'object', description: 'Its revisions, oldest first.', required: ['revisions'], properties: { revisions: { type: 'array', items: Revision } } },
    ...errors(...AUTHED, 'EDGE_ERR_FUNCTION_NOT_FOUND'),
  },
};

export const getRevision: RouteSchema = {
  operationId: 'getRevision',
  summary: 'Get a revision',
  tags: ['revisions'],
  params: RevisionParams,
  response: { 200: alias(Revision, 'The revision.'), ...errors(...AUTHED, 'EDGE_ERR_FUNCTION_NOT_FOUND', 'EDGE_ERR_REVISION_NOT_FOUND') },
};

export const setTraffic: RouteSchema = {
  operationId: 'setTraffic',
  summary: 'Replace the traffic table',
  description: 'Swaps the whole table at once: a request sees the old table or the new one, and requests in flight finish on the revision they started on. A rollback is a traffic update.',
  tags: ['traffic'],
  params: NameParams,
  querystring: {
    type: 'object',
    properties: {
      wait: query('`ready`: answer once every live node of the cluster applied the table (Knative probes each gateway the same way), or when `timeoutMs` ends; the answer\'s `ready` says which.', { examples: ['ready'] }),
      timeoutMs: query('How long `wait=ready` waits (ms, default 10000, at most 60000).', { examples: ['5000'] }),
    },
    additionalProperties: true,
  },
  body: TrafficUpdate,
  response: { 200: alias(TrafficState, 'The table now in force.'), ...errors(...AUTHED, ...JSON_BODY, 'EDGE_ERR_INVALID_CONFIG', 'EDGE_ERR_FUNCTION_NOT_FOUND', 'EDGE_ERR_CONFLICT', 'EDGE_ERR_STORE_UNAVAILABLE') },
};

export const deleteFunction: RouteSchema = {
  operationId: 'deleteFunction',
  summary: 'Delete a function and its revisions',
  description: 'Requests in flight finish.',
  tags: ['functions'],
  params: NameParams,
  response: { 204: NO_CONTENT('Deleted.'), ...errors(...AUTHED, 'EDGE_ERR_FUNCTION_NOT_FOUND', 'EDGE_ERR_STORE_UNAVAILABLE') },
};

export const deleteRevision: RouteSchema = {
  operationId: 'deleteRevision',
  summary: 'Delete a revision',
  description: 'Refused while the traffic table routes to it, by percent, by tag or as the latest revision.',
  tags: ['revisions'],
  params: RevisionParams,
  response: { 204: NO_CONTENT('Deleted.'), ...errors(...AUTHED, 'EDGE_ERR_FUNCTION_NOT_FOUND', 'EDGE_ERR_REVISION_NOT_FOUND', 'EDGE_ERR_REVISION_HAS_TRAFFIC', 'EDGE_ERR_CONFLICT', 'EDGE_ERR_STORE_UNAVAILABLE') },
};

export const getLogs: RouteSchema = {
  operationId: 'getLogs',
  summary: 'Recent log lines of a function, or a live stream',
  description:
    'Without `follow`: the most recent lines as JSON. With `follow=true`: a server-sent event stream (`event: log`, `data:` one LogEntry as JSON) of the recent lines, then a `: live` comment, then live lines as they come, with a `: keep-alive` comment every 15 s.',
  tags: ['logs'],
  params: NameParams,
  querystring: {
    type: 'object',
    properties: {
      follow: query('`true`, `1` or present without a value: stream as server-sent events; anything else answers JSON.', { default: 'false', examples: ['true'] }),
      tail: query('How many recent lines, from 0 to logs.linesPerFunction (1000 by default; larger is clamped; not a number is 0).', { default: '100', examples: ['50'] }),
    },
    additionalProperties: true,
  },
  response: {
    200: {
      description: 'The log lines, oldest first.',
      content: {
        'application/json': { schema: { type: 'object', required: ['logs'], properties: { logs: { type: 'array', items: LogEntry } } } },
        'text/event-stream': { schema: { type: 'string', description: 'Server-sent events, with `follow=true`.' } },
      },
    },
    ...errors(...AUTHED, 'EDGE_ERR_FUNCTION_NOT_FOUND'),
  },
};

const OPEN: Record<string, string[]>[] = [];

export const healthz: RouteSchema = {
  operationId: 'healthz',
  summary: 'Liveness',
  description: 'Needs no token.',
  tags: ['host'],
  security: OPEN,
  response: {
    200: { type: 'object', description: 'The process is up.', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
    ...errors('EDGE_ERR_INTERNAL'),
  },
};

export const readyz: RouteSchema = {
  operationId: 'readyz',
  summary: 'Readiness',
  description: 'Needs no token. Ready once the executors are up.',
  tags: ['host'],
  security: OPEN,
  response: {
    200: { type: 'object', description: 'Ready.', required: ['status', 'functions'], properties: { status: { type: 'string', enum: ['ready'] }, functions: { type: 'integer', description: 'Deployed functions.' } } },
    503: { type: 'object', description: 'Still starting, stopping, or without its store.', required: ['status'], properties: { status: { type: 'string', enum: ['starting', 'unavailable'] }, reason: { type: 'string', description: 'What it waits for.' } } },
    ...errors('EDGE_ERR_INTERNAL'),
  },
};

export const metrics: RouteSchema = {
  operationId: 'metrics',
  summary: 'Prometheus metrics',
  description:
    'Requests by outcome, start-latency histograms by tier, per-revision desired/ready/in-flight/queued instances, panic mode and excess burst capacity, executor threads, functions and RSS.',
  tags: ['host'],
  response: {
    200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } },
    ...errors(...AUTHED),
  },
};

export const status: RouteSchema = {
  operationId: 'status',
  summary: 'Host status',
  description: 'Host memory, executor threads (desired, running, panic) and, per executor, warm pool, hot instances, evictions and start counts by tier.',
  tags: ['host'],
  response: { 200: alias(HostStatus, 'The host status.'), ...errors(...AUTHED) },
};

export const listNodes: RouteSchema = {
  operationId: 'listNodes',
  summary: 'The live nodes of the cluster',
  description: 'Every node that sent a heartbeat within the last five heartbeat periods (`node.heartbeatMs`), with its load and the state sequence it applied. On the SQLite store, this node alone.',
  tags: ['host'],
  response: { 200: { type: 'object', description: 'The nodes.', required: ['self', 'nodes'], properties: { self: { type: 'string', description: 'The id of the node that answered.' }, nodes: { type: 'array', items: NodeReport } } }, ...errors(...AUTHED, 'EDGE_ERR_STORE_UNAVAILABLE') },
};

export const openapi: RouteSchema = {
  operationId: 'openapi',
  summary: 'This API as an OpenAPI 3.0 document',
  description: 'Generated from the schemas the admin listener validates and serializes with.',
  tags: ['host'],
  response: { 200: { type: 'object', description: 'The OpenAPI document.', additionalProperties: true }, ...errors(...AUTHED) },
};

// ---------------------------------------------------------------------------
// Async invocations (design §11).

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];
const AttemptSchema = {
  type: 'object',
  description: 'One try: the function\'s status when it answered, else the host\'s error code.',
  required: ['n', 'startedAt', 'durationMs'],
  properties: { n: { type: 'integer' }, startedAt: dateTime('When it started.'), durationMs: { type: 'number' }, status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: true,
};
const invocationCommon = {
  id: { type: 'string', description: 'The call id (also the `isoedge-call-id` and `X-Call-Id` of the 202, and the request id of its runs).' },
  function: { type: 'string' },
  status: { type: 'string', enum: STATUSES, description: 'queued (waiting to run, or for a retry), running, succeeded, failed (a status that is not retried, or noRetry()), dead (out of attempts or past async.maxAgeS), cancelled.' },
  createdAt: dateTime('When it was submitted.'),
  finishedAt: dateTime('When it reached its final status.'),
  nextAttemptAt: dateTime('A queued call that already failed once: when it runs again.'),
  error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, additionalProperties: true, description: 'Why a failed or dead call ended.' },
  scheduled: { type: 'object', properties: { cron: { type: 'string' }, scheduledTime: dateTime('The tick.') }, additionalProperties: true, description: 'A cron tick\'s call: it ran scheduled(), not fetch().' },
  replayOf: { type: 'string', description: 'The call this one replays.' },
};
export const InvocationSummary = component('InvocationSummary', {
  type: 'object',
  required: ['id', 'function', 'status', 'createdAt', 'attempts'],
  properties: {
    ...invocationCommon,
    attempts: { type: 'integer', description: 'How many attempts ran.' },
    lastAttempt: AttemptSchema,
    resultStatus: { type: 'integer', description: 'The status the function answered last.' },
  },
  additionalProperties: true,
});
export const Invocation = component('Invocation', {
  type: 'object',
  required: ['id', 'function', 'status', 'createdAt', 'request', 'attempts'],
  properties: {
    ...invocationCommon,
    request: {
      type: 'object',
      properties: { method: { type: 'string' }, url: { type: 'string' }, headers: { type: 'array', items: { type: 'array', items: { type: 'string' } } }, bodyBytes: { type: 'integer' }, tag: { type: 'string' } },
      additionalProperties: true,
    },
    attempts: { type: 'array', items: AttemptSchema },
    result: {
      type: 'object',
      description: 'The last answer: status, headers, and up to async.resultBytes of the body (text when UTF-8, else base64).',
      properties: {
        status: { type: 'integer' }, headers: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
        body: { type: ['string', 'null'] }, bodyEncoding: { type: 'string', enum: ['utf8', 'base64'] }, truncated: { type: 'boolean' },
      },
      additionalProperties: true,
    },
    key: { type: 'string', description: 'The X-Call-Id, Idempotency-Key or CloudEvent (source, id) it was deduplicated by.' },
    callback: {
      type: 'object',
      properties: { url: { type: 'string' }, status: { type: 'string', enum: ['pending', 'delivered', 'failed'] }, attempts: { type: 'integer' }, lastError: { type: 'string' } },
      additionalProperties: true,
    },
  },
  additionalProperties: true,
});
const IdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'A call id, from the 202 of its submission.', examples: ['0b5e3f9c-1f0e-4a3b-8d2e-6f1c2a9b7d10'] } } };

export const getInvocation: RouteSchema = {
  operationId: 'getInvocation',
  summary: 'An async call: status, attempts, result',
  tags: ['invocations'],
  params: IdParams,
  response: { 200: alias(Invocation, 'The call.'), ...errors(...AUTHED, 'EDGE_ERR_INVOCATION_NOT_FOUND') },
};
export const listInvocations: RouteSchema = {
  operationId: 'listInvocations',
  summary: "A function's async calls, newest first",
  tags: ['invocations'],
  params: NameParams,
  querystring: {
    type: 'object',
    properties: {
      status: query(`Only calls in these statuses (comma-separated): ${STATUSES.join(', ')}.`, { examples: ['dead,failed'] }),
      limit: query('At most this many, 1 to 1000.', { default: '100' }),
      before: query('Only calls submitted before this call id (the next page).'),
    },
    additionalProperties: true,
  },
  response: {
    200: { description: 'The calls.', type: 'object', required: ['invocations'], properties: { invocations: { type: 'array', items: InvocationSummary } } },
    ...errors(...AUTHED, 'EDGE_ERR_BAD_REQUEST', 'EDGE_ERR_FUNCTION_NOT_FOUND'),
  },
};
export const cancelInvocation: RouteSchema = {
  operationId: 'cancelInvocation',
  summary: 'Cancel a queued async call',
  description: 'Only a queued call can be cancelled (one waiting for a retry counts); a running or finished call answers 409.',
  tags: ['invocations'],
  params: IdParams,
  response: { 200: alias(Invocation, 'The call, now cancelled.'), ...errors(...AUTHED, 'EDGE_ERR_INVOCATION_NOT_FOUND', 'EDGE_ERR_INVOCATION_STATE') },
};
export const replayInvocation: RouteSchema = {
  operationId: 'replayInvocation',
  summary: 'Run a failed or dead async call again, as a new call',
  tags: ['invocations'],
  params: IdParams,
  response: { 202: alias(Invocation, 'The new call (its `replayOf` names the old one).'), ...errors(...AUTHED, 'EDGE_ERR_INVOCATION_NOT_FOUND', 'EDGE_ERR_INVOCATION_STATE', 'EDGE_ERR_ASYNC_QUEUE_FULL') },
};
