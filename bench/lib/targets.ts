/**
 * Ratios against the baselines of the same run, and issue 8's targets, computed from the rows
 * alone (pure: the report can recompute them from the JSON). A ratio pairs run i of one scenario
 * with run i of the other, since they ran side by side.
 */
import type { LatencyRow, Ratio, Scale, Streaming, Target, ThroughputRow } from './schema.ts';
import { ratioSpread } from './stats.ts';

/**
 * `streaming` is absent in runs from before the streaming group (their ratios and targets stay as
 * recorded), null when the group was not selected (its ratios and targets are then SKIPPED).
 */
interface Rows { latency: LatencyRow[]; throughput: ThroughputRow[]; scale: Scale | null; skipped: { id: string; reason: string }[]; streaming?: Streaming | null }

function why(rows: Rows, ids: string[]): string {
  // A skipped entry names a scenario id or the prefix of a group of them ('workerd' covers 'workerd.c50').
  const s = rows.skipped.find((k) => ids.some((id) => id === k.id || id.startsWith(`${k.id}.`)));
  return s ? `${s.id} skipped: ${s.reason}` : `not measured in this run (${ids.join(', ')})`;
}

/** p50 of `num` over p50 of `den`: how many times faster `den` starts. */
function latencyRatio(rows: Rows, id: string, label: string, num: string, den: string): Ratio {
  const a = rows.latency.find((r) => r.id === num), b = rows.latency.find((r) => r.id === den);
  if (!a || !b) return { id, label, value: null, reason: why(rows, [num, den]) };
  return { id, label, value: ratioSpread(a.runs.map((r) => r.p50), b.runs.map((r) => r.p50)) };
}

function rpsRatio(rows: Rows, id: string, label: string, num: string, den: string): Ratio {
  const a = rows.throughput.find((r) => r.id === num), b = rows.throughput.find((r) => r.id === den);
  if (!a || !b) return { id, label, value: null, reason: why(rows, [num, den]) };
  return { id, label, value: ratioSpread(a.rps, b.rps) };
}

/** Streaming group: MiB/s of one subject's transfer over another's (higher is faster). */
function streamRateRatio(rows: Rows, id: string, label: string, num: string, den: string): Ratio {
  const a = rows.streaming?.rates.find((r) => r.id === num), b = rows.streaming?.rates.find((r) => r.id === den);
  if (!a || !b) return { id, label, value: null, reason: why(rows, [num, den]) };
  return { id, label, value: ratioSpread(a.mibps, b.mibps) };
}

/** Streaming group: SSE time to first byte, p50 of one subject over another's (lower is faster). */
function ttfbRatio(rows: Rows, id: string, label: string, num: string, den: string): Ratio {
  const a = rows.streaming?.ttfb.find((r) => r.id === num), b = rows.streaming?.ttfb.find((r) => r.id === den);
  if (!a || !b) return { id, label, value: null, reason: why(rows, [num, den]) };
  return { id, label, value: ratioSpread(a.runs.map((r) => r.p50), b.runs.map((r) => r.p50)) };
}

function streamingRatios(rows: Rows): Ratio[] {
  if (rows.streaming === undefined) return [];
  return [
    streamRateRatio(rows, 'streamDownloadVsWorkerd', 'isoedge ÷ workerd, streamed download MiB/s', 'streaming.isoedge.download', 'streaming.workerd.download'),
    streamRateRatio(rows, 'streamDownloadVsBareNodeHttp', 'isoedge ÷ bare node:http, streamed download MiB/s', 'streaming.isoedge.download', 'streaming.node-http.download'),
    streamRateRatio(rows, 'streamUploadVsWorkerd', 'isoedge ÷ workerd, streamed upload hashed in the function, MiB/s', 'streaming.isoedge.upload', 'streaming.workerd.upload'),
    streamRateRatio(rows, 'streamUploadVsBareNodeHttp', 'isoedge ÷ bare node:http, streamed upload hashed, MiB/s', 'streaming.isoedge.upload', 'streaming.node-http.upload'),
    ttfbRatio(rows, 'sseTtfbVsWorkerd', 'isoedge SSE first byte ÷ workerd (p50)', 'streaming.isoedge.sse', 'streaming.workerd.sse'),
    ttfbRatio(rows, 'sseTtfbVsBareNodeHttp', 'isoedge SSE first byte ÷ bare node:http (p50)', 'streaming.isoedge.sse', 'streaming.node-http.sse'),
  ];
}

