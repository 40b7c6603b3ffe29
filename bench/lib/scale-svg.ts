/**
 * Cold-start (first-call) percentiles against the number of deployed functions: p50, p90, p99
 * on the left axis (ms), RSS on the right axis (MiB), the hot-set hit rate of the Zipf mix
 * printed under each step. x is log-scaled: the steps grow geometrically.
 */
import type { Scale } from './schema.ts';

export function scaleSvg(title: string, s: Scale): string {
  const W = 900, H = 440, L = 60, R = 80, T = 40, B = 80;
  const steps = s.steps;
  const xs = steps.map((p) => p.functions);
  const lo = Math.log10(Math.min(...xs)), hi = Math.log10(Math.max(...xs));
  const x = (n: number) => L + (hi > lo ? (Math.log10(n) - lo) / (hi - lo) : 0.5) * (W - L - R);
  const msMax = Math.max(1, ...steps.map((p) => p.firstCall.p99)) * 1.1;
  const rssMax = Math.max(1, s.budgetMiB, ...steps.map((p) => p.rssMiB.afterMix)) * 1.1;
  const y = (v: number) => H - B - (v / msMax) * (H - T - B);
  const yr = (v: number) => H - B - (v / rssMax) * (H - T - B);
  const line = (vals: number[], f: (v: number) => number, color: string, dash = '') =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${vals.map((v, i) => `${x(xs[i]!).toFixed(1)},${f(v).toFixed(1)}`).join(' ')}"/>` +
    vals.map((v, i) => `<circle cx="${x(xs[i]!).toFixed(1)}" cy="${f(v).toFixed(1)}" r="3" fill="${color}"/>`).join('');
  const series: [string, number[], string][] = [
    ['first call p50', steps.map((p) => p.firstCall.p50), '#4e79a7'],
    ['first call p90', steps.map((p) => p.firstCall.p90), '#f28e2b'],
    ['first call p99', steps.map((p) => p.firstCall.p99), '#e15759'],
  ];
  const yTicks = Array.from({ length: 5 }, (_, i) => (msMax * i) / 4);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>
<text x="${L}" y="22" font-size="14">${title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/><line x1="${W - R}" y1="${T}" x2="${W - R}" y2="${H - B}" stroke="#59a14f"/>
${yTicks.map((v) => `<line x1="${L}" y1="${y(v).toFixed(1)}" x2="${W - R}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(1)} ms</text>`).join('')}
<text x="${W - R + 6}" y="${(yr(rssMax / 1.1) + 4).toFixed(1)}" fill="#59a14f">${Math.round(rssMax / 1.1)} MiB</text><text x="${W - R + 6}" y="${(yr(0) + 4).toFixed(1)}" fill="#59a14f">0 MiB</text>
${s.budgetMiB ? `<line x1="${L}" y1="${yr(s.budgetMiB).toFixed(1)}" x2="${W - R}" y2="${yr(s.budgetMiB).toFixed(1)}" stroke="#59a14f" stroke-dasharray="2 4"/><text x="${W - R - 4}" y="${(yr(s.budgetMiB) - 4).toFixed(1)}" text-anchor="end" fill="#59a14f">RSS budget ${Math.round(s.budgetMiB)} MiB</text>` : ''}
${steps.map((p) => `<text x="${x(p.functions).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${p.functions.toLocaleString('en-US')}</text><text x="${x(p.functions).toFixed(1)}" y="${H - B + 30}" text-anchor="middle" fill="#555">hit ${p.hitRate.toFixed(2)}</text>`).join('')}
<text x="${(L + W - R) / 2}" y="${H - B + 46}" text-anchor="middle">deployed functions (log scale); hit = hot-set hit rate of the Zipf mix</text>
${series.map(([, vals, c]) => line(vals, y, c)).join('\n')}
${line(steps.map((p) => p.rssMiB.afterMix), yr, '#59a14f', '6 3')}
${[...series.map(([n, , c]) => [n, c, '']), ['RSS after the mix (right axis)', '#59a14f', '6 3']].map(([n, c, d], i) => `<line x1="${L + 10 + i * 190}" y1="${H - 12}" x2="${L + 30 + i * 190}" y2="${H - 12}" stroke="${c}" stroke-width="2" ${d ? `stroke-dasharray="${d}"` : ''}/><text x="${L + 36 + i * 190}" y="${H - 8}">${n}</text>`).join('')}
</svg>
`;
}
