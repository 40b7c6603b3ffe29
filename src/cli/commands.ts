/** The CLI's client commands: each talks to the admin API (or the edge) and prints a table or JSON. */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { bundleWorker, readProject, WRANGLER_FILES } from '../bundle/index.ts';
import { adminCall, adminStream, apiError, type Endpoints } from './http.ts';
import { UsageError, type Parsed } from './args.ts';
import { table } from './table.ts';
import { REVISION_FLAGS } from './revision-flags.ts';

export interface Ctx {
  ep: Endpoints;
  json: boolean;
  out: (s: string) => void;
  /** Warnings (stderr): kept out of `out` so --json stays parseable. */
  warn: (s: string) => void;
}

interface Target { revision?: string; latestRevision?: boolean; percent: number; tag?: string }
interface RevisionView { name: string; digest: string; createdAt: string; config: { env: Record<string, string>; concurrency: number }; status: { routed: boolean; desired: number; ready: number; inflight: number; queued: number; panicMode: boolean } }
interface FunctionView { name: string; url: string; latestRevision: string | null; traffic: Target[]; effectiveTraffic: { revision: string; percent: number; tags: string[] }[]; revisions: RevisionView[] }

const trafficText = (t: Target[]) => t.map((x) => `${x.latestRevision ? '@latest' : x.revision}=${x.percent}%${x.tag ? `(${x.tag})` : ''}`).join(' ');
const need = (p: Parsed, i: number, what: string): string => {
  const v = p.positionals[i];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
};
const int = (v: unknown, what: string, signed = false): number => {
  if (typeof v !== 'string' || !(signed ? /^(?:-[1-9]\d*|\d+)$/ : /^\d+$/).test(v)) throw new UsageError(`${what} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
};

/**
 * The per-setting flags (`--cpu-ms`, `--min-scale`, …) over the manifest's config. Only the
 * number's form is checked here: the host checks bounds and maximums, with the API's messages.
 */
function applySettingFlags(config: Record<string, unknown>, p: Parsed): void {
  const groups: Record<string, Record<string, unknown>> = {
    limits: { ...((config.limits as Record<string, unknown>) ?? {}) },
    scaling: { ...((config.scaling as Record<string, unknown>) ?? {}) },
  };
  for (const f of REVISION_FLAGS) {
    const v = p.flags[f.flag];
    if (v === undefined) continue;
    const n = int(v, `--${f.flag}`, f.signed);
    if (f.group === 'top') config[f.key] = n;
    else groups[f.group]![f.key] = n;
  }
  for (const [g, values] of Object.entries(groups)) if (Object.keys(values).length) config[g] = values;
}

/**
 * `deploy PATH`: a wrangler project (wrangler.toml/json/jsonc), an isoedge.json folder or one file
 * (bundle/readProject). TypeScript, JSX and wrangler projects are bundled here, as wrangler does;
 * a .js or .wasm file and an isoedge.json folder's JS main are uploaded as they are.
 */
export async function deploy(c: Ctx, p: Parsed): Promise<void> {
  // Like wrangler, a bare `isoedge deploy` deploys the project in the current folder.
  const path = p.positionals[0] ?? '.';
  if (p.positionals[0] === undefined && ![...WRANGLER_FILES, 'isoedge.json'].some((f) => existsSync(f))) {
    throw new UsageError('missing the module file or folder to deploy (or run it in a folder with a wrangler.toml, wrangler.json or wrangler.jsonc)');
  }
  if (!existsSync(path)) throw new UsageError(`${path} does not exist`);
  const project = readProject(path);
  const file = project.main;
  for (const w of project.warnings) c.warn(`warning: ${w}`);
  let bytes: Uint8Array = readFileSync(file);
  if (project.bundle) {
    const b = await bundleWorker(file, project.build, project.root);
    for (const w of b.warnings) c.warn(`warning: ${w}`);
    bytes = new TextEncoder().encode(b.code);
  }
  const name = (p.flags.name as string | undefined) ?? project.name ?? basename(file).replace(/\.[^.]+$/, '');
  const config: Record<string, unknown> = { ...project.config };
  // --env and the setting flags override what the project says (vars, limits).
  const env = { ...((config.env as Record<string, string>) ?? {}) };
  for (const kv of (p.flags.env as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new UsageError(`--env takes NAME=value, got ${JSON.stringify(kv)}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (Object.keys(env).length) config.env = env;
  applySettingFlags(config, p);
  const form = new FormData();
  form.set('config', JSON.stringify(config));
  const type = file.endsWith('.wasm') ? 'application/wasm' : 'application/javascript';
  form.set('module', new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), project.bundle ? basename(file).replace(/\.[^.]+$/, '.js') : basename(file));
  const q = new URLSearchParams();
  if (p.flags.tag) q.set('tag', p.flags.tag as string);
  if (p.flags.traffic === false) q.set('noTraffic', 'true');
  const r = await adminCall<{ name: string; revision: string; digest: string; url: string; traffic: Target[] }>(c.ep, 'POST', `/v1/functions/${encodeURIComponent(name)}/revisions${q.size ? `?${q}` : ''}`, { type: 'multipart/form-data', data: form });
  if (c.json) return c.out(JSON.stringify(r, null, 2));
  c.out(`Deployed ${r.revision} (sha256 ${r.digest.slice(0, 12)})\nURL:     ${r.url}\nTraffic: ${trafficText(r.traffic)}`);
}