export function ratios(rows: Rows): Ratio[] {
  return [...suiteRatios(rows), ...streamingRatios(rows)];
}

function suiteRatios(rows: Rows): Ratio[] {
  return [
    latencyRatio(rows, 'warmVsNewProcess', 'new process start ÷ isoedge warm-pool start (p50)', 'process.hello.start', 'js.hello.warm'),
    latencyRatio(rows, 'warmVsWorkerdStart', 'workerd process start ÷ isoedge warm-pool start (p50)', 'workerd.hello.start', 'js.hello.warm'),
    latencyRatio(rows, 'warmVsNewWorker', 'new worker_threads Worker ÷ isoedge warm-pool start (p50)', 'worker.hello.start', 'js.hello.warm'),
    latencyRatio(rows, 'coldVsWarm', 'isoedge new isolate (no pool) ÷ warm-pool start (p50)', 'js.hello.cold', 'js.hello.warm'),
    latencyRatio(rows, 'bundleVsHelloWarm', 'isoedge warm-pool start, 50 KB bundle ÷ hello (p50)', 'js.bundle.warm', 'js.hello.warm'),
    latencyRatio(rows, 'hotVsBareNodeHttp', 'isoedge hot ÷ bare node:http hot, concurrency 1 (p50)', 'js.hello.hot', 'node-http.hello.hot'),
    rpsRatio(rows, 'rpsC50VsWorkerd', 'isoedge ÷ workerd, throughput at concurrency 50', 'isoedge.c50', 'workerd.c50'),
    rpsRatio(rows, 'rpsC50VsBareNodeHttp', 'isoedge ÷ bare node:http, throughput at concurrency 50', 'isoedge.c50', 'node-http.c50'),
    rpsRatio(rows, 'rpsC50VsFastify', 'isoedge ÷ fastify, throughput at concurrency 50', 'isoedge.c50', 'fastify.c50'),
    latencyRatio(rows, 'pacedVsBareNodeHttp', 'isoedge paced ÷ bare node:http paced, one request every 20 ms (p50)', 'js.hello.paced', 'node-http.hello.paced'),
    latencyRatio(rows, 'pacedVsWorkerd', 'isoedge paced ÷ workerd paced (p50)', 'js.hello.paced', 'workerd.hello.paced'),
  ];
}

/** p50 of `num` minus p50 of `den` in ms (the median of the runs' own p50s), or null with the reason. */
function p50Over(rows: Rows, num: string, den: string): { value: number | null; reason?: string } {
  const a = rows.latency.find((r) => r.id === num), b = rows.latency.find((r) => r.id === den);
  if (!a || !b) return { value: null, reason: why(rows, [num, den]) };
  return { value: Math.round((a.p50.median - b.p50.median) * 1000) / 1000, reason: `${fmtMs(a.p50.median)} − ${fmtMs(b.p50.median)} ms` };
}

const fmtMs = (x: number): string => x.toFixed(3);

/** A row's figure (p50, p99 or the host's own start time), or null with the reason. */
function rowFigure(rows: Rows, id: string, pick: (r: LatencyRow) => number | undefined): { value: number | null; reason?: string } {
  const r = rows.latency.find((x) => x.id === id);
  const v = r ? pick(r) : undefined;
  return v === undefined || !Number.isFinite(v) ? { value: null, reason: why(rows, [id]) } : { value: v };
}

