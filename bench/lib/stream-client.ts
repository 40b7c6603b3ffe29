/**
 * Streaming clients for the streaming group: the time to the first body byte of a response, a
 * download read as fast as the client can (or paced to a rate, by pausing the socket), and an
 * upload written in 64 KiB chunks as the socket takes them. Every request is bounded by an idle
 * timeout, so a stalled stream fails the scenario instead of hanging the run.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';

export interface Streamed { status: number; ttfbMs: number; ms: number; bytes: number; body: string }

const IDLE_MS = 15_000;

/**
 * GET `path` and read the whole body; `ttfbMs` is request start to the first body byte, `ms` to its
 * end. With `paceMiBps` the reader pauses whenever it is ahead of that rate (the bytes then wait in
 * the kernel's socket buffers and, past them, at the server). `keep` keeps at most that many bytes
 * of the body as text (for checks).
 */
export function streamGet(agent: http.Agent | undefined, port: number, host: string, path: string, opts: { paceMiBps?: number; keep?: number; deadline?: number } = {}): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = NaN;
    let bytes = 0;
    let body = '';
    const keep = opts.keep ?? 0;
    const bps = opts.paceMiBps ? opts.paceMiBps * 2 ** 20 : 0;
    const req = http.request({ host: '127.0.0.1', port, path, agent: agent ?? false, headers: { host } }, (res) => {
      res.on('data', (c: Buffer) => {
        if (Number.isNaN(ttfb)) ttfb = performance.now() - t0;
        bytes += c.length;
        if (body.length < keep) body += c.subarray(0, keep - body.length).toString('latin1');
        if (opts.deadline && performance.now() > opts.deadline) { req.destroy(new Error(`deadline passed after ${bytes} bytes`)); return; }
        if (bps) {
          const ahead = (bytes / bps) * 1000 - (performance.now() - t0);
          if (ahead > 2) { res.pause(); setTimeout(() => res.resume(), ahead); }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, ttfbMs: ttfb, ms: performance.now() - t0, bytes, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`no bytes for ${IDLE_MS / 1000} s (after ${bytes} bytes)`)));
    req.end();
  });
}

export interface Uploaded { status: number; ms: number; bytes: number; body: string; sha256: string }

/**
 * POSTs `total` bytes (with a content-length) in 64 KiB chunks, each written when the socket takes
 * the previous one; each chunk is a random block with its index in the first 4 bytes, hashed here
 * as it is sent, so `sha256` is what the server must answer.
 */
export function streamUpload(port: number, host: string, path: string, total: number, chunkBytes = 64 * 1024): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const base = randomBytes(chunkBytes);
    const hash = createHash('sha256');
    const t0 = performance.now();
    let sent = 0;
    let i = 0;
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { host, 'content-type': 'application/octet-stream', 'content-length': String(total) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - t0, bytes: sent, body, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`upload stalled for ${IDLE_MS / 1000} s after ${sent} bytes`)));
    const write = () => {
      while (sent < total) {
        const k = Math.min(chunkBytes, total - sent);
        const c = Buffer.allocUnsafe(k);
        base.copy(c, 0, 0, k);
        if (k >= 4) c.writeUInt32LE(i >>> 0, 0);
        i++;
        sent += k;
        hash.update(c);
        if (!req.write(c)) { req.once('drain', write); return; }
      }
      req.end();
    };
    write();
  });
}