export async function ls(c: Ctx): Promise<void> {
  const r = await adminCall<{ functions: { name: string; url: string; latestRevision: string | null; traffic: Target[] }[] }>(c.ep, 'GET', '/v1/functions');
  if (c.json) return c.out(JSON.stringify(r.functions, null, 2));
  if (r.functions.length === 0) return c.out('No functions. Deploy one with: isoedge deploy <file> --name <name>');
  c.out(table(['NAME', 'LATEST', 'TRAFFIC', 'URL'], r.functions.map((f) => [f.name, f.latestRevision ?? '-', trafficText(f.traffic), f.url])));
}

export async function get(c: Ctx, p: Parsed): Promise<void> {
  const f = await adminCall<FunctionView>(c.ep, 'GET', `/v1/functions/${encodeURIComponent(need(p, 0, 'the function name'))}`);
  if (c.json) return c.out(JSON.stringify(f, null, 2));
  const share = new Map(f.effectiveTraffic.map((t) => [t.revision, t]));
  c.out([
    `Name:    ${f.name}`, `URL:     ${f.url}`, `Traffic: ${trafficText(f.traffic)}`, '',
    table(['REVISION', 'TRAFFIC', 'TAGS', 'DESIRED', 'READY', 'INFLIGHT', 'QUEUED', 'PANIC', 'CREATED'], f.revisions.map((r) => {
      const t = share.get(r.name);
      return [r.name, t ? `${t.percent}%` : '', t?.tags.join(',') ?? '', r.status.desired, r.status.ready, r.status.inflight, r.status.queued, r.status.panicMode ? 'yes' : 'no', r.createdAt];
    })),
  ].join('\n'));
}

/** `traffic NAME REV=PERCENT… [--tag REV=TAG]…`; `@latest` (or `latest`) follows the newest revision. */
export async function traffic(c: Ctx, p: Parsed): Promise<void> {
  const name = need(p, 0, 'the function name');
  const specs = p.positionals.slice(1);
  if (specs.length === 0) throw new UsageError('give at least one REVISION=PERCENT (e.g. shop-00001=90 shop-00002=10)');
  const targets: Target[] = specs.map((s) => {
    const m = /^(@?latest|[a-z][a-z0-9-]*)=(\d{1,3})%?$/.exec(s);
    if (!m) throw new UsageError(`${JSON.stringify(s)} is not REVISION=PERCENT`);
    return m[1] === 'latest' || m[1] === '@latest' ? { latestRevision: true, percent: Number(m[2]) } : { revision: m[1]!, percent: Number(m[2]) };
  });
  for (const t of (p.flags.tag as string[] | undefined) ?? []) {
    const m = /^(@?latest|[a-z][a-z0-9-]*)=([a-z][a-z0-9-]*)$/.exec(t);
    if (!m) throw new UsageError(`--tag takes REVISION=TAG, got ${JSON.stringify(t)}`);
    const latest = m[1] === 'latest' || m[1] === '@latest';
    const hit = targets.find((x) => (latest ? x.latestRevision : x.revision === m[1]) && !x.tag);
    if (hit) hit.tag = m[2];
    else targets.push({ ...(latest ? { latestRevision: true } : { revision: m[1]! }), percent: 0, tag: m[2] });
  }
  const r = await adminCall<{ traffic: Target[] }>(c.ep, 'PUT', `/v1/functions/${encodeURIComponent(name)}/traffic`, { type: 'application/json', data: JSON.stringify(targets) });
  c.out(c.json ? JSON.stringify(r, null, 2) : `Traffic of ${name}: ${trafficText(r.traffic)}`);
}