function check(id: string, label: string, value: number | null, op: '>=' | '<=', threshold: number, note?: string): Target {
  const status = value === null || !Number.isFinite(value) ? 'SKIPPED' : (op === '>=' ? value >= threshold : value <= threshold) ? 'PASS' : 'MISS';
  return { id, label, value: value !== null && Number.isFinite(value) ? value : null, op, threshold, status, ...(note ? { note } : {}) };
}

/**
 * Issue 16's targets (they replace issue 8's: 2x workerd and 90 % of node:http at concurrency 50);
 * a target whose baseline was skipped is SKIPPED with the reason, not dropped.
 */
export function targets(rows: Rows, rs: Ratio[]): Target[] {
  const r = (id: string) => rs.find((x) => x.id === id)!;
  const fromRatio = (id: string, label: string, op: '>=' | '<=', t: number) => check(id, label, r(id).value?.median ?? null, op, t, r(id).reason);
  const fig = (id: string, label: string, got: { value: number | null; reason?: string }, op: '>=' | '<=', t: number, note?: string) => check(id, label, got.value, op, t, [got.reason, note].filter(Boolean).join('; ') || undefined);
  const hot = p50Over(rows, 'js.hello.hot', 'node-http.hello.hot');
  const paced = p50Over(rows, 'js.hello.paced', 'node-http.hello.paced');
  const out = [
    fig('hotC1OverNodeHttp', 'hot request at concurrency 1: p50 ≤ bare node:http + 0.10 ms (difference, ms)', hot, '<=', 0.1),
    fromRatio('rpsC50VsWorkerd', 'throughput at concurrency 50 ≥ 1.2× workerd', '>=', 1.2),
    fromRatio('rpsC50VsBareNodeHttp', 'throughput at concurrency 50 ≥ 0.8× bare node:http', '>=', 0.8),
    fig('pacedOverNodeHttp', 'one request every 20 ms: p50 ≤ bare node:http + 0.30 ms (difference, ms)', paced, '<=', 0.3),
    fig('coldServerStart', 'new isolate (pool empty), start as the host timed it: p50 ≤ 2.0 ms', rowFigure(rows, 'js.hello.cold', (x) => x.serverStartMs?.median), '<=', 2),
    fig('coldAtClient', 'new isolate (pool empty) at the client: p50 ≤ 3.0 ms', rowFigure(rows, 'js.hello.cold', (x) => x.p50.median), '<=', 3),
    fig('warmP50', 'warm-pool start at the client: p50 ≤ 1.0 ms', rowFigure(rows, 'js.hello.warm', (x) => x.p50.median), '<=', 1),
    fig('warmP99', 'warm-pool start at the client: p99 ≤ 2.0 ms', rowFigure(rows, 'js.hello.warm', (x) => x.p99.median), '<=', 2),
    fig('pacedFirstP50', 'first calls to functions at zero, one every 20 ms: p50 ≤ 1.0 ms', rowFigure(rows, 'js.hello.first-paced', (x) => x.p50.median), '<=', 1),
    fig('pacedFirstP99', 'first calls to functions at zero, one every 20 ms: p99 ≤ 2.0 ms', rowFigure(rows, 'js.hello.first-paced', (x) => x.p99.median), '<=', 2),
    fig('wasiHttpWarm', 'wasi:http component, warm-pool start p50 ≤ 3.0 ms', rowFigure(rows, 'wasi-http.echo.warm', (x) => x.p50.median), '<=', 3),
    fig('wasiHttpHot', 'wasi:http component, hot p50 ≤ 0.6 ms', rowFigure(rows, 'wasi-http.echo.hot', (x) => x.p50.median), '<=', 0.6),
  ];
  const last = rows.scale?.steps.at(-1);
  const prev = rows.scale?.steps.at(-2);
  const at = last ? `measured at ${last.functions.toLocaleString('en-US')} functions${last.functions < 10_000 ? ' (quick run; the target is at 10,000)' : ''}` : 'scale not measured in this run';
  // Deploys run with no traffic: the RSS a step's deploys added, per function deployed, is what a function that is not hot costs.
  const perFn = last && prev && last.added > 0 ? Math.round((last.rssMiB.afterDeploy - prev.rssMiB.afterMix) * 1024 / last.added * 10) / 10 : null;
  out.push(
    check('scaleFirstP50', 'first call p50 ≤ 1.2 ms with 10,000 functions deployed', last?.firstCall.p50 ?? null, '<=', 1.2, at),
    check('scaleFirstP99', 'first call p99 ≤ 4.0 ms with 10,000 functions deployed', last?.firstCall.p99 ?? null, '<=', 4, at),
    check('scaleRssBudget', 'RSS within the configured budget with 10,000 functions (MiB)', last?.rssMiB.afterMix ?? null, '<=', rows.scale?.budgetMiB ?? 0,
      rows.scale ? `${at}; budget = RSS before deploys + hot-set budget ${rows.scale.hotBudgetMb} MiB × ${rows.scale.executors} executor(s)` : at),
    check('rssPerColdFunction', 'RSS per deployed function that is not hot ≤ 10 KiB', perFn, '<=', 10,
      last && prev ? `RSS growth while the last step's ${last.added.toLocaleString('en-US')} functions were deployed (no traffic), per function; ${at}` : at),
  );
  return [...out, ...streamingTargets(rows, rs)];
}

