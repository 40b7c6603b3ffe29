/**
 * Run by `npm test` before vitest: installs the system packages the tests use when it can (as root,
 * with apt), and otherwise says which suites will skip and how to install what they need. CI
 * (`.ci/run`) installs them itself, so it never skips.
 */
import { spawnSync } from 'node:child_process';

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const PACKAGES = [
  { bin: 'nats-server', pkg: 'nats-server', suites: 'the NATS store and cluster tests' },
  { bin: 'nginx', pkg: 'nginx', suites: 'the cluster example test' },
];

for (const p of PACKAGES) {
  if (has(p.bin)) continue;
  if (process.getuid?.() === 0 && has('apt-get')) {
    process.stderr.write(`test-deps: installing ${p.pkg} (apt-get install -y ${p.pkg}) for ${p.suites}\n`);
    let r = spawnSync('apt-get', ['install', '-y', '-q', p.pkg], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) r = spawnSync('sh', ['-c', `apt-get update -q && apt-get install -y -q ${p.pkg}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status === 0 && has(p.bin)) continue;
  }
  process.stderr.write(`test-deps: ${p.bin} is not installed, so ${p.suites} will skip; install it with: apt-get install -y ${p.pkg}\n`);
}