/** Sends all traffic to the revision before the newest one that takes traffic (or `--to REV`). */
export async function rollback(c: Ctx, p: Parsed): Promise<void> {
  const name = need(p, 0, 'the function name');
  const f = await adminCall<FunctionView>(c.ep, 'GET', `/v1/functions/${encodeURIComponent(name)}`);
  let to = p.flags.to as string | undefined;
  if (!to) {
    // The newest revision that takes traffic is the one being rolled back; go to the one before it.
    const names = f.revisions.map((r) => r.name);
    const routed = f.effectiveTraffic.filter((t) => t.percent > 0).map((t) => names.indexOf(t.revision));
    const newest = Math.max(...routed);
    to = newest > 0 ? names[newest - 1] : undefined;
    if (!to) throw new UsageError(`${name} has no revision before ${names[newest] ?? 'the current one'}; use --to REVISION`);
  }
  const r = await adminCall<{ traffic: Target[] }>(c.ep, 'PUT', `/v1/functions/${encodeURIComponent(name)}/traffic`, { type: 'application/json', data: JSON.stringify([{ revision: to, percent: 100 }]) });
  c.out(c.json ? JSON.stringify(r, null, 2) : `Rolled ${name} back: ${trafficText(r.traffic)}`);
}

export async function rm(c: Ctx, p: Parsed): Promise<void> {
  const name = need(p, 0, 'the function name');
  const rev = p.positionals[1];
  await adminCall(c.ep, 'DELETE', `/v1/functions/${encodeURIComponent(name)}${rev ? `/revisions/${encodeURIComponent(rev)}` : ''}`);
  c.out(c.json ? JSON.stringify({ deleted: rev ?? name }) : `Deleted ${rev ? `revision ${rev}` : `function ${name}`}`);
}

interface LogLine { time: string; level: string; source: string; revision: string; reqId: string; msg: string }
const logText = (l: LogLine) => `${l.time} ${l.revision} ${l.reqId.slice(0, 8)} ${l.source === 'guest' ? `[${l.level}]` : '[req]'} ${l.msg}`;

export async function logs(c: Ctx, p: Parsed, signal?: AbortSignal): Promise<void> {
  const name = encodeURIComponent(need(p, 0, 'the function name'));
  const tail = p.flags.tail === undefined ? 100 : int(p.flags.tail, '--tail');
  if (p.flags.follow) {
    await adminStream(c.ep, `/v1/functions/${name}/logs?follow=true&tail=${tail}`, (data) => {
      c.out(c.json ? data : logText(JSON.parse(data) as LogLine));
    }, signal);
    return;
  }
  const r = await adminCall<{ logs: LogLine[] }>(c.ep, 'GET', `/v1/functions/${name}/logs?tail=${tail}`);
  c.out(c.json ? JSON.stringify(r.logs, null, 2) : r.logs.map(logText).join('\n'));
}

interface EdgeResponse { status: number; headers: Record<string, unknown>; body: Buffer }

/** One request to the edge, with the Host header the router expects for `name`; the response read whole. */
async function edgeRequest(c: Ctx, name: string, method: string, path: string, extra: Record<string, string>, data: string | undefined): Promise<EdgeResponse> {
  let host = `${name}.localhost`;
  try {
    const f = await adminCall<FunctionView>(c.ep, 'GET', `/v1/functions/${encodeURIComponent(name)}`);
    host = new URL(f.url).host;
  } catch { /* the admin API may be elsewhere; the default domain is localhost */ }
  const headers = { host, ...extra };
  const { request } = await import('node:http');
  const url = new URL(path, c.ep.edgeUrl);
  return new Promise<EdgeResponse>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port || 80, path: url.pathname + url.search, method, headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (x: Buffer) => chunks.push(x));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  }).catch((e: Error) => { throw Object.assign(new Error(`cannot reach the edge at ${c.ep.edgeUrl}: ${e.message}`), { name: 'NetworkError' }); });
}

/** The edge's 202 for an async call. */
interface Accepted { id: string; function: string; status: string; location: string; duplicate?: boolean }
interface AttemptView { n: number; startedAt: string; durationMs: number; status?: number; code?: string; message?: string }
interface CallError { code: string; message: string }
/** An entry of `GET /v1/functions/{name}/invocations`. */
interface CallSummary {
  id: string; function: string; status: string; createdAt: string; finishedAt?: string; nextAttemptAt?: string;
  attempts: number; lastAttempt?: AttemptView; resultStatus?: number; error?: CallError; replayOf?: string;
}
/** `GET /v1/invocations/{id}`: the whole record. */
interface CallView {
  id: string; function: string; status: string; createdAt: string; finishedAt?: string; nextAttemptAt?: string;
  request: { method: string; url: string; headers: [string, string][]; bodyBytes: number; tag?: string };
  attempts: AttemptView[];
  result?: { status: number; headers: [string, string][]; body: string | null; bodyEncoding: 'utf8' | 'base64'; truncated: boolean };
  error?: CallError; key?: string; replayOf?: string;
  callback?: { url: string; status: string; attempts: number; lastError?: string };
  scheduled?: { cron: string; scheduledTime: string };
}

