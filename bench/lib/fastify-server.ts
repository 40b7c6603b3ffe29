/** Baseline: fastify serving the hello handler, in its own process; prints {"port"}. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/*', async (req, reply) => {
  reply.type('text/plain; charset=utf-8');
  return `Hello from isoedge! You asked for ${new URL(req.url, 'http://x').pathname}\n`;
});
const addr = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ port: Number(new URL(addr).port) }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
