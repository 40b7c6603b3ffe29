/** Baseline: bare node:http serving the same handler as examples/hello, in its own process. */
import http from 'node:http';

const server = http.createServer((req, res) => {
  const body = `Hello from isoedge! You asked for ${new URL(req.url ?? '/', 'http://x').pathname}\n`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