const FINAL = new Set(['succeeded', 'failed', 'dead', 'cancelled']);
const callPath = (id: string) => `/v1/invocations/${encodeURIComponent(id)}`;

/** Polls the record until the call is final: every 50 ms at first, backing off to once a second. */
async function waitForCall(c: Ctx, id: string): Promise<CallView> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const v = await adminCall<CallView>(c.ep, 'GET', callPath(id));
    if (FINAL.has(v.status)) return v;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * `invoke NAME [PATH]`: calls the function through the edge and prints the body. With `--async`
 * the call is queued (`Prefer: respond-async`) and its id printed; `--wait` then polls the
 * invocation until it is final and prints its result as a synchronous invoke would.
 */
export async function invoke(c: Ctx, p: Parsed): Promise<void> {
  const name = need(p, 0, 'the function name');
  if (p.positionals.length > 2) throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[2])}`);
  const flagPath = p.flags.path as string | undefined;
  if (p.positionals[1] !== undefined && flagPath !== undefined) throw new UsageError('give the path once, as PATH or as --path');
  let path = p.positionals[1] ?? flagPath ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const wait = p.flags.wait === true;
  const isAsync = p.flags.async === true || wait;
  for (const f of ['callback-url', 'idempotency-key']) {
    if (p.flags[f] !== undefined && !isAsync) throw new UsageError(`--${f} is for async calls; add --async`);
  }
  const data = p.flags.data as string | undefined;
  const method = (p.flags.method as string | undefined) ?? (data !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = {};
  for (const h of (p.flags.header as string[] | undefined) ?? []) {
    const i = h.indexOf(':');
    if (i < 1) throw new UsageError(`--header takes "Name: value", got ${JSON.stringify(h)}`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (isAsync) {
    headers.prefer = headers.prefer ? `respond-async, ${headers.prefer}` : 'respond-async';
    if (p.flags['callback-url'] !== undefined) headers['x-callback-url'] = p.flags['callback-url'] as string;
    if (p.flags['idempotency-key'] !== undefined) headers['idempotency-key'] = p.flags['idempotency-key'] as string;
  }
  const res = await edgeRequest(c, name, method, path, headers, data);
  if (!isAsync) {
    if (c.json) return c.out(JSON.stringify({ status: res.status, headers: res.headers, body: res.body.toString('utf8') }, null, 2));
    if (p.flags.include) c.out(`HTTP ${res.status}\n${Object.entries(res.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\n')}\n`);
    c.out(res.body.toString('utf8').replace(/\n$/, ''));
    if (res.status >= 400) process.exitCode = 3;
    return;
  }
  // Anything but a 202 is the edge refusing the call (unknown function, body too large, queue full).
  if (res.status !== 202) throw apiError(res.status, res.body.toString('utf8'));
  const accepted = JSON.parse(res.body.toString('utf8')) as Accepted;
  const dup = accepted.duplicate ? ' (already submitted with this key: the first call, not run again)' : '';
  if (!wait) {
    if (c.json) return c.out(JSON.stringify(accepted, null, 2));
    if (dup) c.warn(`call ${accepted.id}${dup}`);
    return c.out(accepted.id);
  }
  c.warn(`call ${accepted.id}${dup}: waiting for it to finish`);
  const v = await waitForCall(c, accepted.id);
  if (c.json) c.out(JSON.stringify(v, null, 2));
  else if (v.result) {
    if (p.flags.include) c.out(`HTTP ${v.result.status}\n${v.result.headers.map(([k, x]) => `${k}: ${x}`).join('\n')}\n`);
    const body = v.result.body ?? '';
    c.out((v.result.bodyEncoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body).replace(/\n$/, ''));
    if (v.result.truncated) c.warn(`call ${v.id}: the body was cut to async.resultBytes`);
  }
  if (v.status !== 'succeeded') {
    c.warn(`call ${v.id} ${v.status} after ${v.attempts.length} attempt${v.attempts.length === 1 ? '' : 's'}${v.error ? `: ${v.error.code}: ${v.error.message}` : ''}`);
    process.exitCode = 3;
  }
}

