/** The host's metrics on prom-client, in a registry of its own per host (tests run many hosts in one process). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerGauges, type GaugeSources } from './gauges.ts';

export interface HostMetrics {
  readonly registry: Registry;
  readonly requestsTotal: Counter<'function' | 'revision' | 'code'>;
  readonly startSeconds: Histogram<'tier' | 'source'>;
  readonly queueSeconds: Histogram<'revision'>;
  readonly scaleEvents: Counter<'revision' | 'direction'>;
  /** Cache API operations per function: match → hit | miss, put → stored | uncacheable (counted in the executors). */
  readonly cacheRequests: Counter<'function' | 'result'>;
  /** The exposition format's content type (text 0.0.4), for the `/metrics` reply. */
  readonly contentType: string;
  /** Runs the gauges' collect callbacks and renders everything in the text format. */
  render(): Promise<string>;
}

/** Instance starts run from tens of microseconds (hot) to tens of milliseconds (cold), hence the fine low buckets. */
const START_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1];
const QUEUE_BUCKETS = [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];

export function createHostMetrics(sources: GaugeSources): HostMetrics {
  const registry = new Registry();
  const registers = [registry];
  // process_* (CPU, resident memory, fds…) and nodejs_* (heap, event-loop lag, GC…) of this process.
  collectDefaultMetrics({ register: registry });
  const requestsTotal = new Counter({ name: 'isoedge_requests_total', help: 'Edge requests by function, revision and outcome code.', labelNames: ['function', 'revision', 'code'] as const, registers });
  const startSeconds = new Histogram({
    name: 'isoedge_instance_start_seconds',
    help: 'Instance start latency by tier (hot = taken from the hot set, warm = pre-warmed isolate specialised, cold = new isolate).',
    labelNames: ['tier', 'source'] as const, buckets: START_BUCKETS, registers,
  });
  const queueSeconds = new Histogram({ name: 'isoedge_queue_seconds', help: 'Time requests waited in the activator or a revision queue.', labelNames: ['revision'] as const, buckets: QUEUE_BUCKETS, registers });
  const scaleEvents = new Counter({ name: 'isoedge_autoscaler_decisions_total', help: 'Autoscaler decisions that changed a desired count.', labelNames: ['revision', 'direction'] as const, registers });
  const cacheRequests = new Counter({ name: 'isoedge_cache_requests_total', help: 'Cache API operations by function: match answered hit or miss, put stored or uncacheable (not kept).', labelNames: ['function', 'result'] as const, registers });
  registerGauges(registry, sources);
  return { registry, requestsTotal, startSeconds, queueSeconds, scaleEvents, cacheRequests, contentType: registry.contentType, render: () => registry.metrics() };
}
