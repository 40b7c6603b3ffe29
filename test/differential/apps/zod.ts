// zod (v4) parsing a request body, used unchanged.
import { z } from 'zod';

const Order = z.object({
  id: z.string().uuid(),
  email: z.string().email(),
  items: z.array(z.object({ sku: z.string().min(3), qty: z.number().int().positive() })).min(1),
  note: z.string().max(20).optional(),
  when: z.coerce.date(),
});

export default {
  async fetch(req: Request): Promise<Response> {
    if (req.method !== 'POST') return new Response('POST an order', { status: 405, headers: { allow: 'POST' } });
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return Response.json({ error: 'invalid JSON' }, { status: 400 });
    }
    const r = Order.safeParse(body);
    if (!r.success) return Response.json({ error: 'invalid', issues: r.error.issues.map((i) => ({ path: i.path, code: i.code })) }, { status: 422 });
    const o = r.data;
    return Response.json({ id: o.id, total: o.items.reduce((n, i) => n + i.qty, 0), when: o.when.toISOString(), note: o.note ?? null });
  },
};
