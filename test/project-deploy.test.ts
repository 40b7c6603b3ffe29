/** `isoedge deploy` of a Workers project (issue 14 item 6): wrangler.toml/json/jsonc, TS/TSX bundling, the key mapping, refusals by name. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../src/cli/index.ts';
import { BINDING_KEYS } from '../src/bundle/index.ts';
import { testHost, type TestHost } from './helpers/host.ts';

let h: TestHost;
let urls: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'isoedge-project-'));
beforeAll(async () => {
  h = await testHost();
  const b = await h.listen();
  urls = ['--admin-url', `http://127.0.0.1:${b.adminPort}`, '--edge-url', `http://127.0.0.1:${b.edgePort}`];
});
afterAll(async () => {
  await h.cleanup();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A project folder with these files (paths relative to it). */
function project(files: Record<string, string>): string {
  const dir = join(root, `p${++n}`);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}
async function deploy(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli('deploy', [...args, ...urls], (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const get = (name: string, path = '/', init: { method?: 'GET' | 'POST'; payload?: string; headers?: Record<string, string> } = {}) =>
  h.edge.inject({ method: init.method ?? 'GET', url: path, headers: { host: `${name}.localhost:8080`, ...init.headers }, ...(init.payload !== undefined ? { payload: init.payload } : {}) });
const fn = async (name: string) => (await h.admin.inject({ url: `/v1/functions/${name}` }));
const latestConfig = async (name: string) => (await fn(name)).json().revisions.at(-1).config;

const TS_MAIN = `interface Env { GREETING: string; COUNT: string; FLAGS: string; ON: string }
const answer = (env: Env): string => [env.GREETING, env.COUNT, env.FLAGS, env.ON].join('|');
// scheduled() beside fetch: the projects below have cron triggers, and crons need a handler.
export default { async fetch(_req: Request, env: Env): Promise<Response> { return new Response(answer(env)); }, async scheduled() {} } satisfies ExportedHandler<Env>;
declare type ExportedHandler<E> = { fetch(r: Request, e: E): Promise<Response>; scheduled(): Promise<void> };
`;

describe('deploying a Workers project', () => {
  it('wrangler.toml: name, main (TypeScript), vars, compatibility date and flags, crons and limits are mapped', async () => {
    const dir = project({
      'wrangler.toml': `name = "toml-app"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-15"\ncompatibility_flags = ["no_nodejs_compat"]\n\n[vars]\nGREETING = "hi"\nCOUNT = 3\nFLAGS = { a = 1, b = [true, "x"] }\nON = true\n\n[triggers]\ncrons = ["*/5 * * * *", "0 0 * * SUN"]\n\n[limits]\ncpu_ms = 25\n`,
      'src/index.ts': TS_MAIN,
    });
    const r = await deploy(dir);
    expect(r, r.err).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^Deployed toml-app-00001/);
    // Non-string vars are JSON-encoded (wrangler binds them as JSON values; isoedge env holds strings).
    expect((await get('toml-app')).body).toBe('hi|3|{"a":1,"b":[true,"x"]}|true');
    expect(await latestConfig('toml-app')).toEqual({
      env: { GREETING: 'hi', COUNT: '3', FLAGS: '{"a":1,"b":[true,"x"]}', ON: 'true' }, concurrency: 0, limits: { cpuMs: 25 },
      compatibilityDate: '2025-01-15', compatibilityFlags: ['no_nodejs_compat'], triggers: { crons: ['*/5 * * * *', '0 0 * * SUN'] },
    });
  });

  it('wrangler.json and wrangler.jsonc (comments, trailing commas) deploy too', async () => {
    const json = project({ 'wrangler.json': JSON.stringify({ name: 'json-app', main: 'src/index.ts', vars: { GREETING: 'json', COUNT: '1', FLAGS: '-', ON: 'no' } }), 'src/index.ts': TS_MAIN });
    expect((await deploy(json)).code).toBe(0);
    expect((await get('json-app')).body).toBe('json|1|-|no');
    const jsonc = project({
      'wrangler.jsonc': `{\n  // the Worker\n  "name": "jsonc-app",\n  "main": "./src/index.ts",\n  /* vars */ "vars": { "GREETING": "jsonc", "COUNT": 2, "FLAGS": [], "ON": false, },\n  "triggers": { "crons": ["15 3 * * *"] },\n}\n`,
      'src/index.ts': TS_MAIN,
    });
    expect((await deploy(jsonc)).code).toBe(0);
    expect((await get('jsonc-app')).body).toBe('jsonc|2|[]|false');
    expect((await latestConfig('jsonc-app')).triggers).toEqual({ crons: ['15 3 * * *'] });
  });

  it('TSX compiles, with imports of local modules', async () => {
    const dir = project({
      'wrangler.toml': 'name = "tsx-app"\nmain = "src/index.tsx"\njsx_factory = "h"\n',
      'src/h.ts': 'export const h = (tag: string, _props: unknown, ...children: string[]): string => `<${tag}>${children.join("")}</${tag}>`;\n',
      'src/index.tsx': "import { h } from './h';\nconst page = (name: string) => <p>hello <b>{name}</b></p>;\nexport default { fetch: () => new Response(page('tsx') as unknown as string) };\n",
    });
    const r = await deploy(dir);
    expect(r.code, r.err).toBe(0);
    expect((await get('tsx-app')).body).toBe('<p>hello <b>tsx</b></p>');
  });

  it('one file: isoedge deploy src/index.ts bundles it; --name, --env and the setting flags override the project', async () => {
    const dir = project({ 'src/index.ts': TS_MAIN });
    expect((await deploy(join(dir, 'src/index.ts'), '--env', 'GREETING=one', '--env', 'COUNT=1', '--env', 'FLAGS=f', '--env', 'ON=y')).code).toBe(0);
    expect((await get('index')).body).toBe('one|1|f|y');
    const w = project({ 'wrangler.toml': 'name = "over"\nmain = "src/index.ts"\n[vars]\nGREETING = "from toml"\nCOUNT = 1\nFLAGS = "f"\nON = "y"\n[limits]\ncpu_ms = 25\n', 'src/index.ts': TS_MAIN });
    expect((await deploy(w, '--name', 'renamed', '--env', 'GREETING=from flag', '--cpu-ms', '40')).code).toBe(0);
    expect((await get('renamed')).body).toBe('from flag|1|f|y');
    expect((await latestConfig('renamed')).limits).toEqual({ cpuMs: 40 });
    expect((await fn('over')).statusCode).toBe(404);
  });

  it('the five Node globals are undefined in a bundled project, also to a CommonJS dependency', async () => {
    const dir = project({
      'wrangler.toml': 'name = "no-node"\nmain = "src/index.ts"\n',
      'src/lib.cjs': "const name = 'fs';\nmodule.exports = { hasRequire: typeof require === 'function', loaded: typeof require === 'function' ? typeof require(name) : 'fallback', env: typeof process !== 'undefined' ? 'node' : 'worker', nodeEnv: process.env.NODE_ENV };\n",
      'src/index.ts': "import lib from './lib.cjs';\nconst five = () => ({ require: typeof require, process: typeof process, module: typeof module, Buffer: typeof Buffer, global: typeof global });\ndeclare const require: unknown, process: unknown, module: unknown, Buffer: unknown, global: unknown;\nexport default { fetch: () => Response.json({ top: five(), lib }) };\n",
    });
    const r = await deploy(dir);
    expect(r.code, r.err).toBe(0);
    const u = 'undefined';
    expect((await get('no-node')).json()).toEqual({ top: { require: u, process: u, module: u, Buffer: u, global: u }, lib: { hasRequire: false, loaded: 'fallback', env: 'worker', nodeEnv: 'production' } });
  });

  it.each(BINDING_KEYS)('a %s binding is refused with its name, and nothing is deployed', async (key) => {
    const name = `b-${key.replace(/_/g, '-')}`.slice(0, 60);
    const dir = project({
      'wrangler.json': JSON.stringify({ name, main: 'index.ts', [key]: key === 'ai' || key === 'browser' ? { binding: 'X' } : [{ binding: 'MY_BINDING', id: 'x' }] }),
      'index.ts': 'export default { fetch: () => new Response("x") };\n',
    });
    const r = await deploy(dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`declares a binding the host does not provide: ${key}`);
    expect((await fn(name)).statusCode).toBe(404);
  });

  it('any other key that declares a binding is refused too; unknown keys without one are warned about', async () => {
    const bound = await deploy(project({ 'wrangler.toml': 'name = "future"\nmain = "i.ts"\n[[future_things]]\nbinding = "FUTURE"\n', 'i.ts': 'export default { fetch: () => new Response("x") };\n' }));
    expect(bound.code).toBe(2);
    expect(bound.err).toMatch(/bindings? the host does not provide: future_things \(FUTURE\)/);
    const warned = await deploy(project({ 'wrangler.toml': 'name = "warned"\nmain = "i.ts"\naccount_id = "abc"\nworkers_dev = true\n[env.staging]\nname = "x"\n', 'i.ts': 'export default { fetch: () => new Response("x") };\n' }));
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/warning: wrangler.toml: ignored account_id, workers_dev, env \(no meaning on this host; env: isoedge deploys the top-level config/);
  });

  it('an import of node:fs or of a Node built-in is refused naming it, with file:line:column', async () => {
    const dir = project({ 'wrangler.toml': 'name = "nodefs"\nmain = "src/index.ts"\n', 'src/index.ts': "import { readFileSync } from 'node:fs';\nimport path from 'path';\nexport default { fetch: () => new Response(String(readFileSync) + path.sep) };\n" });
    const r = await deploy(dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/p\d+\/src\/index\.ts:1:30: "node:fs" is a Node\.js built-in module, which isoedge does not provide/);
    expect(r.err).toMatch(/src\/index\.ts:2:18: "path" is a Node\.js built-in module/);
    expect((await fn('nodefs')).statusCode).toBe(404);
  });

  it('a syntax error is reported with file:line:column', async () => {
    const dir = project({ 'wrangler.toml': 'name = "syntax"\nmain = "src/index.ts"\n', 'src/index.ts': "import { x } from './x';\nexport default { fetch: () => new Response(x) };\n", 'src/x.ts': "export const x: string = 'a'\nconst = 3;\n" });
    const r = await deploy(dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot bundle .*index\.ts:\n {2}.*src\/x\.ts:2:7: Expected identifier but found "="/);
    const toml = await deploy(project({ 'wrangler.toml': 'name = "bad"\nmain = \n' }));
    expect(toml.code).toBe(2);
    expect(toml.err).toMatch(/wrangler\.toml:2:\d+: /);
    const jsonc = await deploy(project({ 'wrangler.jsonc': '{\n  "name": "bad",\n  "main": \n}' }));
    expect(jsonc.err).toMatch(/wrangler\.jsonc:4:1: ValueExpected/);
  });

  it('the host refuses what it cannot honour: nodejs_compat, a bad cron; the CLI what it cannot map', async () => {
    const i = { 'i.ts': 'export default { fetch: () => new Response("x") };\n' };
    const compat = await deploy(project({ 'wrangler.toml': 'name = "compat"\nmain = "i.ts"\ncompatibility_flags = ["nodejs_compat"]\n', ...i }));
    expect(compat.code).toBe(3);
    expect(compat.err).toMatch(/EDGE_ERR_INVALID_CONFIG \(HTTP 400\): compatibility flag "nodejs_compat" is not supported: this host provides no Node\.js APIs/);
    const cron = await deploy(project({ 'wrangler.toml': 'name = "cron"\nmain = "i.ts"\n[triggers]\ncrons = ["every minute"]\n', ...i }));
    expect(cron.code).toBe(3);
    expect(cron.err).toMatch(/triggers\.crons "every minute" has 2 fields/);
    const limits = await deploy(project({ 'wrangler.toml': 'name = "lim"\nmain = "i.ts"\n[limits]\nsubrequests = 10\n', ...i }));
    expect(limits).toMatchObject({ code: 2, err: expect.stringMatching(/limits\.subrequests is not supported/) });
    const build = await deploy(project({ 'wrangler.toml': 'name = "build"\nmain = "i.ts"\n[build]\ncommand = "make"\n', ...i }));
    expect(build).toMatchObject({ code: 2, err: expect.stringMatching(/build is not supported: a custom build command is not run/) });
    const nomain = await deploy(project({ 'wrangler.toml': 'name = "nomain"\n' }));
    expect(nomain).toMatchObject({ code: 2, err: expect.stringMatching(/wrangler\.toml has no "main"/) });
    for (const f of ['compat', 'cron', 'lim', 'build', 'nomain']) expect((await fn(f)).statusCode).toBe(404);
  });
});
