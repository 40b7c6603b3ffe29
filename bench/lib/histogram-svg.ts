/** Latency distributions as an SVG: one log-scaled histogram row per scenario. */
export function histogramsSvg(title: string, series: { name: string; ms: number[] }[]): string {
  const W = 900, rowH = 70, L = 260, R = 20, T = 40;
  const H = T + series.length * rowH + 30;
  const all = series.flatMap((s) => s.ms).filter((x) => x > 0);
  const lo = Math.log10(Math.max(0.01, Math.min(...all))), hi = Math.log10(Math.max(...all) * 1.01);
  const BINS = 60;
  const x = (v: number) => L + ((Math.log10(v) - lo) / (hi - lo)) * (W - L - R);
  const rows = series.map((s, r) => {
    const counts = new Array<number>(BINS).fill(0);
    for (const v of s.ms) counts[Math.min(BINS - 1, Math.max(0, Math.floor(((Math.log10(Math.max(v, 0.01)) - lo) / (hi - lo)) * BINS)))]!++;
    const max = Math.max(1, ...counts);
    const y0 = T + r * rowH + rowH - 10;
    const bars = counts.map((c, i) => {
      const h = (c / max) * (rowH - 20);
      const bx = L + (i / BINS) * (W - L - R);
      return c ? `<rect x="${bx.toFixed(1)}" y="${(y0 - h).toFixed(1)}" width="${((W - L - R) / BINS - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4e79a7"/>` : '';
    }).join('');
    const sorted = [...s.ms].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return `<text x="10" y="${y0 - 20}">${s.name.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text><text x="10" y="${y0 - 4}" fill="#555">p50 ${p50.toFixed(2)} ms, n=${s.ms.length}</text>${bars}<line x1="${x(p50).toFixed(1)}" y1="${y0 - rowH + 14}" x2="${x(p50).toFixed(1)}" y2="${y0}" stroke="#e15759" stroke-width="2"/>`;
  }).join('\n');
  const ticks = [0.1, 0.3, 1, 3, 10, 30, 100, 300].filter((t) => Math.log10(t) >= lo && Math.log10(t) <= hi);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="14">${title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>
${rows}
${ticks.map((t) => `<line x1="${x(t).toFixed(1)}" y1="${T}" x2="${x(t).toFixed(1)}" y2="${H - 30}" stroke="#ddd"/><text x="${x(t).toFixed(1)}" y="${H - 12}" text-anchor="middle">${t} ms</text>`).join('')}
</svg>
`;
}
