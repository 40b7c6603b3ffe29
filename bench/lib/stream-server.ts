/**
 * Baseline for the streaming group: bare node:http serving the routes of bench/lib/stream-handlers.ts
 * with the same bytes — SSE on timers, N bytes piped from a Readable of 64 KiB chunks (pipeline:
 * backpressure from the socket), an upload hashed chunk by chunk with node:crypto.
 * Usage: node bench/lib/stream-server.ts; prints {"port"}.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { STREAM_CHUNK } from './stream-handlers.ts';

const chunk = Buffer.alloc(STREAM_CHUNK, 120);

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = (k: string, d: number) => Number(url.searchParams.get(k) ?? d);
  if (url.pathname === '/sse') {
    const events = q('events', 3), every = q('everyMs', 5);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write('data: 0\n\n');
    let i = 0;
    const next = () => {
      if (i >= events - 1) { res.end(); return; }
      setTimeout(() => { i++; res.write(`data: ${i}\n\n`); next(); }, every);
    };
    next();
    return;
  }
  if (url.pathname === '/bytes') {
    let left = q('n', 0);
    const body = new Readable({
      read() {
        if (left <= 0) { this.push(null); return; }
        const k = Math.min(STREAM_CHUNK, left);
        left -= k;
        this.push(k === STREAM_CHUNK ? chunk : chunk.subarray(0, k));
      },
    });
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    pipeline(body, res, () => {});
    return;
  }
  if (url.pathname === '/upload' && req.method === 'POST') {
    const h = createHash('sha256');
    req.on('data', (c: Buffer) => h.update(c));
    req.on('end', () => {
      const body = JSON.stringify({ sha256: h.digest('hex') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  const body = `Hello from isoedge! You asked for ${url.pathname}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n'));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
