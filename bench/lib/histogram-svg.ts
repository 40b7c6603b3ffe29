/** Latency distributions as an SVG: one log-scaled histogram row per scenario, drawn from the binned histograms in the result JSON. */
import { binLow, type Histogram } from './histogram.ts';

export interface HistogramSeries { name: string; hist: Histogram; p50: number; n: number }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function histogramsSvg(title: string, series: HistogramSeries[]): string {
  const W = 1080, rowH = 56, L = 460, R = 20, T = 40;
  const H = T + series.length * rowH + 30;
  const used = series.filter((s) => s.hist.counts.length);
  // The x range spans every row's bins, so rows compare by position.
  const first = Math.min(...used.map((s) => s.hist.first));
  const last = Math.max(...used.map((s) => s.hist.first + s.hist.counts.length));
  const lo = Math.log10(binLow(first)), hi = Math.log10(binLow(last));
  const x = (v: number) => L + ((Math.log10(v) - lo) / (hi - lo || 1)) * (W - L - R);
  const bw = (W - L - R) / Math.max(1, last - first);
  const rows = series.map((s, r) => {
    const y0 = T + r * rowH + rowH - 8;
    const max = Math.max(1, ...s.hist.counts);
    const bars = s.hist.counts.map((c, i) => {
      if (!c) return '';
      const h = (c / max) * (rowH - 16);
      return `<rect x="${x(binLow(s.hist.first + i)).toFixed(1)}" y="${(y0 - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4e79a7"/>`;
    }).join('');
    const px = x(Math.max(binLow(first), s.p50)).toFixed(1);
    return `<text x="10" y="${y0 - 18}">${esc(s.name)}</text><text x="10" y="${y0 - 3}" fill="#555">p50 of all samples ${s.p50} ms, n=${s.n}</text>${bars}<line x1="${px}" y1="${y0 - rowH + 12}" x2="${px}" y2="${y0}" stroke="#e15759" stroke-width="2"/>`;
  }).join('\n');
  const ticks = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000].filter((t) => Math.log10(t) >= lo && Math.log10(t) <= hi);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="14">${esc(title)}</text>
${ticks.map((t) => `<line x1="${x(t).toFixed(1)}" y1="${T}" x2="${x(t).toFixed(1)}" y2="${H - 30}" stroke="#ddd"/><text x="${x(t).toFixed(1)}" y="${H - 12}" text-anchor="middle">${t} ms</text>`).join('')}
${rows}
</svg>
`;
}
