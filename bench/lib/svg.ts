/** A small SVG line plot for the step-load scenario: no dependencies, readable in any browser. */
export interface StepSample { t: number; offered: number; desired: number; ready: number; threads: number; panic: boolean; p99: number | null }

export function plotSteps(samples: StepSample[], title: string): string {
  const W = 900, H = 420, L = 60, R = 70, T = 40, B = 50;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const yMax = Math.max(10, ...samples.map((s) => Math.max(s.offered, s.desired * 10, s.ready * 10)));
  const pMax = Math.max(1, ...samples.map((s) => s.p99 ?? 0));
  const x = (t: number) => L + (t / tMax) * (W - L - R);
  const y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const yp = (v: number) => H - B - (v / pMax) * (H - T - B);
  const line = (f: (s: StepSample) => number | null, color: string, dash = '') => {
    const pts = samples.filter((s) => f(s) !== null).map((s) => `${x(s.t).toFixed(1)},${f(s)!.toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts}"/>`;
  };
  const panic = samples.map((s, i) => {
    if (!s.panic) return '';
    const next = samples[i + 1]?.t ?? s.t;
    return `<rect x="${x(s.t).toFixed(1)}" y="${T}" width="${Math.max(1, x(next) - x(s.t)).toFixed(1)}" height="${H - T - B}" fill="#f5b7b1" opacity="0.4"/>`;
  }).join('');
  const ticks = Array.from({ length: 6 }, (_, i) => (tMax * i) / 5);
  const legend = [['offered concurrency', '#1f77b4', ''], ['desired instances ×10', '#2ca02c', ''], ['ready instances ×10', '#98df8a', '6 3'], ['executor threads ×10', '#9467bd', '2 2'], ['p99 latency (ms, right axis)', '#d62728', ''], ['panic mode', '#f5b7b1', '']];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${L}" y="22" font-size="14">${title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>
${panic}
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/><line x1="${W - R}" y1="${T}" x2="${W - R}" y2="${H - B}" stroke="#d62728"/>
${ticks.map((t) => `<text x="${x(t).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${t.toFixed(0)} s</text>`).join('')}
<text x="${L - 8}" y="${y(yMax) + 4}" text-anchor="end">${yMax}</text><text x="${L - 8}" y="${y(0) + 4}" text-anchor="end">0</text>
<text x="${W - R + 6}" y="${yp(pMax) + 4}" fill="#d62728">${pMax.toFixed(0)} ms</text><text x="${W - R + 6}" y="${yp(0) + 4}" fill="#d62728">0</text>
${line((s) => y(s.offered), '#1f77b4')}
${line((s) => y(s.desired * 10), '#2ca02c')}
${line((s) => y(s.ready * 10), '#98df8a', '6 3')}
${line((s) => y(s.threads * 10), '#9467bd', '2 2')}
${line((s) => (s.p99 === null ? null : yp(s.p99)), '#d62728')}
${legend.map(([name, color, dash], i) => `<line x1="${L + 10 + (i % 3) * 260}" y1="${H - 18 + Math.floor(i / 3) * 14 - 14}" x2="${L + 30 + (i % 3) * 260}" y2="${H - 18 + Math.floor(i / 3) * 14 - 14}" stroke="${color}" stroke-width="${name === 'panic mode' ? 8 : 2}" ${dash ? `stroke-dasharray="${dash}"` : ''}/><text x="${L + 36 + (i % 3) * 260}" y="${H - 14 + Math.floor(i / 3) * 14 - 14}">${name}</text>`).join('')}
</svg>
`;
}
