/** Real-socket clients for the streaming tests (test/streaming.test.ts): arrival times of each chunk, how a response ended. */
import http, { type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';

/** One piece of a response body as the client's socket gave it, with its arrival time (performance.now()). */
export interface Arrival { t: number; data: Buffer }

export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  /** When the request was sent, when the head arrived, when the response closed (performance.now()). */
  tStart: number;
  tHead: number;
  tEnd: number;
  chunks: Arrival[];
  body: Buffer;
  /** The body ended cleanly (node:http's `complete`: the whole content-length, or the last chunk of a chunked body). */
  complete: boolean;
}

export interface ExchangeOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A whole body (sent with its content-length). */
  body?: string | Buffer;
  /** Called with each arrival; return true to destroy the socket at once (a client that goes away). */
  onData?: (a: Arrival, all: Arrival[], res: http.IncomingMessage) => boolean | void;
  /** Give up (destroy the socket) after this long. */
  timeoutMs?: number;
}

/**
 * One request over a fresh connection (no keep-alive agent: each exchange has a socket of its own).
 * Resolves once the response closed, however it ended (`complete` says whether cleanly); rejects only
 * when no response head arrived at all.
 */
export function exchange(port: number, host: string, path: string, o: ExchangeOptions = {}): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const tStart = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'), headers: { host, ...o.headers }, agent: false });
    const timer = o.timeoutMs ? setTimeout(() => req.destroy(new Error(`no end within ${o.timeoutMs} ms`)), o.timeoutMs) : undefined;
    let headed = false;
    req.on('response', (res) => {
      headed = true;
      const tHead = performance.now();
      const chunks: Arrival[] = [];
      let done = false;
      res.on('data', (data: Buffer) => {
        const a = { t: performance.now(), data };
        chunks.push(a);
        if (!done && o.onData?.(a, chunks, res) === true) {
          done = true;
          req.destroy();
        }
      });
      // A response cut short emits 'error' (ECONNRESET, "aborted") as well as 'close': both end up here.
      res.on('error', () => {});
      res.on('close', () => {
        if (timer) clearTimeout(timer);
        resolve({ status: res.statusCode!, headers: res.headers, tStart, tHead, tEnd: performance.now(), chunks, body: Buffer.concat(chunks.map((c) => c.data)), complete: res.complete });
      });
    });
    req.on('error', (e) => {
      if (timer) clearTimeout(timer);
      // After the head, res 'close' resolves; before it, this is the failure.
      if (!headed) reject(e);
    });
    req.end(o.body);
  });
}

/** Polls `pred` every 5 ms; resolves with its first truthy value and the time it was seen, or rejects after `timeoutMs`. */
export async function waitFor<T>(pred: () => T | undefined | false | null, timeoutMs: number, what: string): Promise<{ value: T; t: number }> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v) return { value: v, t: performance.now() };
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The kernel's largest TCP send and receive buffers (the third field of tcp_wmem / tcp_rmem), or 8 MiB each if unreadable. */
export function tcpBufferMax(): { wmem: number; rmem: number } {
  const third = (f: string): number => {
    try {
      return Number(readFileSync(f, 'utf8').trim().split(/\s+/)[2]) || 8 * 1024 * 1024;
    } catch {
      return 8 * 1024 * 1024;
    }
  };
  return { wmem: third('/proc/sys/net/ipv4/tcp_wmem'), rmem: third('/proc/sys/net/ipv4/tcp_rmem') };
}
