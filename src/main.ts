/**
 * The composition root and command line: reads the config (defaults <
 * isoedge.config.json < ISOEDGE_* < flags), starts the host, deploys the
 * examples, prints the URLs, and shuts down cleanly on SIGTERM/SIGINT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, OPTIONS, type Config } from './config/index.ts';
import { createLogger } from './logging/index.ts';
import { createIsoedge } from './app.ts';
import { deployExamples } from './control/examples.ts';
import { isClientCommand, runCli, usage } from './cli/index.ts';
import { nodeId } from './cluster/nodes.ts';
import { listenWhileWaiting, type WaitingListener } from './cluster/waiting.ts';
import { CHILD_ENV, superviseProcesses } from './cluster/processes.ts';
import { openNatsLink, type NatsLink } from './store/index.ts';
import { storeCommand } from './cluster/export.ts';

const USAGE = `Usage: isoedge serve [options]

Runs the edge (function traffic) and admin listeners.

Options (each also settable as ISOEDGE_* or in isoedge.config.json):
${OPTIONS.map((o) => `  ${o.flag.padEnd(22)} ${o.env.padEnd(26)} default ${JSON.stringify(o.default)}\n      ${o.doc}`).join('\n')}
  --config <path>        config file (default ./isoedge.config.json if present)
  --store <where>        sqlite, or nats://host:4222[,nats://…] (sets store.kind and store.nats.servers)
`;

/** `--store nats://a:4222,nats://b:4222` is `--store-kind nats --store-nats-servers …`; `--store sqlite` the default. */
function expandStore(argv: string[]): void {
  const i = argv.indexOf('--store');
  if (i === -1) return;
  const v = argv[i + 1];
  if (!v) throw new ConfigError('option --store needs sqlite or nats://host:port[,…]');
  if (v === 'sqlite') argv.splice(i, 2, '--store-kind', 'sqlite');
  else if (v.split(',').every((u) => /^(nats|tls):\/\/[^\s,]+$/.test(u))) argv.splice(i, 2, '--store-kind', 'nats', '--store-nats-servers', v);
  else throw new ConfigError(`invalid --store ${JSON.stringify(v)}: use sqlite or nats://host:port[,nats://host:port…]`);
}

function readConfig(argv: string[]): Config {
  expandStore(argv);
  let file: { path: string; data: unknown } | undefined;
  const i = argv.indexOf('--config');
  let path = resolve('isoedge.config.json');
  let explicit = false;
  if (i !== -1) {
    if (!argv[i + 1]) throw new ConfigError('option --config needs a path');
    path = resolve(argv[i + 1]!);
    explicit = true;
    argv.splice(i, 2);
  }
  if (existsSync(path)) {
    try {
      file = { path, data: JSON.parse(readFileSync(path, 'utf8')) };
    } catch (e) {
      throw new ConfigError(`invalid config file ${path}: ${(e as Error).message}`);
    }
  } else if (explicit) throw new ConfigError(`config file ${path} does not exist`);
  return loadConfig({ file, env: process.env, argv });
}

/**
 * A cluster node started while NATS is down (or while JetStream elects its leaders) waits for it,
 * and meanwhile its admin port says so (`/readyz` 503 with the reason) instead of refusing
 * connections. The placeholder gives the port back just before the host binds it.
 */
function waitingForStore(config: Config): { say(why: string): void; close(): Promise<void> } {
  let why = `waiting for NATS at ${config.store.nats.servers.join(',')}`;
  let listener: Promise<WaitingListener | undefined> | undefined;
  return {
    say(reason) {
      why = reason.startsWith('waiting') ? reason : `waiting for NATS: ${reason}`;
      listener ??= config.admin.port === 0 ? Promise.resolve(undefined) : listenWhileWaiting(config.admin.host, config.admin.port, () => why).catch(() => undefined);
    },
    async close() { await (await listener)?.close(); },
  };
}

async function connectNats(config: Config, log: ReturnType<typeof createLogger>, waiting: ReturnType<typeof waitingForStore>): Promise<NatsLink> {
  const servers = config.store.nats.servers;
  const link = await openNatsLink({
    servers, name: `isoedge ${nodeId(config.node.name)}`,
    onWaiting: (err) => {
      log.warn({ servers, err: (err as Error).message }, 'waiting for NATS');
      waiting.say(`waiting for NATS at ${servers.join(',')}`);
    },
  });
  log.info({ servers }, 'connected to NATS');
  return link;
}

async function serve(argv: string[]): Promise<void> {
  const original = [...argv];
  let config: Config;
  try {
    config = readConfig(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`isoedge: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  if (config.processes > 1 && !process.env[CHILD_ENV]) {
    await superviseProcesses(config, original, fileURLToPath(import.meta.url), log);
    return;
  }
  const waiting = waitingForStore(config);
  const natsLink = config.store.kind === 'nats' ? await connectNats(config, log, waiting) : undefined;
  const host = await createIsoedge(config, log, { natsLink, onStoreWaiting: (why) => waiting.say(why) });
  await waiting.close();
  let bound: Awaited<ReturnType<typeof host.listen>>;
  try {
    bound = await host.listen();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    await host.close();
    const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
    process.stderr.write(`isoedge: cannot listen on ${err.address ?? '?'}:${err.port ?? '?'}: ${why} (${err.code ?? 'error'}); choose another port with --edge-port/--admin-port or ISOEDGE_EDGE_PORT/ISOEDGE_ADMIN_PORT\n`);
    process.exit(1);
  }
  log.info({ edge: bound.edge, admin: bound.admin, edgePort: bound.edgePort, adminPort: bound.adminPort, dataDir: config.dataDir }, 'isoedge listening');
  if (config.examples) {
    const deployed = await deployExamples(host.functions, host.url);
    for (const d of deployed) log.info({ function: d.name, revision: d.revision, url: d.url, deployed: d.deployed }, 'example ready');
  }
  const lines = [
    `isoedge is up: edge http://${config.edge.host}:${bound.edgePort}  admin http://${config.admin.host}:${bound.adminPort}`,
    ...(await host.functions.listFunctions()).map((f) => `  curl ${host.url(f.name)}`),
  ];
  process.stderr.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Running async calls may take async.drainMs to finish; edge requests get 10 s besides.
    const limitMs = config.async.drainMs + 10_000;
    const force = setTimeout(() => {
      log.error(`shutdown took longer than ${limitMs / 1000} s; exiting`);
      process.exit(1);
    }, limitMs);
    force.unref();
    host.close().then(() => process.exit(0), (e: unknown) => {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const argv = process.argv.slice(2);
// A client command may come after global options: `isoedge --admin-url URL ls`.
const at = argv.findIndex((a) => !a.startsWith('-') && isClientCommand(a));
if (at > 0) argv.unshift(...argv.splice(at, 1));
const [command = 'serve', ...rest] = argv;
if (command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(usage());
} else if (command === 'serve' || command.startsWith('--')) {
  const args = command === 'serve' ? rest : [command, ...rest];
  if (args.includes('--help') || args.includes('-h')) process.stdout.write(USAGE);
  else await serve(args);
} else if (command === 'store') {
  // Not an admin-API client: it opens the stores itself, with the config serve would read.
  process.exitCode = await storeCommand(rest, readConfig);
} else if (isClientCommand(command)) {
  process.exitCode = await runCli(command, rest);
} else {
  process.stderr.write(`isoedge: unknown command ${JSON.stringify(command)}\n\n${usage()}`);
  process.exitCode = 2;
}
