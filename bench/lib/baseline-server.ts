/**
 * Baseline servers that start a fresh execution environment per request, the way
 * users without isolates would: `vm` (a new node:vm context), `worker` (a new
 * worker_threads Worker), `process` (a new node process: exec mode, as Fission's
 * newdeploy and OpenFaaS do). Each runs the handler (hello, or the 50 KB bundle with
 * `bundle`) and answers with its result.
 * Usage: node bench/lib/baseline-server.ts <vm|worker|process> [bundle]; prints {"port"}.
 */
import http from 'node:http';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { execFile } from 'node:child_process';
import { BUNDLE_FN, HELLO_FN } from './handlers.ts';

const mode = process.argv[2];
const HANDLER = process.argv[3] === 'bundle' ? BUNDLE_FN : HELLO_FN;

function run(path: string): Promise<string> {
  if (mode === 'vm') {
    const ctx = vm.createContext({});
    return Promise.resolve((vm.runInContext(HANDLER, ctx) as (p: string) => string)(path));
  }
  if (mode === 'worker') {
    return new Promise((resolve, reject) => {
      const w = new Worker(`const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage((${HANDLER})(workerData));`, { eval: true, workerData: path });
      w.once('message', (m: string) => { resolve(m); void w.terminate(); });
      w.once('error', reject);
    });
  }
  if (mode === 'process') {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', `process.stdout.write((${HANDLER})(process.argv[1]))`, path], (e, out) => (e ? reject(e) : resolve(out)));
    });
  }
  throw new Error(`unknown mode ${mode}`);
}

const server = http.createServer((req, res) => {
  run(new URL(req.url ?? '/', 'http://x').pathname).then((body) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }, (e: Error) => { res.writeHead(500); res.end(e.message); });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
