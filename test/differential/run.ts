/**
 * The differential suite's runner (issue 14 item 7), shared by test/differential.test.ts and
 * scripts/compat.ts: bundles every area and app once with isoedge's own bundler (src/bundle, as
 * `isoedge deploy` does), deploys the SAME bundle to an in-process isoedge host and to one workerd
 * process (bench/lib/workerd.ts, `no_nodejs_compat`), runs the cases and requests on both, and
 * compares. Everything stays on loopback; nothing needs the network once workerd is installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { bundleWorker } from '../../src/bundle/index.ts';
import { startWorkerdServices, workerdBinary, WORKERD_COMPAT_DATE, WORKERD_FLAGS, WORKERD_VERSION } from '../../bench/lib/workerd.ts';
import { testHost } from '../helpers/host.ts';
import type { Case } from './harness.ts';
import { APPS, type AppRequest } from './apps/requests.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const AREAS = ['globals', 'streams', 'encoding', 'url', 'fetch', 'abort', 'events', 'crypto', 'compression', 'file', 'clone', 'base64'] as const;
export const EXPECTED_APPS_FILE = join(HERE, 'expected-apps.json');
export const GET_WORKERD = `npm install --prefix /tmp/isoedge-bench-workerd workerd@${WORKERD_VERSION} (needs the npm registry; the suite does this itself when it can)`;

/**
 * The response headers compared: content type and what the apps or their middleware set on
 * purpose. Not date, server, cf-*, content-length or transfer-encoding (transport, not the
 * function), nor anything the host adds about itself.
 */
export const COMPARED_HEADERS = /^(content-type|etag|location|allow|vary|www-authenticate|cache-control|set-cookie|access-control-.*|x-(?!request-id$|isoedge).*|strict-transport-security|content-security-policy|cross-origin-.*|referrer-policy|origin-agent-cluster|permissions-policy)$/;

export interface AppResult { status: number; headers: Record<string, string>; body: string }
export interface Bundle { name: string; kind: 'area' | 'app'; code: string }

export async function bundleAll(): Promise<Bundle[]> {
  const out: Bundle[] = [];
  for (const a of AREAS) out.push({ name: `area-${a}`, kind: 'area', code: (await bundleWorker(join(HERE, 'wpt', `${a}.js`))).code });
  for (const a of Object.keys(APPS)) out.push({ name: `app-${a}`, kind: 'app', code: (await bundleWorker(join(HERE, 'apps', `${a}.ts`))).code });
  return out;
}

export async function loadCases(): Promise<Record<string, Case[]>> {
  const out: Record<string, Case[]> = {};
  for (const a of AREAS) out[a] = ((await import(join(HERE, 'wpt', `${a}.js`))) as { cases: Case[] }).cases;
  return out;
}

type Call = (fn: string, r: AppRequest) => Promise<AppResult>;

function pick(headers: Iterable<[string, string]>): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of headers) if (COMPARED_HEADERS.test(k.toLowerCase())) h[k.toLowerCase()] = v;
  return Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The request's origin differs between the runtimes (a port here, a host name there): it is compared as ORIGIN. */
function normalise(r: AppResult, origin: string): AppResult {
  const f = (v: string) => v.split(origin).join('http://ORIGIN');
  return { status: r.status, headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, f(v)])), body: f(r.body) };
}

export interface Results { areas: Record<string, Record<string, unknown>>; apps: Record<string, Record<string, AppResult>>; ms: number }

async function collect(bundles: Bundle[], call: Call): Promise<Omit<Results, 'ms'>> {
  const areas: Results['areas'] = {};
  const apps: Results['apps'] = {};
  await Promise.all(bundles.map(async (b) => {
    if (b.kind === 'area') {
      const r = await call(b.name, { name: 'all', path: '/' });
      try {
        areas[b.name.slice(5)] = JSON.parse(r.body) as Record<string, unknown>;
      } catch {
        areas[b.name.slice(5)] = { __failed: `${r.status} ${r.body.slice(0, 200)}` };
      }
    } else {
      const app = b.name.slice(4);
      const out: Record<string, AppResult> = {};
      for (const req of APPS[app]!.requests) out[req.name] = await call(b.name, req);
      apps[app] = out;
    }
  }));
  return { areas, apps };
}

export async function runIsoedge(bundles: Bundle[]): Promise<Results> {
  const t0 = performance.now();
  const h = await testHost(['--limits-cpu-ms', '5000', '--log-level', 'warn']);
  try {
    for (const b of bundles) {
      const r = await h.admin.inject({ method: 'POST', url: `/v1/functions/${b.name}/revisions`, headers: { 'content-type': 'application/javascript' }, payload: b.code });
      if (r.statusCode >= 300) throw new Error(`isoedge refused ${b.name}: ${r.statusCode} ${r.body}`);
    }
    const res = await collect(bundles, async (fn, r) => {
      const x = await h.edge.inject({ method: (r.method ?? 'GET') as 'GET', url: r.path, headers: { host: `${fn}.localhost:8080`, ...r.headers }, ...(r.body !== undefined ? { payload: r.body } : {}) });
      return normalise({ status: x.statusCode, headers: pick(Object.entries(x.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])), body: x.body }, `http://${fn}.localhost:8080`);
    });
    return { ...res, ms: performance.now() - t0 };
  } finally {
    await h.cleanup();
  }
}

