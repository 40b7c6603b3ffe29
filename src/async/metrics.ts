/** Async invocation metrics: queue depth and oldest age per function (read from the store at scrape time), attempts and outcomes. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FunctionQueueStats } from '../store/index.ts';

export interface AsyncMetrics {
  attempts: Counter<'function' | 'outcome'>;
  calls: Counter<'function' | 'status'>;
  callbacks: Counter<'function' | 'outcome'>;
}

export function registerAsyncMetrics(registry: Registry, stats: () => Map<string, FunctionQueueStats>, wallNow: () => number): AsyncMetrics {
  const registers = [registry];
  new Gauge({
    name: 'isoedge_async_queued', help: 'Async calls queued per function (waiting to run, or for a retry).', labelNames: ['function'] as const, registers,
    collect() { this.reset(); for (const [fn, s] of stats()) this.set({ function: fn }, s.queued); },
  });
  new Gauge({
    name: 'isoedge_async_running', help: 'Async calls running per function.', labelNames: ['function'] as const, registers,
    collect() { this.reset(); for (const [fn, s] of stats()) this.set({ function: fn }, s.running); },
  });
  new Gauge({
    name: 'isoedge_async_oldest_queued_seconds', help: 'Age of the oldest queued async call per function.', labelNames: ['function'] as const, registers,
    collect() {
      this.reset();
      const now = wallNow();
      for (const [fn, s] of stats()) if (s.oldestQueuedAt !== undefined) this.set({ function: fn }, Math.max(0, now - s.oldestQueuedAt) / 1000);
    },
  });
  return {
    attempts: new Counter({ name: 'isoedge_async_attempts_total', help: 'Async call attempts by function and what followed: succeeded, retry, failed, dead.', labelNames: ['function', 'outcome'] as const, registers }),
    calls: new Counter({ name: 'isoedge_async_calls_total', help: 'Async calls that reached a final status, by function and status.', labelNames: ['function', 'status'] as const, registers }),
    callbacks: new Counter({ name: 'isoedge_async_callbacks_total', help: 'X-Callback-Url deliveries by function and outcome: delivered, retry, failed.', labelNames: ['function', 'outcome'] as const, registers }),
  };
}
