/**
 * Markdown from one run's JSON (pure: the same JSON always renders the same text, which is what
 * lets test/bench-report.test.ts check that README's section is the generator's output).
 * `links` is the prefix of the result files as seen from where the markdown lives.
 */
import type { BenchRun, LatencyRow, Streaming, ThroughputRow } from './schema.ts';
import { median, type Spread } from './stats.ts';

/** Three significant digits or so: 0.016, 2.45, 23.2, 146. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** The median of the runs, with the range across runs when there was more than one run. */
export function fmtSpread(s: Spread, runs: number): string {
  return runs > 1 && s.min !== s.max ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

const int = (n: number) => n.toLocaleString('en-US');
const tiers = (t: Record<string, number> | undefined) => (t ? Object.entries(t).map(([k, v]) => `${v} ${k}`).join(', ') : '');

export function stem(jsonFile: string): string {
  return jsonFile.replace(/^.*\//, '').replace(/\.json$/, '');
}

function latencyTable(rows: LatencyRow[]): string[] {
  return [
    '| subject | handler | tier | p50 | p90 | p99 | max | n | host reported |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.subject} | ${r.handler} | ${r.tier} | ${fmtSpread(r.p50, r.runs.length)} | ${fmt(r.p90.median)} | ${fmtSpread(r.p99, r.runs.length)} | ${fmt(r.max.median)} | ${int(r.pooled.n)} | ${[tiers(r.tiers), r.serverStartMs ? `server start ${fmt(r.serverStartMs.median)} ms` : ''].filter(Boolean).join('; ')} |`),
  ];
}

/** The streaming group's tables (issue 15). */
function streamingSection(st: Streaming, run: BenchRun): string[] {
  const z = st.sizes;
  const out: string[] = [
    `**Streaming** (issue 15): one isoedge host, bare node:http and workerd serving the same routes (workerd runs the function's own source); responses are ReadableStreams enqueuing ${z.chunkKiB} KiB chunks on pull, flow-controlled by a ${z.windowKiB} KiB window per direction inside isoedge. Function limits: \`${st.limits}\`.${st.note ? ` ${st.note[0]!.toUpperCase()}${st.note.slice(1)}.` : ''}`, '',
  ];
  if (st.ttfb.length) {
    out.push(`Time to first byte of an SSE stream (the first event at once, ${z.sseEvents - 1} more every ${z.sseEveryMs} ms), concurrency 1 on a kept-alive connection, ms:`, '',
      '| subject | first byte p50 | p90 | p99 | max | whole stream p50 | n |', '|---|---|---|---|---|---|---|',
      ...st.ttfb.map((r) => `| ${r.subject} | ${fmtSpread(r.p50, r.runs.length)} | ${fmt(r.pooled.p90)} | ${fmtSpread(r.p99, r.runs.length)} | ${fmt(r.pooled.max)} | ${fmt(r.totalMs.median)} | ${int(r.pooled.n)} |`), '');
  }
  if (st.rates.length) {
    const cpu = (r: Streaming['rates'][number]) => r.cpuMsPerMiB?.length ? `${fmt(median(r.cpuMsPerMiB))}${r.cpuThreads ? ` (${Object.entries(r.cpuThreads).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')})` : ''}` : 'n/a';
    out.push('Streamed transfers, MiB/s over the whole request (the upload is hashed chunk by chunk: crypto.DigestStream in the function, node:crypto in node:http), and the serving process\'s CPU time per MiB (the client runs on the same 2 cores):', '',
      '| subject | direction | MiB | MiB/s | runs | server CPU ms/MiB (by thread) | digest mismatches |', '|---|---|---|---|---|---|---|',
      ...st.rates.map((r) => `| ${r.subject} | ${r.direction} | ${r.mib} | ${fmtSpread(r.spread, r.mibps.length)} | ${r.mibps.length} | ${cpu(r)} | ${r.direction === 'upload' ? r.errors : ''} |`), '');
  }
  if (st.rss.length) {
    out.push('RSS of the serving process (isoedge: the whole host, gateway and executor threads), sampled every 20 ms, MiB. Each subject runs in a process started for it, alone, and warmed up by one full-speed download and upload of the sizes above (fresh → the most during the warm-up); then the slow read, then the uploads; growth is the most during a run over the RSS just before it:', '',
      '| subject | scenario | MiB moved | client | fresh (+ warm-up) | before | max during | after | growth | seconds (MiB/s) |', '|---|---|---|---|---|---|---|---|---|---|',
      ...st.rss.map((r) => {
        const m = (k: 'beforeMiB' | 'maxMiB' | 'afterMiB') => fmt(Math.max(...r.runs.map((x) => x[k])));
        const secs = r.runs.map((x) => `${fmt(x.seconds)} (${fmt(x.mibps)})`).join(', ');
        const digest = r.runs.some((x) => x.digestOk === false) ? ' **digest mismatch**' : '';
        const growth = r.runs.length > 1 ? `${fmtSpread(r.growthMiB, r.runs.length)}, worst ${fmt(r.growthMiB.max)}` : fmt(r.growthMiB.median);
        return `| ${r.subject} | ${r.scenario}${digest} | ${r.mib}${r.runs.length > 1 ? ` × ${r.runs.length}` : ''} | ${r.paceMiBps ? `reads at ${r.paceMiBps} MiB/s` : 'sends as fast as taken'} | ${fmt(r.freshMiB)} (+${fmt(r.warmupGrowthMiB)}) | ${m('beforeMiB')} | ${m('maxMiB')} | ${m('afterMiB')} | ${growth} | ${secs} |`;
      }), '');
  }
  if (st.hot) {
    const h = st.hot;
    const js = run.latency.find((r) => r.id === 'js.hello.hot'), c50 = run.throughput.find((t) => t.id === 'isoedge.c50');
    const ref = h.reference;
    out.push('Hot path (hello; the js group measures it in full): on the streaming host, and for comparison the js group of this run and of the newest clean run before streaming on this CPU model:', '',
      '| where | hot p50 (ms) | hot p99 (ms) | req/s at concurrency 50 |', '|---|---|---|---|',
      `| streaming host, this run (n = ${int(h.n)}) | ${fmtSpread(h.p50, h.c50.length)} | ${fmtSpread(h.p99, h.c50.length)} | ${h.c50.length > 1 ? `${int(h.c50Spread.median)} (${int(h.c50Spread.min)}–${int(h.c50Spread.max)})` : int(h.c50Spread.median)}${h.errors ? `, ${h.errors} errors` : ''} |`,
      ...(js && c50 ? [`| js group, this run | ${fmtSpread(js.p50, js.runs.length)} | ${fmtSpread(js.p99, js.runs.length)} | ${c50.rps.length > 1 ? `${int(c50.spread.median)} (${int(c50.spread.min)}–${int(c50.spread.max)})` : int(c50.spread.median)} |`] : []),
      ref ? `| before streaming: commit \`${ref.commit}\`, ${ref.mode}, ${ref.files.length} run(s): ${ref.files.map((f) => `\`${stem(f)}\``).join(', ')} | ${ref.files.length > 1 ? fmtSpread(ref.hotP50, 2) : fmt(ref.hotP50.median)} | | ${ref.files.length > 1 ? `${int(ref.c50.median)} (${int(ref.c50.min)}–${int(ref.c50.max)})` : int(ref.c50.median)} |` : `| before streaming | n/a: ${h.referenceNote ?? 'no reference run'} | | |`, '');
  }
  return out;
}

/** The parts of bench/async.bench.ts's JSON the report shows. */
interface AsyncBench {
  enqueue: { client: string; concurrency: number; perS: number; ratioToSync: number; syncBaseline: { rps: number }; queueDepthAtEnd: { queued: number; running: number }; hostCpuUs: { per202EnqueueOnlyEstimate: number | null } };
  light: { calls: number; gapMs: number; enqueueToStartMs: { p50: number; p99: number } };
  drain: { callsRun: number; perS: number; afterEnqueue: { perS: number } };
  hot: { noBacklog: { p50: number; p99: number; n: number }; withBacklog: { p50: number; p99: number; n: number }; ratio: { p50: number; p99: number } };
}

/** Async invocations (design §11): one host, one hello function. */
function asyncSection(a: AsyncBench): string[] {
  const e = a.enqueue, h = a.hot;
  return [
    '| async | measured |', '|---|---|',
    `| enqueue, concurrency ${e.concurrency} (${e.client}) | ${int(e.perS)} 202/s; sync hot path ${int(e.syncBaseline.rps)} req/s (ratio ${e.ratioToSync}); ${int(e.queueDepthAtEnd.queued + e.queueDepthAtEnd.running)} calls queued or running at the end; host CPU per 202 ≈ ${e.hostCpuUs.per202EnqueueOnlyEstimate ?? 'n/a'} µs |`,
    `| enqueue → start, one call every ${a.light.gapMs} ms (n = ${int(a.light.calls)}, 1 ms resolution) | p50 ${fmt(a.light.enqueueToStartMs.p50)} ms, p99 ${fmt(a.light.enqueueToStartMs.p99)} ms |`,
    `| drain (${int(a.drain.callsRun)} calls) | ${int(a.drain.perS)} calls/s from the first submission; ${int(a.drain.afterEnqueue.perS)} calls/s once submissions stopped |`,
    `| hot path, concurrency 1 | no backlog p50 ${fmt(h.noBacklog.p50)} / p99 ${fmt(h.noBacklog.p99)} ms; beside a draining backlog (n = ${int(h.withBacklog.n)}) p50 ${fmt(h.withBacklog.p50)} / p99 ${fmt(h.withBacklog.p99)} ms (×${h.ratio.p50} / ×${h.ratio.p99}) |`,
    '',
  ];
}

/** The report body, without a title: the markdown file puts one above it, README's section sits under its own heading. */
export function renderBody(run: BenchRun, jsonFile: string, links: string): string {
  const m = run.machine;
  const name = stem(jsonFile);
  const runs = Math.max(1, ...run.latency.map((r) => r.runs.length));
  const out: string[] = [
    `_Generated by \`node bench/report.ts ${jsonFile}\` from [\`${name}.json\`](${links}${name}.json); do not edit by hand._`, '',
    `**${run.mode === 'quick' ? 'Quick run' : 'Full run'}** (\`npm run bench${run.mode === 'quick' ? ' -- --quick' : ''}\`) of ${run.startedAt.slice(0, 10)}, commit \`${m.commit}\`${m.dirty ? ' with uncommitted changes in the checkout' : ''}${m.commitAtEnd ? ` (HEAD moved to \`${m.commitAtEnd}\` during the run)` : ''}, on ${m.cpus} × ${m.cpuModel.trim()}, ${m.memGiB} GiB, ${m.platform}, Node ${m.node}; it took ${run.durationS} s. ` +
      `Each scenario ran ${runs} times, the runs of all scenarios interleaved; a figure is the median of the runs, with their range in brackets; n counts every sample. Latencies are in ms, as a client sees them over HTTP on loopback.`,
    '',
  ];
  const starts = run.latency.filter((r) => r.kind !== 'hot');
  const hot = run.latency.filter((r) => r.kind === 'hot');
  if (starts.length) out.push(`**Starts** (a first request that starts an isolate, a context, a thread or a process; the floor is in process, without HTTP). Histograms: [\`${name}.latency.svg\`](${links}${name}.latency.svg).`, '', ...latencyTable(starts), '');
  if (hot.length) out.push('**Hot**, at concurrency 1: back to back, and paced (one request every 20 ms, so every thread sleeps in between):', '', ...latencyTable(hot), '');
  if (run.throughput.length) {
    const cpu = (t: ThroughputRow) => {
      if (!t.cpuUs?.length) return 'n/a';
      const k = (f: 'total' | 'main' | 'executors' | 'other') => fmt(median(t.cpuUs!.map((c) => c[f])));
      return t.subject.startsWith('isoedge') ? `${k('total')} (gateway ${k('main')}, executors ${k('executors')}, other threads ${k('other')})` : `${k('total')} (main thread ${k('main')})`;
    };
    out.push('**Throughput** (req/s; the server\'s CPU per request, read from /proc while the load ran, by thread):', '', '| subject | concurrency | client | req/s | errors | server CPU per request (µs) |', '|---|---|---|---|---|---|',
      ...run.throughput.map((t) => `| ${t.subject} | ${t.concurrency} | ${t.client ?? 'node'} | ${t.rps.length > 1 ? `${int(t.spread.median)} (${int(t.spread.min)}–${int(t.spread.max)})` : int(t.spread.median)} | ${t.errors} | ${t.concurrency === 1 ? 'n/a' : cpu(t)} |`), '');
  }
  if (run.scale) {
    const s = run.scale;
    out.push(`**Scale**: functions deployed in steps on one host (8 deploys in flight), each new function called once (a first call: warm-pool isolate or a new one), then a Zipf mix (s = 1) over all of them. Hot set: at most ${int(s.hotMax)} instances, budget ${s.hotBudgetMb} MiB per executor; RSS before any function ${fmt(s.rssBeforeMiB)} MiB, so the RSS budget is ${int(Math.round(s.budgetMiB))} MiB. Plot: [\`${name}.scale.svg\`](${links}${name}.scale.svg).`, '',
      '| functions | deploy (s) | first call p50 / p90 / p99 / max | first-call tiers | Zipf mix p50 / p99 (n) | hot-set hit rate | hot instances | RSS after deploy / first calls / mix (MiB) |',
      '|---|---|---|---|---|---|---|---|',
      ...s.steps.map((p) => `| ${int(p.functions)} | ${p.deploySeconds} | ${fmt(p.firstCall.p50)} / ${fmt(p.firstCall.p90)} / ${fmt(p.firstCall.p99)} / ${fmt(p.firstCall.max)} | ${tiers(p.firstCallTiers)} | ${fmt(p.zipf.p50)} / ${fmt(p.zipf.p99)} (${int(p.zipf.n)}) | ${p.hitRate} | ${int(p.hotInstances)} | ${int(Math.round(p.rssMiB.afterDeploy))} / ${int(Math.round(p.rssMiB.afterFirstCalls))} / ${int(Math.round(p.rssMiB.afterMix))} |`), '');
  }
  if (run.streaming) out.push(...streamingSection(run.streaming, run));
  if (run.ratios.length) {
    out.push('**Ratios** within this run (median; range over runs paired side by side):', '', '| ratio | value |', '|---|---|',
      ...run.ratios.map((r) => `| ${r.label} | ${r.value ? `${r.value.median}× (${r.value.min}–${r.value.max})` : `n/a: ${r.reason ?? 'not measured'}`} |`), '');
  }
  out.push('**Targets** (bench/lib/targets.ts):', '', '| target | measured | status |', '|---|---|---|',
    ...run.targets.map((t) => `| ${t.label} | ${t.value === null ? 'n/a' : `${fmt(t.value)} (${t.op === '>=' ? '≥' : '≤'} ${t.threshold})`}${t.note ? `; ${t.note}` : ''} | **${t.status}** |`), '');
  out.push('**Skipped**: ' + (run.skipped.length ? '' : 'none.'), ...run.skipped.map((k) => `- \`${k.id}\`: ${k.reason}`), '');
  for (const [bench, res] of Object.entries(run.other ?? {})) {
    const t = (res as { targets?: Record<string, { value: number; pass: boolean }> }).targets ?? {};
    out.push(`**${bench}** bench (its own JSON is embedded under \`other.${bench}\`): ${Object.entries(t).map(([k, v]) => `${k} = ${v.value} ${v.pass ? 'PASS' : 'MISS'}`).join('; ') || 'no targets'}.`, '');
    if (bench === 'async') out.push(...asyncSection(res as AsyncBench));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

export function renderMarkdown(run: BenchRun, jsonFile: string): string {
  return `# isoedge bench, ${run.mode} run of ${run.startedAt}\n\n${renderBody(run, jsonFile, '')}`;
}

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

/** README's generated section: the body with links from the repository root, between the markers. */
export function readmeSection(run: BenchRun, jsonFile: string): string {
  return `${BEGIN}\n${renderBody(run, jsonFile, jsonFile.replace(/[^/]*$/, ''))}${END}`;
}

/** Replaces the text between the markers (markers included); throws if README has none. */
export function replaceSection(readme: string, section: string): string {
  const a = readme.indexOf(BEGIN), b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README has no ${BEGIN} … ${END} section`);
  return readme.slice(0, a) + section + readme.slice(b + END.length);
}

/** The JSON file README's section was generated from (named in its first line). */
export function sectionSource(readme: string): string | undefined {
  const a = readme.indexOf(BEGIN);
  return a < 0 ? undefined : /`node bench\/report\.ts ([^`\s]+)`/.exec(readme.slice(a))?.[1];
}