const attemptText = (a: AttemptView | undefined): string => (a ? [a.status, a.code].filter((x) => x !== undefined).join(' ') || '-' : '-');

/** `calls ls NAME [--status S[,S]] [--limit N] [--before ID]`: a function's async calls, newest first. */
export async function callsLs(c: Ctx, p: Parsed): Promise<void> {
  const name = need(p, 0, 'the function name');
  const q = new URLSearchParams();
  const status = p.flags.status as string | undefined;
  if (status !== undefined) q.set('status', status);
  if (p.flags.limit !== undefined) q.set('limit', String(int(p.flags.limit, '--limit')));
  if (p.flags.before !== undefined) q.set('before', p.flags.before as string);
  const r = await adminCall<{ invocations: CallSummary[] }>(c.ep, 'GET', `/v1/functions/${encodeURIComponent(name)}/invocations${q.size ? `?${q}` : ''}`);
  if (c.json) return c.out(JSON.stringify(r.invocations, null, 2));
  if (r.invocations.length === 0) return c.out(`No async calls of ${name}${status ? ` (status ${status})` : ''}. Queue one with: isoedge invoke ${name} --async`);
  c.out(table(['ID', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST'], r.invocations.map((s) => [s.id, s.status, s.attempts, s.createdAt, attemptText(s.lastAttempt)])));
}

function callText(v: CallView): string {
  const row = (k: string, x: string) => `${`${k}:`.padEnd(11)}${x}`;
  const lines = [row('ID', v.id), row('Function', v.function), row('Status', v.status), row('Created', v.createdAt)];
  if (v.finishedAt) lines.push(row('Finished', v.finishedAt));
  if (v.nextAttemptAt) lines.push(row('Next try', v.nextAttemptAt));
  if (v.scheduled) lines.push(row('Cron', `${v.scheduled.cron} (tick of ${v.scheduled.scheduledTime})`));
  else lines.push(row('Request', `${v.request.method} ${v.request.url}${v.request.bodyBytes ? ` (${v.request.bodyBytes} bytes)` : ''}${v.request.tag ? ` tag ${v.request.tag}` : ''}`));
  if (v.key) lines.push(row('Key', v.key));
  if (v.replayOf) lines.push(row('Replay of', v.replayOf));
  if (v.callback) lines.push(row('Callback', `${v.callback.url} (${v.callback.status}, ${v.callback.attempts} attempt${v.callback.attempts === 1 ? '' : 's'}${v.callback.lastError ? `: ${v.callback.lastError}` : ''})`));
  if (v.error) lines.push(row('Error', `${v.error.code}: ${v.error.message}`));
  if (v.attempts.length) {
    lines.push('', table(['ATTEMPT', 'STARTED', 'DURATION', 'STATUS', 'MESSAGE'], v.attempts.map((a) => [a.n, a.startedAt, `${Math.round(a.durationMs)} ms`, attemptText(a), a.message ?? ''])));
  }
  const r = v.result;
  if (r) {
    lines.push('', `Result: HTTP ${r.status}${r.truncated ? ' (body cut to async.resultBytes)' : ''}`, ...r.headers.map(([k, x]) => `${k}: ${x}`));
    if (r.body !== null && r.body !== '') {
      lines.push('', r.bodyEncoding === 'utf8' ? r.body.replace(/\n$/, '') : `(${Buffer.from(r.body, 'base64').byteLength} bytes, not UTF-8: --json shows them in base64)`);
    }
  }
  return lines.join('\n');
}

/** `calls get ID`: one call's record, attempts and result. */
export async function callsGet(c: Ctx, p: Parsed): Promise<void> {
  const v = await adminCall<CallView>(c.ep, 'GET', callPath(need(p, 0, 'the call id')));
  c.out(c.json ? JSON.stringify(v, null, 2) : callText(v));
}

/** `calls cancel ID`: only a queued call (one waiting for a retry counts); else EDGE_ERR_INVOCATION_STATE. */
export async function callsCancel(c: Ctx, p: Parsed): Promise<void> {
  const v = await adminCall<CallView>(c.ep, 'DELETE', callPath(need(p, 0, 'the call id')));
  c.out(c.json ? JSON.stringify(v, null, 2) : `Cancelled call ${v.id}`);
}

/** `calls replay ID`: a failed or dead call runs again as a new call; prints the new id. */
export async function callsReplay(c: Ctx, p: Parsed): Promise<void> {
  const v = await adminCall<CallView>(c.ep, 'POST', `${callPath(need(p, 0, 'the call id'))}/replay`);
  c.out(c.json ? JSON.stringify(v, null, 2) : v.id);
}
