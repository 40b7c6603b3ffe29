// A slow report, meant to be called async: it takes `?ms=` (default 2000) to "build", then answers
// JSON. The host gives each run the call id and attempt number: a report keyed by the call id is
// built once however often a retry runs it (the host runs a call at least once).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const ms = Math.min(Number(url.searchParams.get('ms') ?? 2000), 20_000);
    const rows = Number(url.searchParams.get('rows') ?? 3);
    await new Promise((r) => setTimeout(r, ms));
    if (url.searchParams.get('fail') === '1') return new Response('the data source is down', { status: 503 });
    const lines = Array.from({ length: rows }, (_, i) => ({ region: `r${i + 1}`, orders: (i + 1) * 17 }));
    return Response.json({
      report: url.pathname.slice(1) || 'daily',
      callId: request.headers.get('isoedge-call-id'),
      attempt: Number(request.headers.get('isoedge-attempt')),
      lines,
      total: lines.reduce((a, l) => a + l.orders, 0),
    });
  },
  // The nightly run (triggers.crons in isoedge.json): a tick is an async invocation like any other.
  async scheduled(controller, env, ctx) {
    console.log(`nightly report for ${new Date(controller.scheduledTime).toISOString()} (${controller.cron})`);
  },
};
