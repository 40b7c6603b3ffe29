// The smallest isoedge function: Workers module syntax.
export default {
  async fetch(request, env, ctx) {
    return new Response(`Hello from isoedge! You asked for ${new URL(request.url).pathname}\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};
