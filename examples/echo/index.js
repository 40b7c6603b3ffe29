// Request/response features: JSON echo, headers, status codes, env and console.
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/status') {
      const code = Number(url.searchParams.get('code') ?? 418);
      return new Response(`status ${code}\n`, { status: code });
    }
    if (url.pathname === '/headers') {
      const h = new Headers({ 'x-greeting': env.GREETING });
      h.append('set-cookie', 'a=1; Path=/');
      h.append('set-cookie', 'b=2; Path=/');
      return new Response(null, { status: 204, headers: h });
    }
    if (url.pathname === '/bytes') {
      // Binary in, binary out: each byte plus one.
      const bytes = new Uint8Array(await request.arrayBuffer());
      return new Response(bytes.map((b) => (b + 1) & 0xff), { headers: { 'content-type': 'application/octet-stream' } });
    }
    console.log('echo', request.method, url.pathname);
    const text = await request.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: echo the text only */ }
    return Response.json({
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers.get('content-type'),
      json,
      text: json === null ? text : undefined,
      greeting: env.GREETING,
    });
  },
};
