export { Registry, Counter, Gauge, Histogram } from './prometheus.ts';
export { createHostMetrics, type HostMetrics, type GaugeSources } from './host-metrics.ts';
