import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadConfig, OPTIONS, ConfigError } from '../src/config/index.ts';
import { configRows } from '../scripts/gen-docs.ts';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.edge).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.admin).toEqual({ host: '127.0.0.1', port: 8081, token: '' });
    expect(c.domain).toBe('localhost');
    expect(c.examples).toBe(true);
  });

  it('applies defaults < file < environment < flags', () => {
    const file = { path: 'isoedge.config.json', data: { edge: { port: 1 }, domain: 'file.test', logLevel: 'warn' } };
    expect(loadConfig({ file, env: {} }).edge.port).toBe(1);
    const env = { ISOEDGE_EDGE_PORT: '2', ISOEDGE_DOMAIN: 'env.test' };
    expect(loadConfig({ file, env }).edge.port).toBe(2);
    const c = loadConfig({ file, env, argv: ['--edge-port', '3'] });
    expect(c.edge.port).toBe(3);
    expect(c.domain).toBe('env.test');
    expect(c.logLevel).toBe('warn');
  });

  it('maps every documented variable name', () => {
    const env = {
      ISOEDGE_EDGE_HOST: '0.0.0.0', ISOEDGE_EDGE_PORT: '0', ISOEDGE_ADMIN_HOST: '127.0.0.2', ISOEDGE_ADMIN_PORT: '0',
      ISOEDGE_DATA_DIR: '/tmp/x', ISOEDGE_DOMAIN: 'example.test', ISOEDGE_ADMIN_TOKEN: 't', ISOEDGE_LOG_LEVEL: 'debug', ISOEDGE_EXAMPLES: 'false',
    };
    const c = loadConfig({ env });
    expect(c).toMatchObject({ edge: { host: '0.0.0.0', port: 0 }, admin: { host: '127.0.0.2', port: 0, token: 't' }, dataDir: '/tmp/x', domain: 'example.test', logLevel: 'debug', examples: false });
  });

  it.each([
    { name: 'non-integer port', env: { ISOEDGE_EDGE_PORT: 'eighty' }, msg: /edge\.port \(environment ISOEDGE_EDGE_PORT\): "eighty" is not an integer/ },
    { name: 'port out of range', argv: ['--admin-port', '70000'], msg: /admin\.port \(flag --admin-port\): "70000" is above the maximum 65535/ },
    { name: 'bad boolean', env: { ISOEDGE_EXAMPLES: 'maybe' }, msg: /examples .*"maybe" is not a boolean/ },
    { name: 'bad log level', env: { ISOEDGE_LOG_LEVEL: 'loud' }, msg: /logLevel .*"loud" is not one of/ },
    { name: 'unknown flag', argv: ['--edge-prot', '1'], msg: /unknown option --edge-prot/ },
    { name: 'public admin without token', env: { ISOEDGE_ADMIN_HOST: '0.0.0.0' }, msg: /admin\.host: 0\.0\.0\.0 is not a loopback address and admin\.token/ },
  ])('refuses $name with a message naming the option and value', ({ env = {}, argv = [], msg }) => {
    expect(() => loadConfig({ env, argv })).toThrow(ConfigError);
    expect(() => loadConfig({ env, argv })).toThrow(msg);
  });

  it('accepts a public admin address with a token, and boolean flags', () => {
    const c = loadConfig({ env: { ISOEDGE_ADMIN_HOST: '0.0.0.0', ISOEDGE_ADMIN_TOKEN: 'secret' }, argv: ['--no-examples'] });
    expect(c.admin.host).toBe('0.0.0.0');
    expect(c.examples).toBe(false);
  });

  it('README configuration table lists every option with its variable and default', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const o of OPTIONS) {
      const row = readme.split('\n').find((l) => l.startsWith('| `') && l.includes('`' + o.env + '`'));
      expect(row, `README row for ${o.env}`).toBeDefined();
      expect(row).toContain('`' + o.flag + '`');
      expect(row).toContain('`' + JSON.stringify(o.default) + '`');
    }
  });

  it('README and docs/configuration.md carry the generated table exactly (node scripts/gen-docs.ts)', () => {
    for (const doc of ['../README.md', '../docs/configuration.md']) {
      const text = readFileSync(new URL(doc, import.meta.url), 'utf8');
      for (const row of configRows()) expect(text, doc).toContain(row);
    }
  });
});
