/**
 * `isoedge <command>`: the client commands (deploy, ls, get, traffic, rollback,
 * rm, logs, invoke, calls, bench). `serve` lives in main.ts. Exit codes: 0 ok,
 * 2 usage, 3 the API refused (4xx/5xx), 4 network (host unreachable).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firstPositional, parseArgs, UsageError, type FlagSpec } from './args.ts';
import { ApiError, NetworkError } from './http.ts';
import * as cmd from './commands.ts';
import { ProjectError } from '../bundle/index.ts';
import { REVISION_FLAGS } from './revision-flags.ts';

export const EXIT = { ok: 0, usage: 2, api: 3, network: 4 } as const;

const GLOBAL: Record<string, FlagSpec> = {
  'admin-url': { type: 'string' }, 'edge-url': { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
};

interface Command {
  usage: string;
  about: string;
  flags?: Record<string, FlagSpec>;
  details?: string;
  run?: (c: cmd.Ctx, p: ReturnType<typeof parseArgs>) => Promise<void>;
  /** A command group (`calls ls`, `calls get`, …): the first positional names the subcommand. */
  sub?: Record<string, Command>;
}

const CALLS: Record<string, Command> = {
  ls: {
    usage: 'calls ls <name> [--status S[,S]...] [--limit N] [--before ID]',
    about: "List a function's async calls, newest first: id, status, attempts, created, the last attempt's status or error code.",
    flags: { status: { type: 'string' }, limit: { type: 'string' }, before: { type: 'string' } },
    details: `--status S[,S]   only calls in these states: queued, running, succeeded, failed, dead, cancelled
--limit N        at most N calls (1 to 1000; default 100)
--before ID      only calls submitted before that call (the next page)`,
    run: cmd.callsLs,
  },
  get: {
    usage: 'calls get <id>',
    about: 'Show one async call: status, request, every attempt, the error and the result (its body when it is text).',
    run: cmd.callsGet,
  },
  cancel: {
    usage: 'calls cancel <id>',
    about: 'Cancel a queued async call (one waiting for a retry counts); a running or finished call is refused (EDGE_ERR_INVOCATION_STATE).',
    run: cmd.callsCancel,
  },
  replay: {
    usage: 'calls replay <id>',
    about: 'Run a failed or dead async call again as a new call (same request and callback) and print the new id.',
    run: cmd.callsReplay,
  },
};

const SETTING_FLAGS: Record<string, FlagSpec> = Object.fromEntries(REVISION_FLAGS.map((f) => [f.flag, { type: 'string' }]));
const width = Math.max(...REVISION_FLAGS.map((f) => f.flag.length)) + 4;
const SETTING_HELP = `Revision settings (the host checks ranges and its maximums):\n${REVISION_FLAGS.map((f) => `  ${`--${f.flag} N`.padEnd(width + 2)} ${f.help}`).join('\n')}`;

