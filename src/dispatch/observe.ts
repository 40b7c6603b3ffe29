/** The dispatch hooks the host installs: request metrics, the per-function request log and a warning per failed call. */
import type { Logger } from 'pino';
import type { LogEntry } from '../logging/index.ts';
import type { DispatchEvent, DispatchHooks } from './types.ts';

/** The metrics the hooks feed (prom-client's Counter and Histogram fit). */
export interface DispatchMetrics {
  requestsTotal: { labels(labels: { function: string; revision: string; code: string }): { inc(): void } };
  startSeconds: { labels(labels: { tier: string; source: string }): { observe(value: number): void } };
  queueSeconds: { observe(labels: { revision: string }, value: number): void };
}

/**
 * A metric's series by its label values, looked up once: prom-client hashes the label object on
 * every inc() or observe() otherwise. Series are never removed (the counters only grow), so a kept
 * child stays the registry's own.
 */
function seriesCache<T>(make: (key: string[]) => T): (...key: string[]) => T {
  const kept = new Map<string, T>();
  return (...key) => {
    const k = key.join('\0');
    let s = kept.get(k);
    if (s === undefined) kept.set(k, (s = make(key)));
    return s;
  };
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
  const requests = seriesCache(([fn, revision, code]) => metrics.requestsTotal.labels({ function: fn!, revision: revision!, code: code! }));
  const starts = seriesCache(([tier]) => metrics.startSeconds.labels({ tier: tier!, source: 'request' }));
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
      if (!result.ok && stage === 'admit') requests(target.fn, rev, result.error.code).inc();
      return;
    }
    if (t.tier !== undefined) starts(t.tier).observe((t.startMs ?? 0) / 1000);
    const status = result.ok ? result.status : result.error.statusCode;
    requests(target.fn, rev, result.ok ? String(result.status) : result.error.code).inc();
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
