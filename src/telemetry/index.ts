export { Registry, Counter, Gauge, Histogram } from './prometheus.ts';
