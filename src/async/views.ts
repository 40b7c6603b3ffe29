/** Invocation records as the admin API shows them: ISO times, bodies as text when they are UTF-8, else base64. */
import type { CallRecord } from '../store/index.ts';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const utf8 = new TextDecoder('utf-8', { fatal: true });

function bodyView(b: Uint8Array | null): { body: string | null; bodyEncoding: 'utf8' | 'base64' } {
  if (b === null) return { body: null, bodyEncoding: 'utf8' };
  try {
    return { body: utf8.decode(b), bodyEncoding: 'utf8' };
  } catch {
    return { body: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'), bodyEncoding: 'base64' };
  }
}

/** The short form, for lists. */
export function callSummary(c: CallRecord): Record<string, unknown> {
  const last = c.attempts.at(-1);
  return {
    id: c.id,
    function: c.fn,
    status: c.status,
    createdAt: iso(c.createdAt),
    ...(c.finishedAt !== undefined ? { finishedAt: iso(c.finishedAt) } : {}),
    ...(c.status === 'queued' && c.attempts.length > 0 ? { nextAttemptAt: iso(c.runAt) } : {}),
    attempts: c.attempts.length,
    ...(last ? { lastAttempt: { ...last, startedAt: iso(last.startedAt) } } : {}),
    ...(c.result ? { resultStatus: c.result.status } : {}),
    ...(c.error ? { error: c.error } : {}),
    ...(c.request.scheduled ? { scheduled: { cron: c.request.scheduled.cron, scheduledTime: iso(c.request.scheduled.scheduledTime) } } : {}),
    ...(c.replayOf ? { replayOf: c.replayOf } : {}),
  };
}

/** The whole record: request, every attempt, the result. */
export function callView(c: CallRecord): Record<string, unknown> {
  const { attempts: _n, lastAttempt: _l, resultStatus: _r, ...head } = callSummary(c);
  return {
    ...head,
    request: { method: c.request.method, url: c.request.url, headers: c.request.headers, bodyBytes: c.request.body?.byteLength ?? 0, ...(c.request.tag !== undefined ? { tag: c.request.tag } : {}) },
    attempts: c.attempts.map((a) => ({ ...a, startedAt: iso(a.startedAt) })),
    ...(c.result ? { result: { status: c.result.status, headers: c.result.headers, ...bodyView(c.result.body), truncated: c.result.truncated } } : {}),
    ...(c.key !== undefined ? { key: c.key } : {}),
    ...(c.callback ? { callback: { url: c.callback.url, status: c.callback.status, attempts: c.callback.attempts, ...(c.callback.lastError ? { lastError: c.callback.lastError } : {}) } } : {}),
  };
}