/** workerd's results, or a string: why it did not run (not installed and not installable, failed to start). */
export async function runWorkerd(bundles: Bundle[], log: (m: string) => void = () => {}): Promise<Results | string> {
  const t0 = performance.now();
  const found = workerdBinary(log);
  if (typeof found === 'string') return found;
  const stderr: string[] = [];
  let w;
  try {
    w = await startWorkerdServices(found.bin, bundles.map((b) => ({ name: b.name, source: b.code })), { stderr: (s) => stderr.push(s) });
  } catch (e) {
    return `${(e as Error).message}${stderr.length ? `: ${stderr.join('').slice(0, 500)}` : ''}`;
  }
  try {
    const res = await collect(bundles, async (fn, r) => {
      const x = await fetch(`http://127.0.0.1:${w.ports[fn]}${r.path}`, { method: r.method ?? 'GET', headers: r.headers ?? {}, ...(r.body !== undefined ? { body: r.body } : {}), redirect: 'manual' });
      return normalise({ status: x.status, headers: pick(x.headers), body: await x.text() }, `http://127.0.0.1:${w.ports[fn]}`);
    });
    return { ...res, ms: performance.now() - t0 };
  } finally {
    await w.stop();
  }
}

export interface AreaRow { area: string; cases: number; workerd: number | null; isoedge: number; differ: string[]; isoedgeFails: string[]; workerdFails: string[] }
export interface Report {
  workerd: string; isoedgeMs: number; workerdMs: number | null;
  areas: AreaRow[]; apps: AreaRow[];
  /** Per case that does not pass everywhere: expected, isoedge, workerd. */
  details: { where: string; expect: unknown; isoedge: unknown; workerd?: unknown }[];
}

export function readExpectedApps(): Record<string, Record<string, AppResult>> {
  return existsSync(EXPECTED_APPS_FILE) ? JSON.parse(readFileSync(EXPECTED_APPS_FILE, 'utf8')) as Record<string, Record<string, AppResult>> : {};
}

export function compare(cases: Record<string, Case[]>, iso: Results, wd: Results | string): Report {
  const details: Report['details'] = [];
  const row = (area: string, names: string[], expectOf: (n: string) => unknown, isoOf: (n: string) => unknown, wdOf: ((n: string) => unknown) | null): AreaRow => {
    const r: AreaRow = { area, cases: names.length, workerd: wdOf ? 0 : null, isoedge: 0, differ: [], isoedgeFails: [], workerdFails: [] };
    for (const n of names) {
      const e = expectOf(n);
      const i = isoOf(n);
      const okI = isDeepStrictEqual(i, e);
      if (okI) r.isoedge++; else r.isoedgeFails.push(n);
      let w: unknown;
      if (wdOf) {
        w = wdOf(n);
        if (isDeepStrictEqual(w, e)) r.workerd!++; else r.workerdFails.push(n);
        if (!isDeepStrictEqual(w, i)) r.differ.push(n);
      }
      if (!okI || (wdOf && !isDeepStrictEqual(w, e))) details.push({ where: `${area}: ${n}`, expect: e, isoedge: i, ...(wdOf ? { workerd: w } : {}) });
    }
    return r;
  };
  const wdr = typeof wd === 'string' ? null : wd;
  const areas = Object.entries(cases).map(([a, cs]) => {
    const byName = new Map(cs.map((k) => [k.name, k.expect]));
    return row(a, cs.map((k) => k.name), (n) => byName.get(n), (n) => iso.areas[a]?.[n] ?? iso.areas[a], wdr ? (n) => wdr.areas[a]?.[n] ?? wdr.areas[a] : null);
  });
  const expected = readExpectedApps();
  const apps = Object.entries(APPS).map(([a, def]) => row(`app ${a}`, def.requests.map((r) => r.name), (n) => expected[a]?.[n] ?? null, (n) => iso.apps[a]?.[n], wdr ? (n) => wdr.apps[a]?.[n] : null));
  return { workerd: typeof wd === 'string' ? `skipped: ${wd}` : `workerd ${WORKERD_VERSION}, compatibilityDate ${WORKERD_COMPAT_DATE}, flags ${WORKERD_FLAGS.join(', ')}`, isoedgeMs: Math.round(iso.ms), workerdMs: wdr ? Math.round(wdr.ms) : null, areas, apps, details };
}

export function markdown(r: Report, title = 'Differential run: isoedge vs workerd'): string {
  const line = (x: AreaRow) => `| ${x.area} | ${x.cases} | ${x.workerd ?? '–'} | ${x.isoedge} | ${x.differ.length ? x.differ.join('; ') : '–'} |`;
  const all = [...r.areas, ...r.apps];
  const sum = (f: (x: AreaRow) => number) => all.reduce((n, x) => n + f(x), 0);
  return [
    `# ${title}`, '',
    `Reference: ${r.workerd}. isoedge: this tree, in-process host. isoedge side ${r.isoedgeMs} ms, workerd side ${r.workerdMs ?? '–'} ms (bundles built once, shared).`, '',
    'A case passes when its result equals the value the spec gives (written from the web-platform-tests file each case names); an app request passes when status, compared headers and body equal the recorded expectation (test/differential/expected-apps.json).', '',
    '| area | cases | workerd passes | isoedge passes | isoedge ≠ workerd |', '|---|---|---|---|---|',
    ...all.map(line),
    `| **total** | ${sum((x) => x.cases)} | ${r.workerdMs === null ? '–' : sum((x) => x.workerd ?? 0)} | ${sum((x) => x.isoedge)} | ${sum((x) => x.differ.length)} |`, '',
    ...(r.details.length ? ['## Cases that do not pass on both', '', ...r.details.map((d) => `- **${d.where}**: expected \`${JSON.stringify(d.expect)}\`; isoedge \`${JSON.stringify(d.isoedge)}\`${'workerd' in d ? `; workerd \`${JSON.stringify(d.workerd)}\`` : ''}`)] : []),
    '',
  ].join('\n');
}
