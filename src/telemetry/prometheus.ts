/**
 * A small Prometheus registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format (version 0.0.4). Gauges may be
 * callbacks read at scrape time, so the scaling state is never copied.
 */
type Labels = Record<string, string | number>;

const esc = (v: string | number): string => String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const key = (l: Labels): string => Object.keys(l).sort().map((k) => `${k}="${esc(l[k]!)}"`).join(',');
const fmt = (name: string, l: string, v: number): string => `${name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN'}`;

interface Metric { render(): string[] }

export class Counter implements Metric {
  readonly #values = new Map<string, number>();
  readonly name: string;
  readonly help: string;
  constructor(name: string, help: string) { this.name = name; this.help = help; }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.#values].map(([k, v]) => fmt(this.name, k, v))];
  }
}

export class Gauge implements Metric {
  readonly name: string;
  readonly help: string;
  readonly collect: () => [Labels, number][];
  constructor(name: string, help: string, collect: () => [Labels, number][]) { this.name = name; this.help = help; this.collect = collect; }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, ...this.collect().map(([l, v]) => fmt(this.name, key(l), v))];
  }
}

export class Histogram implements Metric {
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[]) { this.name = name; this.help = help; this.buckets = buckets; }
  observe(labels: Labels, v: number): void {
    const k = key(labels);
    let s = this.#series.get(k);
    if (!s) this.#series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.#series) {
      const sep = k ? ',' : '';
      this.buckets.forEach((b, i) => out.push(fmt(`${this.name}_bucket`, `${k}${sep}le="${b}"`, s.counts[i]!)));
      out.push(fmt(`${this.name}_bucket`, `${k}${sep}le="+Inf"`, s.count), fmt(`${this.name}_sum`, k, s.sum), fmt(`${this.name}_count`, k, s.count));
    }
    return out;
  }
}

export class Registry {
  readonly #metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.#metrics.push(m);
    return m;
  }
  render(): string {
    return this.#metrics.flatMap((m) => m.render()).join('\n') + '\n';
  }
}
