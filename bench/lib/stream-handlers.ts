/**
 * The streaming group's function (issue 15), one ES module source that isoedge and workerd both
 * run unchanged; bench/lib/stream-server.ts serves the same routes from bare node:http.
 *
 *   GET  /sse?events=E&everyMs=T  text/event-stream: the first event at once, then E-1 more, one every T ms
 *   GET  /bytes?n=N               N bytes of a ReadableStream that enqueues 64 KiB chunks on pull (backpressure-driven)
 *   POST /upload                  request.body piped into crypto.DigestStream('SHA-256'); answers {"sha256": hex}
 *   GET  /                        a hello (readiness, and the hot path)
 */
export const STREAM_CHUNK = 64 * 1024;

export const STREAM_FN = `const CHUNK = ${STREAM_CHUNK};
const chunk = new Uint8Array(CHUNK).fill(120);
const enc = new TextEncoder();
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const q = (k, d) => Number(url.searchParams.get(k) ?? d);
    if (url.pathname === '/sse') {
      const events = q('events', 3), every = q('everyMs', 5);
      let i = 0;
      const body = new ReadableStream({
        start(c) { c.enqueue(enc.encode('data: 0\\n\\n')); if (events <= 1) c.close(); },
        pull(c) {
          return new Promise((resolve) => setTimeout(() => {
            i++;
            c.enqueue(enc.encode('data: ' + i + '\\n\\n'));
            if (i >= events - 1) c.close();
            resolve();
          }, every));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' } });
    }
    if (url.pathname === '/bytes') {
      let left = q('n', 0);
      const body = new ReadableStream({
        pull(c) {
          if (left <= 0) { c.close(); return; }
          const k = Math.min(CHUNK, left);
          c.enqueue(k === CHUNK ? chunk : chunk.subarray(0, k));
          left -= k;
        },
      });
      return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (url.pathname === '/upload' && request.method === 'POST') {
      const ds = new crypto.DigestStream('SHA-256');
      await request.body.pipeTo(ds);
      const d = await ds.digest;
      return new Response(JSON.stringify({ sha256: hex(d) }), { headers: { 'content-type': 'application/json' } });
    }
    return new Response('Hello from isoedge! You asked for ' + url.pathname + '\\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
`;
