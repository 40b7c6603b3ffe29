/** The dispatch hooks the host installs: request metrics, the per-function request log and a warning per failed call. */
import type { Logger } from 'pino';
import type { LogEntry } from '../logging/index.ts';
import type { DispatchEvent, DispatchHooks } from './types.ts';

/** The metrics the hooks feed (prom-client's Counter and Histogram fit). */
export interface DispatchMetrics {
  requestsTotal: { inc(labels: { function: string; revision: string; code: string }): void };
  startSeconds: { observe(labels: { tier: string; source: string }, value: number): void };
  queueSeconds: { observe(labels: { revision: string }, value: number): void };
}

export interface RequestLog {
  push(e: LogEntry): void;
}

/** The path and query of a full URL (the request line shows them, not the host). */
function pathOf(url: string): string {
  const i = url.indexOf('/', url.indexOf('//') + 2);
  return i === -1 ? '/' : url.slice(i);
}

/**
 * Requests are observed after their responses are written: the events of one event-loop turn are
 * kept and recorded together in its check phase (setImmediate), off the path a client waits on.
 */
export function observeDispatch(metrics: DispatchMetrics, logs: RequestLog, log: Pick<Logger, 'warn'>): DispatchHooks {
  let pending: { e: DispatchEvent; at: number }[] = [];
  const flush = (): void => {
    const batch = pending;
    pending = [];
    for (const { e, at } of batch) record(e, at);
  };
  const record = ({ target, request, result, stage, executed, totalMs }: DispatchEvent, at: number): void => {
    const rev = result.revision;
    if (rev === undefined) return;
    const t = result.timing;
    if (t.queueMs > 0) metrics.queueSeconds.observe({ revision: rev }, t.queueMs / 1000);
    // A refusal at admission (a full queue, a deadline) is counted; a lost executor is not an answer.
    if (!executed) {
      if (!result.ok && stage === 'admit') metrics.requestsTotal.inc({ function: target.fn, revision: rev, code: result.error.code });
      return;
    }
    if (t.tier !== undefined) metrics.startSeconds.observe({ tier: t.tier, source: 'request' }, (t.startMs ?? 0) / 1000);
    const status = result.ok ? result.status : result.error.statusCode;
    metrics.requestsTotal.inc({ function: target.fn, revision: rev, code: result.ok ? String(result.status) : result.error.code });
    const path = pathOf(request.url);
    logs.push({
      time: new Date(at).toISOString(), level: result.ok ? 'info' : 'warn', source: 'host', function: target.fn, revision: rev, reqId: request.id,
      msg: `${request.method} ${path.split('?')[0]} ${status}${result.ok ? '' : ` ${result.error.code}`} ${totalMs.toFixed(2)} ms${t.tier ? ` (${t.tier})` : ''}`,
      request: { method: request.method, path, status, ms: +totalMs.toFixed(3), ...(t.tier ? { tier: t.tier } : {}) },
    });
    if (!result.ok) log.warn({ reqId: request.id, revision: rev, code: result.error.code, msg: result.error.message }, 'function request failed');
  };
  return {
    finished(e: DispatchEvent) {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ e, at: Date.now() });
    },
  };
}
