/** The revision-settings table against everything derived from it: admin validation, host maximums, OpenAPI, docs, CLI and types. */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  INSTANCE_LIMIT_NAMES, LIMIT_NAMES, OPTIONS, REVISION_SETTINGS, SCALING_NAMES, SETTABLE_NAMES,
  hostMaximums, loadConfig, revisionDefaults, settable, settingFlag, settingPath,
  type Config, type InstanceLimits, type RevisionLimitsConfig, type RevisionScalingConfig, type ScalingName, type SettableName,
} from '../src/config/index.ts';
import { BASE_LIMITS, type RevisionLimits } from '../src/runtime/types.ts';
import type { RevisionScalingOverrides } from '../src/activator/index.ts';
import type { ScalingOverrides } from '../src/autoscaler/index.ts';
import type { RevisionConfig } from '../src/store/index.ts';
import { runCli } from '../src/cli/index.ts';
import { FLAGS_HEADER, SETTINGS_HEADER, flagRows, revisionFlagsModule, settingRows } from '../scripts/gen-docs.ts';
import { HELLO, testHost, type TestHost } from './helpers/host.ts';

/** Parses as a config but not as a module: a 400 EDGE_ERR_MODULE_PARSE shows the config passed every check, and nothing is deployed or scaled. */
const BROKEN = 'export default {';
const option = (key: string) => OPTIONS.find((o) => o.key === key)!;
const rows = SETTABLE_NAMES.map((name) => ({ name, path: settingPath(name), ...settable(name) }));
const capped = rows.filter((r) => r.hostMax !== undefined);

/** `wide` lets every setting reach its absolute maximum; `plain` has the default host maximums. */
let wide: TestHost;
let plain: TestHost;
beforeAll(async () => {
  wide = await testHost(capped.flatMap((r) => [option(r.hostMax!).flag, String(r.max)]));
  plain = await testHost();
  expect((await wide.admin.inject({ method: 'POST', url: '/v1/functions/cfg/revisions', headers: { 'content-type': 'application/javascript' }, payload: HELLO })).statusCode).toBe(201);
});
afterAll(async () => {
  await wide?.cleanup();
  await plain?.cleanup();
});

const deploy = (h: TestHost, query: string) =>
  h.admin.inject({ method: 'POST', url: `/v1/functions/probe/revisions?${query}`, headers: { 'content-type': 'application/javascript' }, payload: BROKEN });

describe('the table', () => {
  it('names real host options, whose bounds fit the setting they supply or cap', () => {
    for (const r of rows) {
      if (r.hostDefault) {
        const o = option(r.hostDefault);
        expect([o.min! >= r.min, o.max! <= r.max], `${r.name}: ${r.hostDefault} ${o.min}–${o.max}`).toEqual([true, true]);
      }
      if (r.hostMax) expect(option(r.hostMax).max, `${r.name}: ${r.hostMax}`).toBe(r.max);
    }
    for (const k of INSTANCE_LIMIT_NAMES) expect(OPTIONS.some((o) => o.key === REVISION_SETTINGS[k].hostDefault), k).toBe(true);
  });

  it('turns a loaded Config into the instance defaults and the host maximums', () => {
    const c = loadConfig({ env: {}, argv: ['--limits-cpu-ms', '7', '--limits-header-count', '9', '--limits-max-wall-ms', '1234'] });
    expect(revisionDefaults(c)).toMatchObject({ cpuMs: 7, headerCount: 9, wallMs: 30_000 });
    expect(Object.keys(revisionDefaults(c))).toEqual(INSTANCE_LIMIT_NAMES);
    expect(hostMaximums(c)).toMatchObject({ wallMs: 1234, cpuMs: 30_000 });
    expect(Object.keys(hostMaximums(c))).toEqual(LIMIT_NAMES);
    // The runtime's fallback limits are the host defaults (runtime/ may not import config/).
    expect(BASE_LIMITS).toEqual(revisionDefaults(loadConfig({ env: {} })));
  });

  it('a signed string is taken only where the row goes below zero, and never as "-0"', async () => {
    expect((await deploy(wide, 'targetBurstCapacity=-1')).json()).toMatchObject({ code: 'EDGE_ERR_MODULE_PARSE' });
    for (const q of ['targetBurstCapacity=-0', 'targetBurstCapacity=-01', 'minScale=-0']) {
      expect((await deploy(wide, q)).json(), q).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringMatching(/must be an integer from/) });
    }
  });

  it('host-only limits are refused in a revision config, as before', async () => {
    for (const k of INSTANCE_LIMIT_NAMES.filter((n) => !(LIMIT_NAMES as string[]).includes(n))) {
      const r = await deploy(wide, `${k}=1`);
      expect(r.json(), k).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: expect.stringContaining(`unknown query parameter "${k}"`) });
    }
  });
});

describe.each(rows)('$path through the admin API', (r) => {
  it(`is accepted at ${r.min} and ${r.max}`, async () => {
    for (const v of [r.min, r.max]) {
      const res = await deploy(wide, `${r.name}=${v}`);
      expect(res.json(), `${r.name}=${v}`).toMatchObject({ code: 'EDGE_ERR_MODULE_PARSE' });
    }
  });

  it(`is refused at ${r.min - 1} and ${r.max + 1}, in a query and in JSON`, async () => {
    for (const v of [r.min - 1, r.max + 1]) {
      const q = await deploy(wide, `${r.name}=${v}`);
      expect(q.statusCode).toBe(400);
      expect(q.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: `${r.path} "${v}" must be an integer from ${r.min} to ${r.max}` });
      const patch = r.group === 'top' ? { [r.name]: v } : { [r.group]: { [r.name]: v } };
      const p = await wide.admin.inject({ method: 'PATCH', url: '/v1/functions/cfg/config', payload: patch });
      expect(p.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: `${r.path} ${v} must be an integer from ${r.min} to ${r.max}` });
    }
  });
});

