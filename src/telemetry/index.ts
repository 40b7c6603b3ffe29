/** Host metrics on prom-client: the four request/scaling metrics, the state gauges and the default process metrics. */
export { createHostMetrics, type HostMetrics } from './host-metrics.ts';
export type { GaugeSources, RevisionGaugeState } from './gauges.ts';
