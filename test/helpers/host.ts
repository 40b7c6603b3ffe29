/** Builds an in-process host on a temporary data dir, for inject() tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createIsoedge, type HostOptions, type Isoedge } from '../../src/app.ts';

export interface TestHost extends Isoedge {
  dataDir: string;
  logs: Record<string, unknown>[];
  config: Config;
  cleanup(keepData?: boolean): Promise<void>;
}

export async function testHost(argv: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'isoedge-test-')), opts: HostOptions = {}): Promise<TestHost> {
  const config = loadConfig({ env: {}, argv: ['--data-dir', dataDir, '--edge-port', '0', '--admin-port', '0', '--pool-warm-min', '1', '--log-level', 'debug', ...argv] });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const host = await createIsoedge(config, createLogger('debug', sink), opts);
  return {
    ...host,
    dataDir,
    logs,
    config,
    async cleanup(keep = false) {
      await host.close();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const HELLO = `export default { async fetch(req, env) { return new Response('hello ' + new URL(req.url).pathname); } };`;
