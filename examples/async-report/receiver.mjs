// A callback receiver for X-Callback-Url: prints what the host POSTs when a call ends.
// Usage: node examples/async-report/receiver.mjs [port]   (default 9000; 0 picks a free one)
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const h = req.headers;
    console.log(`callback ${h['x-call-id']} ${h['x-function-name']} status=${h['x-function-status']} call=${h['isoedge-call-status']} ${h['x-duration-seconds']}s`);
    console.log(Buffer.concat(chunks).toString());
    res.writeHead(204).end();
  });
});
server.listen(Number(process.argv[2] ?? 9000), '127.0.0.1', () => console.log(`receiver listening on 127.0.0.1:${server.address().port}`));