/** Issue 15's streaming targets; RSS bounds are judged on the worst run (a bound, not a typical figure). */
function streamingTargets(rows: Rows, rs: Ratio[]): Target[] {
  if (rows.streaming === undefined) return [];
  const st = rows.streaming;
  const dl = rs.find((x) => x.id === 'streamDownloadVsWorkerd')!;
  const size = (mib: number, full: number) => `${mib} MiB${mib < full ? ` (quick run; the target is at ${full} MiB)` : ''}`;
  const rss = (id: string, label: string, rowId: string, full: number, what: (mib: number, pace: number | null) => string): Target => {
    const row = st?.rss.find((r) => r.id === rowId);
    if (!row) return check(id, label, null, '<=', 64, why(rows, [rowId]));
    return check(id, label, row.growthMiB.max, '<=', 64, `worst of ${row.runs.length} run(s); ${what(row.mib, row.paceMiBps)}; ${size(row.mib, full)}; on a host started for it and warmed up by a full-speed transfer each way, which took RSS from ${row.freshMiB} MiB up by ${row.warmupGrowthMiB} MiB`);
  };
  const up = st?.rates.find((r) => r.id === 'streaming.isoedge.upload');
  const upRss = st?.rss.find((r) => r.id === 'streaming.isoedge.rss.upload');
  const digestRuns = upRss?.runs.filter((x) => x.digestOk !== undefined) ?? [];
  return [
    check('streamThroughputGeWorkerd', 'streamed response throughput ≥ workerd (isoedge ÷ workerd MiB/s)', dl.value?.median ?? null, '>=', 1,
      dl.reason ?? (st ? `a ${size(st.sizes.downloadMiB, 100)} download in ${st.sizes.chunkKiB} KiB chunks` : undefined)),
    rss('rssSlowReadLeMiB64', 'host RSS growth while a 1 GiB response is read slowly ≤ 64 MiB', 'streaming.isoedge.rss.slow-read', 1024, (_m, pace) => `read at ${pace} MiB/s`),
    rss('rssUploadLeMiB64', 'host RSS growth while a 200 MiB upload is hashed in the function ≤ 64 MiB', 'streaming.isoedge.rss.upload', 200, () => 'crypto.DigestStream, body piped into it'),
    check('uploadDigestMatches', 'the function\'s SHA-256 of the streamed upload matches node:crypto (share of runs)', digestRuns.length ? digestRuns.filter((x) => x.digestOk).length / digestRuns.length : null, '>=', 1,
      digestRuns.length ? `${digestRuns.length} run(s) of ${up?.mib ?? upRss!.mib} MiB` : why(rows, ['streaming.isoedge.rss.upload'])),
  ];
}