const COMMANDS: Record<string, Command> = {
  deploy: {
    usage: 'deploy [file|dir] [--name NAME] [--env K=V]... [--<setting> N]... [--tag TAG] [--no-traffic]',
    about: 'Deploy a module, a Workers project (wrangler.toml/json/jsonc, bundled) or a folder with isoedge.json as a new revision.',
    flags: { name: { type: 'string' }, env: { type: 'list', short: 'e' }, ...SETTING_FLAGS, tag: { type: 'string' }, traffic: { type: 'boolean' } },
    details: SETTING_HELP,
    run: cmd.deploy,
  },
  ls: { usage: 'ls', about: 'List functions with their latest revision, traffic and URL.', run: (c) => cmd.ls(c) },
  get: { usage: 'get <name>', about: 'Show a function: revisions, traffic, desired/ready instances, load.', run: cmd.get },
  traffic: {
    usage: 'traffic <name> REV=PERCENT... [--tag REV=TAG]...   (REV may be @latest)',
    about: 'Replace the traffic table (percents sum to 100).',
    flags: { tag: { type: 'list' } },
    run: cmd.traffic,
  },
  rollback: { usage: 'rollback <name> [--to REV]', about: 'Send all traffic to the previous revision (or --to).', flags: { to: { type: 'string' } }, run: cmd.rollback },
  rm: { usage: 'rm <name> [revision]', about: 'Delete a function, or one revision of it.', run: cmd.rm },
  logs: {
    usage: 'logs <name> [--follow] [--tail N]',
    about: "Show a function's recent logs (console output and request lines); --follow streams them.",
    flags: { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' } },
    run: (c, p) => cmd.logs(c, p),
  },
  invoke: {
    usage: 'invoke <name> [PATH] [--data BODY] [--method M] [--path /p?q] [--header "K: V"]... [--include] [--async [--wait] [--callback-url URL] [--idempotency-key KEY]]',
    about: 'Call a function through the edge and print the response body (--async: queue the call and print its id).',
    flags: {
      data: { type: 'string', short: 'd' }, method: { type: 'string', short: 'X' }, path: { type: 'string' }, header: { type: 'list', short: 'H' }, include: { type: 'boolean', short: 'i' },
      async: { type: 'boolean' }, wait: { type: 'boolean' }, 'callback-url': { type: 'string' }, 'idempotency-key': { type: 'string' },
    },
    details: `PATH (or --path) is the path and query the function sees (default /).
--async                 send with Prefer: respond-async: the host stores the call, answers 202 and
                        runs it (retrying 408, 429, 5xx and network errors); prints the call id
                        (--json: the 202 body {id, function, status, location, duplicate?})
--wait                  (implies --async) poll the call until it is final, then print its result as a
                        synchronous invoke does (--json: the whole record); exit 3 unless it succeeded
--callback-url URL      X-Callback-Url: the host POSTs the result there
--idempotency-key KEY   Idempotency-Key: the same key within async.dedupeWindowS returns the first call
See the calls: isoedge calls ls <name>, isoedge calls get <id>.`,
    run: cmd.invoke,
  },
  calls: {
    usage: 'calls <ls|get|cancel|replay> ...',
    about: 'Async calls (invoke --async, Prefer: respond-async, cron ticks): list, show, cancel, replay.',
    details: `Subcommands (isoedge calls <sub> --help for each):
${Object.values(CALLS).map((s) => `  ${s.usage}\n      ${s.about}`).join('\n')}`,
    sub: CALLS,
  },
  bench: {
    usage: 'bench [--quick] [--only=...]',
    about: 'Run the benchmark suite (same as npm run bench).',
    flags: { quick: { type: 'boolean' }, only: { type: 'string' } },
    run: async (_c, p) => {
      const args = [...(p.flags.quick ? ['--quick'] : []), ...(p.flags.only ? [`--only=${p.flags.only as string}`] : [])];
      const r = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(new URL('../../bench/run.ts', import.meta.url)), ...args], { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    },
  },
};

const COMMON = `Common options:
  --admin-url URL   admin API (env ISOEDGE_ADMIN_URL, default http://127.0.0.1:8081)
  --edge-url URL    edge (env ISOEDGE_EDGE_URL, default http://127.0.0.1:8080)
  --token TOKEN     admin bearer token (env ISOEDGE_ADMIN_TOKEN)
  --json            machine-readable output
  -h, --help        help for a command
Exit codes: 0 ok, 2 usage error, 3 API error, 4 network error.`;

export function usage(): string {
  return `Usage: isoedge <command> [options]

Commands:
  serve      Run the host (edge + admin listeners); see isoedge serve --help
  store      Move the state between stores as a tar: store export > state.tar, store import < state.tar (isoedge store --help)
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.about}`).join('\n')}

${COMMON}
`;
}

export function isClientCommand(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

export async function runCli(name: string, argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  let c = COMMANDS[name];
  if (!c) {
    err(`isoedge: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return EXIT.usage;
  }
  const help = (x: Command): string => `Usage: isoedge ${x.usage}\n\n${x.about}\n\n${x.details ? `${x.details}\n\n` : ''}${COMMON}`;
  let label = name;
  try {
    if (c.sub) {
      // The first positional picks the subcommand; the rest is parsed with its flags.
      const at = firstPositional(argv, { ...GLOBAL, ...Object.assign({}, ...Object.values(c.sub).map((s) => s.flags ?? {})) });
      if (!at) {
        if (parseArgs(argv, GLOBAL).flags.help) {
          out(help(c));
          return EXIT.ok;
        }
        throw new UsageError(`missing the subcommand (${Object.keys(c.sub).join(', ')})`);
      }
      const s = Object.hasOwn(c.sub, at.value) ? c.sub[at.value] : undefined;
      if (!s) throw new UsageError(`unknown subcommand ${JSON.stringify(at.value)} (${Object.keys(c.sub).join(', ')})`);
      c = s;
      label = `${name} ${at.value}`;
      argv = argv.toSpliced(at.index, 1);
    }
    const p = parseArgs(argv, { ...GLOBAL, ...c.flags });
    if (p.flags.help) {
      out(help(c));
      return EXIT.ok;
    }
    const env = process.env;
    const ctx: cmd.Ctx = {
      ep: {
        adminUrl: (p.flags['admin-url'] as string | undefined) ?? env.ISOEDGE_ADMIN_URL ?? 'http://127.0.0.1:8081',
        edgeUrl: (p.flags['edge-url'] as string | undefined) ?? env.ISOEDGE_EDGE_URL ?? 'http://127.0.0.1:8080',
        token: (p.flags.token as string | undefined) ?? env.ISOEDGE_ADMIN_TOKEN ?? undefined,
      },
      json: p.flags.json === true,
      out,
      warn: err,
    };
    await c.run!(ctx, p);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`isoedge ${label}: ${e.message}\nUsage: isoedge ${c.usage}`);
      return EXIT.usage;
    }
    if (e instanceof ProjectError) {
      // The project cannot be deployed as it is (a binding, a Node import, a syntax error): its message is the whole story.
      err(`isoedge ${label}: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof ApiError) {
      err(`isoedge ${label}: ${e.code} (HTTP ${e.status}): ${e.message}`);
      return EXIT.api;
    }
    if (e instanceof NetworkError || (e as Error).name === 'NetworkError') {
      err(`isoedge ${label}: ${(e as Error).message}`);
      return EXIT.network;
    }
    throw e;
  }
}
