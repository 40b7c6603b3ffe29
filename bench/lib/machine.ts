/** The machine and commit a bench ran on, recorded in every result file. */
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function machine() {
  let commit = 'unknown';
  try { commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { /* not a git checkout */ }
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), platform: process.platform, commit };
}
