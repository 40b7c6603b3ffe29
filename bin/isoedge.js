#!/usr/bin/env node
// Launcher: runs src/main.ts on the Node 24 that the `node` dev dependency installs (type stripping,
// prebuilt addons), with --no-node-snapshot as isolated-vm requires. Falls back to this Node if ≥ 22.6.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const local = `${root}node_modules/node/bin/node`;
const node = existsSync(local) ? local : process.execPath;
const child = spawn(node, ['--no-node-snapshot', '--single-threaded-gc', `${root}src/main.ts`, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
