/**
 * The worker side of the differential suite (issue 14 item 7): an area module lists cases, each a
 * small function returning a JSON-able result and the value the spec expects (written from the
 * web-platform-tests file the case follows). `caseWorker(cases)` is the default export of the area's
 * bundle: `GET /` runs every case in order and answers `{ name: result }`, where a thrown error
 * becomes `{ threw: error.name }` (messages differ between runtimes and are not compared) and a case
 * that does not settle within 3 s becomes `{ timeout: true }`. The same bundle runs on workerd and on
 * isoedge; the runner compares both results with `expect` and with each other.
 */
export interface Case {
  name: string;
  /** The web-platform-tests file the case follows (path in web-platform-tests/wpt). */
  wpt: string;
  run: () => unknown;
  expect: unknown;
}

export const c = (name: string, wpt: string, run: () => unknown, expect: unknown): Case => ({ name, wpt, run, expect });

/** A thrown value as compared: its name (DOMException, TypeError, …), never its message. */
export const thrown = (e: unknown): { threw: string } => ({ threw: e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e) ? String((e as { name: unknown }).name) : typeof e });

/**
 * Runs `f` and answers `{ threw: name }` if it throws or rejects (for cases that compare the error).
 * Synchronous when `f` is, so a case can put several attempts in one array.
 */
export function attempt(f: () => unknown): unknown {
  try {
    const v = f();
    return v instanceof Promise ? v.catch(thrown) : v;
  } catch (e) {
    return thrown(e);
  }
}

async function runOne(k: Case): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((r) => { timer = setTimeout(() => r({ timeout: true }), 3000); });
  try {
    const v = await Promise.race([Promise.resolve().then(k.run), timeout]);
    return v === undefined ? null : JSON.parse(JSON.stringify(v)) as unknown;
  } catch (e) {
    return thrown(e);
  } finally {
    clearTimeout(timer);
  }
}

export function caseWorker(cases: Case[]): { fetch(req: Request): Promise<Response> } {
  return {
    async fetch(req: Request): Promise<Response> {
      if (new URL(req.url).pathname !== '/') return new Response('ready');
      const out: Record<string, unknown> = {};
      for (const k of cases) out[k.name] = await runOne(k);
      return Response.json(out);
    },
  };
}

/** Bytes as an array of numbers (JSON-able). */
export const arr = (b: ArrayBuffer | ArrayBufferView): number[] => Array.from(b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
export const hex = (b: ArrayBuffer | ArrayBufferView): string => arr(b).map((x) => x.toString(16).padStart(2, '0')).join('');

/** Reads a ReadableStream to its end: the chunks as they arrived. */
export async function chunks<T>(rs: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const r = rs.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return out;
    out.push(value);
  }
}
