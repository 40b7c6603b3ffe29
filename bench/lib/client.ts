/** A keep-alive HTTP client for loopback benchmarks: timed single requests and a fixed-concurrency load loop. */
import http from 'node:http';

export interface Timed { ms: number; status: number; headers: http.IncomingHttpHeaders; body: string }

export function makeAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

export function timedGet(agent: http.Agent, port: number, host: string, path = '/'): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** Runs `concurrency` request loops for `durationMs` (bounded), returns req/s and error count. */
export async function load(port: number, host: string, concurrency: number, durationMs: number): Promise<{ rps: number; requests: number; errors: number }> {
  const agent = makeAgent(concurrency);
  const end = performance.now() + durationMs;
  let requests = 0;
  let errors = 0;
  const loop = async () => {
    while (performance.now() < end) {
      try {
        const r = await timedGet(agent, port, host);
        if (r.status === 200) requests++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: Math.round(requests / secs), requests, errors };
}

export function tierOf(headers: http.IncomingHttpHeaders): string | undefined {
  return /start;desc="(\w+)"/.exec(String(headers['server-timing'] ?? ''))?.[1];
}
