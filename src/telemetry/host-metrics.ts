/** The host's metrics, defined once: request counters, start and queue histograms, and gauges read on scrape. */
import { Counter, Gauge, Histogram, Registry } from './prometheus.ts';

/** What the gauges read at scrape time. */
export interface GaugeSources {
  revisions(): Iterable<[string, { desired: number; ready: number; inflight: number; queued: number; panicMode: boolean; excessBurstCapacity: number }]>;
  threads(): { desired: number; running: number; panic: boolean };
  functionCount(): number;
}

export function createHostMetrics(sources: GaugeSources) {
  const registry = new Registry();
  const requestsTotal = registry.add(new Counter('isoedge_requests_total', 'Edge requests by function, revision and outcome code.'));
  const startSeconds = registry.add(new Histogram('isoedge_instance_start_seconds', 'Instance start latency by tier (hot = taken from the hot set, warm = pre-warmed isolate specialised, cold = new isolate).', [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1]));
  const queueSeconds = registry.add(new Histogram('isoedge_queue_seconds', 'Time requests waited in the activator or a revision queue.', [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]));
  const scaleEvents = registry.add(new Counter('isoedge_autoscaler_decisions_total', 'Autoscaler decisions that changed a desired count.'));
  function perRevision(f: (s: { desired: number; ready: number; inflight: number; queued: number; panicMode: boolean; excessBurstCapacity: number }) => number) {
    return () => [...sources.revisions()].map(([rev, s]) => [{ revision: rev }, f(s)] as [Record<string, string>, number]);
  }
  registry.add(new Gauge('isoedge_revision_desired_instances', 'Instances the autoscaler wants per revision.', perRevision((s) => s.desired)));
  registry.add(new Gauge('isoedge_revision_ready_instances', 'Live instances per revision, as the executors report.', perRevision((s) => s.ready)));
  registry.add(new Gauge('isoedge_revision_inflight_requests', 'Requests in flight per revision.', perRevision((s) => s.inflight)));
  registry.add(new Gauge('isoedge_revision_queued_requests', 'Requests waiting per revision (activator or queue).', perRevision((s) => s.queued)));
  registry.add(new Gauge('isoedge_revision_panic_mode', '1 while the revision autoscaler is in panic mode.', perRevision((s) => (s.panicMode ? 1 : 0))));
  registry.add(new Gauge('isoedge_revision_excess_burst_capacity', 'Excess burst capacity; negative keeps the activator in the path.', perRevision((s) => s.excessBurstCapacity)));
  registry.add(new Gauge('isoedge_executor_threads', 'Executor threads: desired by the thread autoscaler, and running.', () => { const t = sources.threads(); return [[{ state: 'desired' }, t.desired], [{ state: 'running' }, t.running]]; }));
  registry.add(new Gauge('isoedge_executor_threads_panic_mode', '1 while the thread autoscaler is in panic mode.', () => [[{}, sources.threads().panic ? 1 : 0]]));
  registry.add(new Gauge('isoedge_functions', 'Deployed functions.', () => [[{}, sources.functionCount()]]));
  registry.add(new Gauge('process_resident_memory_bytes', 'Resident memory of the host process.', () => [[{}, process.memoryUsage().rss]]));
  return { registry, requestsTotal, startSeconds, queueSeconds, scaleEvents, render: async () => registry.render() };
}

export type HostMetrics = ReturnType<typeof createHostMetrics>;
