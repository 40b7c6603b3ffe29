/** The machine and commit a bench ran on, recorded in every result file. */
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

function git(args: string): string | undefined {
  try { return execSync(`git ${args}`, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return undefined; /* not a git checkout */ }
}

export function machine() {
  // `dirty`: tracked files differed from the commit (a run on a shared checkout may measure work not yet committed).
  const dirty = (git('status --porcelain --untracked-files=no') ?? '') !== '';
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), platform: process.platform, commit: git('rev-parse --short HEAD') ?? 'unknown', dirty };
}
