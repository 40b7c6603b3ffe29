/** The host's gauges: prom-client Gauges whose collect() reads the live state at scrape time, so nothing is copied. */
import { Gauge, type Registry } from 'prom-client';

/** What one revision's gauges read (the scaling manager's RevisionScaler has these fields). */
export interface RevisionGaugeState {
  readonly desired: number;
  readonly ready: number;
  readonly inflight: number;
  readonly queued: number;
  readonly panicMode: boolean;
  readonly excessBurstCapacity: number;
}

/** The host state the gauges read; telemetry/ imports no other layer, so the host passes these readers in. */
export interface GaugeSources {
  revisions(): Iterable<[revision: string, state: RevisionGaugeState]>;
  threads(): { desired: number; running: number; panic: boolean };
  functionCount(): number;
  /** Bytes the executors' Cache API stores hold (0 when absent). */
  cacheBytes?(): number;
}

const PER_REVISION: [name: string, help: string, read: (s: RevisionGaugeState) => number][] = [
  ['isoedge_revision_desired_instances', 'Instances the autoscaler wants per revision.', (s) => s.desired],
  ['isoedge_revision_ready_instances', 'Live instances per revision, as the executors report.', (s) => s.ready],
  ['isoedge_revision_inflight_requests', 'Requests in flight per revision.', (s) => s.inflight],
  ['isoedge_revision_queued_requests', 'Requests waiting per revision (activator or queue).', (s) => s.queued],
  ['isoedge_revision_panic_mode', '1 while the revision autoscaler is in panic mode.', (s) => (s.panicMode ? 1 : 0)],
  ['isoedge_revision_excess_burst_capacity', 'Excess burst capacity; negative keeps the activator in the path.', (s) => s.excessBurstCapacity],
];

export function registerGauges(register: Registry, src: GaugeSources): void {
  const registers = [register];
  for (const [name, help, read] of PER_REVISION) {
    new Gauge({
      name, help, labelNames: ['revision'], registers,
      collect() {
        // reset first: a deleted revision's series must disappear, not keep its last value.
        this.reset();
        for (const [revision, s] of src.revisions()) this.set({ revision }, read(s));
      },
    });
  }
  new Gauge({
    name: 'isoedge_executor_threads', help: 'Executor threads: desired by the thread autoscaler, and running.', labelNames: ['state'], registers,
    collect() {
      const t = src.threads();
      this.set({ state: 'desired' }, t.desired);
      this.set({ state: 'running' }, t.running);
    },
  });
  new Gauge({
    name: 'isoedge_executor_threads_panic_mode', help: '1 while the thread autoscaler is in panic mode.', registers,
    collect() { this.set(src.threads().panic ? 1 : 0); },
  });
  new Gauge({
    name: 'isoedge_cache_bytes', help: 'Bytes the Cache API holds over all executor threads (entries, keys and bookkeeping), as they last reported.', registers,
    collect() { this.set(src.cacheBytes?.() ?? 0); },
  });
  new Gauge({
    name: 'isoedge_functions', help: 'Deployed functions.', registers,
    collect() { this.set(src.functionCount()); },
  });
}