describe.each(capped)('the host maximum of $path', (r) => {
  it(`is ${r.hostMax}, enforced with a message naming it`, async () => {
    const max = option(r.hostMax!).default as number;
    expect((await deploy(plain, `${r.name}=${max}`)).json()).toMatchObject({ code: 'EDGE_ERR_MODULE_PARSE' });
    const res = await deploy(plain, `${r.name}=${max + 1}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'EDGE_ERR_INVALID_CONFIG', message: `${r.path} ${max + 1} is above the host maximum ${max} (${r.hostMax})` });
  });
});

describe('OpenAPI', () => {
  type Schema = { properties: Record<string, Schema & { minimum?: number; maximum?: number }> };
  let doc: { components: { schemas: Record<string, Schema> }; paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
  beforeAll(async () => { doc = (await wide.admin.inject({ method: 'GET', url: '/v1/openapi.json' })).json(); });

  it('RevisionConfig and ConfigPatch have one property per row, with its bounds', () => {
    const stored = doc.components.schemas.RevisionConfig!.properties;
    const patch = doc.components.schemas.ConfigPatch!.properties;
    for (const s of [stored, patch]) {
      expect(Object.keys(s.limits!.properties)).toEqual(LIMIT_NAMES);
      expect(Object.keys(s.scaling!.properties)).toEqual(SCALING_NAMES);
      expect(s).toHaveProperty('concurrency');
    }
    for (const r of rows) {
      const prop = r.group === 'top' ? stored[r.name]! : stored[r.group]!.properties[r.name]!;
      expect([prop.minimum, prop.maximum], r.name).toEqual([r.min, r.max]);
    }
  });

  it('the deploy operation takes every row as a query parameter', () => {
    const params = doc.paths['/v1/functions/{name}/revisions']!.post!.parameters!.filter((p) => p.in === 'query').map((p) => p.name);
    for (const r of rows) expect(params, r.name).toContain(r.name);
  });
});

describe('docs and CLI', () => {
  const read = (rel: string) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');
  const sep = (header: string) => '|' + header.split('|').slice(1, -1).map(() => '---').join('|') + '|';

  it('docs/admin-api.md, docs/cli.md and src/cli/revision-flags.ts are generated from the table (node scripts/gen-docs.ts)', () => {
    expect(read('docs/admin-api.md')).toContain([SETTINGS_HEADER, sep(SETTINGS_HEADER), ...settingRows()].join('\n') + '\n\n');
    expect(read('docs/cli.md')).toContain([FLAGS_HEADER, sep(FLAGS_HEADER), ...flagRows()].join('\n') + '\n\n');
    expect(read('src/cli/revision-flags.ts')).toBe(revisionFlagsModule());
    for (const k of Object.keys(REVISION_SETTINGS) as (keyof typeof REVISION_SETTINGS)[]) expect(read('docs/admin-api.md'), k).toContain(`| \`${settingPath(k)}\` |`);
  });

  it('isoedge deploy --help lists a flag per row, keeping the old flag names', async () => {
    let help = '';
    expect(await runCli('deploy', ['--help'], (s) => { help += s; })).toBe(0);
    for (const r of rows) expect(help, r.name).toContain(`${settingFlag(r.name)} N`);
    for (const old of ['--concurrency', '--min-scale', '--max-scale']) expect(help).toContain(old);
  });

  it('isoedge deploy sends each flag to its setting (a negative value where the row allows one)', async () => {
    const b = await wide.listen();
    const out: string[] = [];
    const err: string[] = [];
    const file = new URL('../examples/hello/index.js', import.meta.url).pathname;
    const args = [file, '--name', 'flags', '--admin-url', `http://127.0.0.1:${b.adminPort}`, '--json', '--cpu-ms', '20', '--concurrency', '3', '--max-scale', '4', '--target-burst-capacity', '-1', '--initial-scale', '0'];
    expect(await runCli('deploy', args, (s) => out.push(s), (s) => err.push(s)), err.join('\n')).toBe(0);
    const rev = (await wide.admin.inject({ method: 'GET', url: '/v1/functions/flags' })).json().revisions[0];
    expect(rev.config).toMatchObject({ concurrency: 3, limits: { cpuMs: 20 }, scaling: { maxScale: 4, targetBurstCapacity: -1, initialScale: 0 } });
  });
});

// Compile-time: layers that may not import config/ keep hand-written types; these pin them to the table.
expectTypeOf<RevisionLimits>().toEqualTypeOf<InstanceLimits>();
expectTypeOf<RevisionScalingOverrides>().toEqualTypeOf<RevisionScalingConfig>();
expectTypeOf<keyof ScalingOverrides>().toExtend<ScalingName>();
expectTypeOf<RevisionConfig['limits']>().toEqualTypeOf<RevisionLimitsConfig>();
expectTypeOf<keyof RevisionLimitsConfig>().toEqualTypeOf<(typeof LIMIT_NAMES)[number]>();
expectTypeOf<Config['limits']['maxCpuMs']>().toEqualTypeOf<number>();
expectTypeOf<Config['fetch']['allow']>().toEqualTypeOf<string[]>();
expectTypeOf<SettableName>().toExtend<string>();
