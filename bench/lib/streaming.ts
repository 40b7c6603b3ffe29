/**
 * The streaming group (issue 15): one isoedge host, bare node:http (bench/lib/stream-server.ts)
 * and workerd serving the same routes (bench/lib/stream-handlers.ts; workerd runs the very source
 * isoedge runs), in one run:
 *
 *  - time to the first byte of an SSE stream (the first event is written at once, the rest on
 *    timers), p50/p99 over N requests at concurrency 1 on a kept-alive connection;
 *  - throughput of a streamed download (64 KiB chunks enqueued on pull) and of an upload hashed
 *    chunk by chunk (crypto.DigestStream in the function, node:crypto in the baseline), MiB/s,
 *    with the serving process's CPU ms per MiB (isoedge's by thread: gateway, executor, V8 helpers);
 *  - RSS (sampled from /proc every 20 ms) while a large response is read slowly by the client, and
 *    while a large upload is hashed: each subject in a process started for it, alone, warmed up by
 *    one full-speed transfer each way (that first growth is recorded too), then before / the most
 *    during / growth per run;
 *  - the hot path on the same host (hello at concurrency 1, req/s at concurrency 50), with the
 *    js group's figures from the newest run before streaming on this CPU model for comparison.
 *
 * Each measured scenario runs `runs` times, subjects interleaved within a run; ratios pair run i
 * with run i. A subject that cannot start or fails its checks is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, hotCalls, startHost } from './host.ts';
import { load, makeAgent } from './client.ts';
import { startServer, type ChildServer } from './child-server.ts';
import { startWorkerd, workerdBinary, type Workerd } from './workerd.ts';
import { helloJs } from './handlers.ts';
import { STREAM_CHUNK, STREAM_FN } from './stream-handlers.ts';
import { STREAM_WINDOW_BYTES } from '../../src/executor/protocol.ts';
import { streamGet, streamUpload } from './stream-client.ts';
import { acrossRuns, median, spread } from './stats.ts';
import type { Progress } from './progress.ts';
import type { BenchRun, HotReference, StreamHot, Streaming, StreamRateRow, StreamRssRun } from './schema.ts';

export interface StreamingOptions {
  runs: number;
  sse: { requests: number; warmup: number; events: number; everyMs: number };
  downloadMiB: number;
  uploadMiB: number;
  slowRead: { mib: number; paceMiBps: number; runs: number };
  hot: { requests: number; warmup: number; loadMs: number };
  /** A hard stop for each scenario's run (a stalled stream fails it instead of hanging the bench). */
  scenarioDeadlineMs: number;
  quick: boolean;
}

/** Progress steps the group takes: setup, one per run, the RSS scenarios. */
export const streamingSteps = (o: StreamingOptions) => 2 + o.runs;

/** The commit that made responses and request bodies stream (issue 15): runs at commits without it are the "before" reference. */
export const STREAMING_COMMIT = '758ba2b';

const MIB = 2 ** 20;
const MiB = (b: number) => +(b / MIB).toFixed(1);
const r1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Revision limits for the streaming function: CPU for moving hundreds of MiB through an isolate, bodies and responses larger than the sizes used. */
export const STREAM_LIMITS = 'cpuMs=30000&bodyBytes=300000000&responseBytes=2000000000&streamMs=600000';

interface Subject { key: 'isoedge' | 'node-http' | 'workerd'; subject: string; port: number; host: string; pid: number | undefined; stop(): Promise<void> }

const SUBJECT_NAMES = { 'isoedge': 'isoedge JS', 'node-http': 'bare node:http', 'workerd': 'workerd' } as const;

/** Starts one subject serving the streaming routes in its own process (isoedge: a host with the function deployed). */
async function startSubject(key: Subject['key'], workerdBin: string | undefined): Promise<Subject> {
  if (key === 'isoedge') {
    const h = await startHost([]);
    try {
      await admin(h, 'POST', `/v1/functions/stream/revisions?${STREAM_LIMITS}`, STREAM_FN);
      await admin(h, 'POST', '/v1/functions/stream-hello/revisions', helloJs('isoedge'));
    } catch (e) { await h.stop(); throw e; }
    return { key, subject: SUBJECT_NAMES[key], port: h.edge, host: 'stream.localhost', pid: h.host.child.pid, stop: h.stop };
  }
  if (key === 'node-http') {
    const s: ChildServer = await startServer('./stream-server.ts');
    return { key, subject: SUBJECT_NAMES[key], port: s.port, host: 'x', pid: s.pid, stop: s.stop };
  }
  const w: Workerd = await startWorkerd(workerdBin!, STREAM_FN);
  return { key, subject: SUBJECT_NAMES[key], port: w.port, host: 'x', pid: w.pid, stop: w.stop };
}

/** A process's RSS in bytes from /proc/<pid>/status (cheap: no request to the process); NaN if it cannot be read. */
function rssOf(pid: number | undefined): number {
  try { return Number(/VmRSS:\s+(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024; } catch { return NaN; }
}

/** Samples the RSS of `pid` every `everyMs` until stopped; returns the most seen and the sample count. */
function sampleRss(pid: number | undefined, everyMs = 20): { stop(): Promise<{ max: number; samples: number }> } {
  let max = 0, samples = 0, stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const v = rssOf(pid);
      if (Number.isFinite(v)) { max = Math.max(max, v); samples++; }
      await sleep(everyMs);
    }
  })();
  return { async stop() { stopped = true; await loop; return { max, samples }; } };
}

/** Runs `fn` with the RSS of `pid` sampled: just before (after a short settle), the most during, just after. */
async function withRss<T>(pid: number | undefined, fn: () => Promise<T>): Promise<{ got: T; before: number; max: number; after: number; samples: number }> {
  await sleep(300);
  const before = rssOf(pid);
  const sampler = sampleRss(pid);
  const got = await fn().finally(() => sampler.stop());
  const sm = await sampler.stop();
  const after = rssOf(pid);
  return { got, before, max: Math.max(sm.max, after), after, samples: sm.samples };
}

/** A process's CPU time (utime + stime of /proc/<pid>/stat) in ms, USER_HZ being 100 on Linux; NaN without /proc. */
function cpuMsOf(pid: number | undefined): number {
  try { return ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return NaN; }
}
function ticks(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
/** Thread names (comm: at most 15 characters, a trailing number dropped) as the report shows them. */
const THREAD_NAMES: Record<string, string> = { 'MainThread': 'gateway', 'isoedge-executo': 'executor', 'V8Worker': 'V8 helpers' };
/** CPU ms of every thread of `pid`, summed by thread name. */
function threadCpuMs(pid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const comm = (/\((.*)\)/.exec(st)?.[1] ?? '?').replace(/[-\d#]+$/, '') || '?';
        const name = THREAD_NAMES[comm] ?? comm;
        out[name] = (out[name] ?? 0) + ticks(st);
      } catch { /* the thread ended */ }
    }
  } catch { /* no /proc */ }
  return out;
}

/** Runs `fn` and returns its result with the CPU ms the process `pid` spent meanwhile (total, and by thread name when `threads`). */
async function withCpu<T>(pid: number | undefined, threads: boolean, fn: () => Promise<T>): Promise<{ got: T; cpuMs: number; byThread: Record<string, number> }> {
  const a = cpuMsOf(pid), ta = threads ? threadCpuMs(pid) : {};
  const got = await fn();
  const cpuMs = cpuMsOf(pid) - a;
  const byThread: Record<string, number> = {};
  if (threads) for (const [k, v] of Object.entries(threadCpuMs(pid))) if (v - (ta[k] ?? 0) > 0) byThread[k] = v - (ta[k] ?? 0);
  return { got, cpuMs, byThread };
}

const digestOf = (body: string) => { try { return (JSON.parse(body) as { sha256?: string }).sha256; } catch { return undefined; } };

/**
 * The js group's hot p50 and c50 from the newest recorded runs before STREAMING_COMMIT on this CPU
 * model (every clean run at that commit, so a single noisy one does not set the reference).
 */
export function hotReference(dir: string, cpuModel: string, cpus: number): { reference: HotReference | null; note?: string } {
  const before = new Map<string, boolean>();
  const isBefore = (c: string) => {
    if (!before.has(c)) {
      let v = false;
      try { execFileSync('git', ['merge-base', '--is-ancestor', STREAMING_COMMIT, c], { stdio: 'ignore' }); } catch (e) { v = (e as { status?: number }).status === 1; }
      before.set(c, v);
    }
    return before.get(c)!;
  };
  const found: { file: string; startedAt: string; commit: string; mode: string; hot: number; c50: number }[] = [];
  let files: string[] = [];
  try { files = readdirSync(dir).filter((f) => /^[\dT-]+Z\.json$/.test(f) || /^baseline-.*\.json$/.test(f)); } catch { /* no results yet */ }
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<BenchRun>;
      const hot = r.latency?.find((x) => x.id === 'js.hello.hot')?.p50.median;
      const c50 = r.throughput?.find((x) => x.id === 'isoedge.c50')?.spread.median;
      const m = r.machine;
      if (hot === undefined || c50 === undefined || !m || m.dirty || m.commitAtEnd || m.cpuModel !== cpuModel || m.cpus !== cpus || !isBefore(m.commit)) continue;
      found.push({ file: f, startedAt: r.startedAt ?? '', commit: m.commit, mode: r.mode ?? '?', hot, c50 });
    } catch { /* not a suite result */ }
  }
  if (!found.length) return { reference: null, note: `no clean suite run with js.hello.hot and isoedge.c50 before ${STREAMING_COMMIT} on ${cpus} × ${cpuModel.trim()} in bench/results/` };
  found.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const commit = found.at(-1)!.commit;
  const at = found.filter((x) => x.commit === commit);
  return { reference: { files: at.map((x) => `bench/results/${x.file}`), commit, mode: [...new Set(at.map((x) => x.mode))].join('+'), hotP50: spread(at.map((x) => x.hot)), c50: spread(at.map((x) => x.c50)) } };
}

/** One correctness check per subject before anything is timed: the byte count, the SSE events, an upload's digest. */
async function check(s: Subject): Promise<void> {
  const n = MIB + 123;
  const b = await streamGet(undefined, s.port, s.host, `/bytes?n=${n}`);
  if (b.status !== 200 || b.bytes !== n) throw new Error(`/bytes?n=${n}: status ${b.status}, ${b.bytes} bytes`);
  const e = await streamGet(undefined, s.port, s.host, '/sse?events=3&everyMs=5', { keep: 1000 });
  if (e.status !== 200 || e.body !== 'data: 0\n\ndata: 1\n\ndata: 2\n\n') throw new Error(`/sse: status ${e.status}, body ${JSON.stringify(e.body.slice(0, 100))}`);
  const u = await streamUpload(s.port, s.host, '/upload', 3 * MIB + 5);
  if (u.status !== 200 || digestOf(u.body) !== u.sha256) throw new Error(`/upload: status ${u.status}, ${u.body.slice(0, 200)} (expected sha256 ${u.sha256})`);
}

/** A full-speed download of `mib`; throws unless every byte arrived. */
async function download(s: Subject, mib: number, deadline: number, paceMiBps?: number): Promise<{ ms: number }> {
  const n = mib * MIB;
  const g = await streamGet(undefined, s.port, s.host, `/bytes?n=${n}`, { deadline, ...(paceMiBps ? { paceMiBps } : {}) });
  if (g.status !== 200 || g.bytes !== n) throw new Error(`status ${g.status}, ${g.bytes} of ${n} bytes`);
  return { ms: g.ms };
}

/** An upload of `mib`; throws on a non-200; `digestOk` says whether the answer is node:crypto's SHA-256 of what was sent. */
async function upload(s: Subject, mib: number): Promise<{ ms: number; digestOk: boolean }> {
  const u = await streamUpload(s.port, s.host, '/upload', mib * MIB);
  if (u.status !== 200) throw new Error(`status ${u.status}: ${u.body.slice(0, 200)}`);
  return { ms: u.ms, digestOk: digestOf(u.body) === u.sha256 };
}

type Skip = { id: string; reason: string };

const perMiB = (c: { cpuMs: number; byThread: Record<string, number> }, mib: number) =>
  ({ cpuMsPerMiB: +(c.cpuMs / mib).toFixed(2), byThread: Object.fromEntries(Object.entries(c.byThread).map(([k, v]) => [k, v / mib])) });

export async function streaming(o: StreamingOptions, progress: Progress, resultsDir = fileURLToPath(new URL('../results/', import.meta.url)), cpu: { model: string; cpus: number }): Promise<{ streaming: Streaming; skipped: Skip[] }> {
  const skipped: Skip[] = [];
  const stops: (() => Promise<void>)[] = [];
  const out: Streaming = {
    sizes: { downloadMiB: o.downloadMiB, uploadMiB: o.uploadMiB, slowReadMiB: o.slowRead.mib, slowReadPaceMiBps: o.slowRead.paceMiBps, sseEvents: o.sse.events, sseEveryMs: o.sse.everyMs, sseRequests: o.sse.requests, chunkKiB: STREAM_CHUNK / 1024, windowKiB: STREAM_WINDOW_BYTES / 1024 },
    limits: STREAM_LIMITS,
    ...(o.quick ? { note: `quick run: a ${o.downloadMiB} MiB download (full: 100 MiB), a ${o.uploadMiB} MiB upload (full: 200 MiB), a ${o.slowRead.mib} MiB slow read (full: 1024 MiB)` } : {}),
    ttfb: [], rates: [], rss: [], hot: null,
  };
  const fail = (id: string, e: unknown) => { if (!skipped.some((k) => k.id === id)) skipped.push({ id, reason: (e as Error).message.slice(0, 300) }); };
  const failed = (id: string) => skipped.some((k) => id === k.id || id.startsWith(`${k.id}.`));
  const keys: Subject['key'][] = ['isoedge', 'node-http', 'workerd'];
  let workerdBin: string | undefined;
  try {
    progress.next('streaming: start isoedge, node:http, workerd; check the routes; warm up');
    const found = workerdBinary((m) => progress.log(m));
    if (typeof found === 'string') skipped.push({ id: 'streaming.workerd', reason: found });
    else workerdBin = found.bin;
    const subjects: Subject[] = [];
    for (const key of keys) {
      if (failed(`streaming.${key}`)) continue;
      try {
        const s = await startSubject(key, workerdBin);
        stops.push(s.stop);
        subjects.push(s);
        await check(s);
        // One untimed transfer each way at the measured sizes: JIT, sockets, heaps, as every hot row warms up.
        await download(s, o.downloadMiB, performance.now() + o.scenarioDeadlineMs);
        await upload(s, o.uploadMiB);
      } catch (e) { fail(`streaming.${key}`, new Error(`start, check or warm-up failed: ${(e as Error).message}`)); }
    }
    const live = () => subjects.filter((s) => !failed(`streaming.${s.key}`));
    const iso = live().find((s) => s.key === 'isoedge');

    const ttfb = new Map<string, { ms: number[]; total: number[] }[]>();
    const rates = new Map<string, { mibps: number; errors: number; cpuMsPerMiB: number; byThread: Record<string, number> }[]>();
    const hot: { ms: number[]; c50: number; errors: number }[] = [];
    const add = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
    for (let r = 0; r < o.runs; r++) {
      progress.next(`streaming run ${r + 1}/${o.runs}: hot path, SSE first byte, ${o.downloadMiB} MiB down, ${o.uploadMiB} MiB up`);
      // The hot path on the isoedge host: hello at concurrency 1, then req/s at concurrency 50.
      if (iso && !failed('streaming.isoedge.hot')) {
        try {
          progress.phase(`streaming.isoedge.hot (run ${r + 1})`, 1);
          const got = await hotCalls(iso.port, 'stream-hello.localhost', o.hot.requests, performance.now() + o.scenarioDeadlineMs, o.hot.warmup);
          const l = await load(iso.port, 'stream-hello.localhost', 50, o.hot.loadMs);
          hot.push({ ms: got.ms, c50: l.rps, errors: l.errors });
        } catch (e) { fail('streaming.isoedge.hot', e); }
      }
      for (const s of live()) {
        const id = `streaming.${s.key}.sse`;
        if (failed(id)) continue;
        progress.phase(`${id} (run ${r + 1})`, o.sse.requests);
        const agent = makeAgent(1);
        try {
          const path = `/sse?events=${o.sse.events}&everyMs=${o.sse.everyMs}`;
          const deadline = performance.now() + o.scenarioDeadlineMs;
          for (let i = 0; i < o.sse.warmup; i++) await streamGet(agent, s.port, s.host, path);
          const ms: number[] = [], total: number[] = [];
          for (let i = 0; i < o.sse.requests && performance.now() < deadline; i++) {
            const g = await streamGet(agent, s.port, s.host, path);
            if (g.status !== 200) throw new Error(`status ${g.status}`);
            ms.push(g.ttfbMs);
            total.push(g.ms);
            progress.tick(i + 1);
          }
          add(ttfb, id, { ms, total });
        } catch (e) { fail(id, new Error(`failed in run ${r + 1}: ${(e as Error).message}`)); } finally { agent.destroy(); }
      }
      for (const s of live()) {
        const id = `streaming.${s.key}.download`;
        if (failed(id)) continue;
        progress.phase(`${id} ${o.downloadMiB} MiB (run ${r + 1})`, 1);
        try {
          const c = await withCpu(s.pid, s.key === 'isoedge', () => download(s, o.downloadMiB, performance.now() + o.scenarioDeadlineMs));
          add(rates, id, { mibps: r1(o.downloadMiB / (c.got.ms / 1000)), errors: 0, ...perMiB(c, o.downloadMiB) });
        } catch (e) { fail(id, new Error(`failed in run ${r + 1}: ${(e as Error).message}`)); }
      }
      for (const s of live()) {
        const id = `streaming.${s.key}.upload`;
        if (failed(id)) continue;
        progress.phase(`${id} ${o.uploadMiB} MiB (run ${r + 1})`, 1);
        try {
          const c = await withCpu(s.pid, s.key === 'isoedge', () => upload(s, o.uploadMiB));
          add(rates, id, { mibps: r1(o.uploadMiB / (c.got.ms / 1000)), errors: c.got.digestOk ? 0 : 1, ...perMiB(c, o.uploadMiB) });
        } catch (e) { fail(id, new Error(`failed in run ${r + 1}: ${(e as Error).message}`)); }
      }
    }
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});

    for (const s of subjects) {
      const sse = ttfb.get(`streaming.${s.key}.sse`);
      if (sse?.length && !failed(`streaming.${s.key}.sse`)) {
        const a = acrossRuns(sse.map((x) => x.ms));
        out.ttfb.push({ id: `streaming.${s.key}.sse`, subject: s.subject, events: o.sse.events, everyMs: o.sse.everyMs, runs: a.runs, pooled: a.pooled, p50: a.p50, p99: a.p99, totalMs: spread(sse.map((x) => median(x.total))) });
      }
      for (const [dir, mib] of [['download', o.downloadMiB], ['upload', o.uploadMiB]] as const) {
        const id = `streaming.${s.key}.${dir}`;
        const got = rates.get(id);
        if (!got?.length || failed(id)) continue;
        const cpu = got.map((g) => g.cpuMsPerMiB).filter(Number.isFinite);
        const names = [...new Set(got.flatMap((g) => Object.keys(g.byThread)))];
        const threads = Object.fromEntries(names.map((k) => [k, +median(got.map((g) => g.byThread[k] ?? 0)).toFixed(2)]).filter(([, v]) => (v as number) > 0));
        out.rates.push({ id, subject: s.subject, direction: dir, mib, mibps: got.map((g) => g.mibps), spread: spread(got.map((g) => g.mibps)), errors: got.reduce((x, g) => x + g.errors, 0),
          ...(cpu.length === got.length ? { cpuMsPerMiB: cpu } : {}), ...(names.length ? { cpuThreads: threads } : {}) } satisfies StreamRateRow);
      }
    }
    if (hot.length && !failed('streaming.isoedge.hot')) {
      const a = acrossRuns(hot.map((x) => x.ms));
      const ref = hotReference(resultsDir, cpu.model, cpu.cpus);
      out.hot = { subject: 'isoedge JS', n: a.pooled.n, p50: a.p50, p99: a.p99, c50: hot.map((x) => x.c50), c50Spread: spread(hot.map((x) => x.c50)), errors: hot.reduce((x, g) => x + g.errors, 0), reference: ref.reference, ...(ref.note ? { referenceNote: ref.note } : {}) } satisfies StreamHot;
    }

    // RSS: each subject in a process of its own started for it, alone on the machine; warmed up, then the slow read, then the uploads.
    progress.next(`streaming RSS: a fresh process per subject; ${o.slowRead.mib} MiB read at ${o.slowRead.paceMiBps} MiB/s, ${o.uploadMiB} MiB uploads`);
    if (!Number.isFinite(rssOf(process.pid))) for (const key of keys) fail(`streaming.${key}.rss`, new Error('no /proc/<pid>/status to read RSS from on this platform'));
    for (const key of keys) {
      if (failed(`streaming.${key}`) || failed(`streaming.${key}.rss`)) continue;
      let s: Subject | undefined;
      try {
        s = await startSubject(key, workerdBin);
        const subject = s;
        await check(s);
        await sleep(300);
        const fresh = rssOf(s.pid);
        progress.phase(`streaming.${key} RSS warm-up`, 1);
        const warm = await withRss(s.pid, async () => { await download(subject, o.downloadMiB, performance.now() + o.scenarioDeadlineMs); await upload(subject, o.uploadMiB); });
        const common = { subject: s.subject, freshMiB: MiB(fresh), warmupGrowthMiB: MiB(warm.max - fresh) };
        const slow: StreamRssRun[] = [];
        for (let r = 0; r < o.slowRead.runs; r++) {
          progress.phase(`streaming.${key}.rss.slow-read (run ${r + 1}, ~${Math.round(o.slowRead.mib / o.slowRead.paceMiBps)} s)`, 1);
          const m = await withRss(s.pid, () => download(subject, o.slowRead.mib, performance.now() + 2 * (o.slowRead.mib / o.slowRead.paceMiBps) * 1000 + 30_000, o.slowRead.paceMiBps));
          slow.push({ beforeMiB: MiB(m.before), maxMiB: MiB(m.max), afterMiB: MiB(m.after), growthMiB: MiB(m.max - m.before), seconds: r1(m.got.ms / 1000), mibps: r1(o.slowRead.mib / (m.got.ms / 1000)), samples: m.samples });
        }
        out.rss.push({ id: `streaming.${key}.rss.slow-read`, scenario: 'slow read', mib: o.slowRead.mib, paceMiBps: o.slowRead.paceMiBps, ...common, runs: slow, growthMiB: spread(slow.map((x) => x.growthMiB)) });
        const up: StreamRssRun[] = [];
        for (let r = 0; r < o.runs; r++) {
          progress.phase(`streaming.${key}.rss.upload (run ${r + 1})`, 1);
          const m = await withRss(s.pid, () => upload(subject, o.uploadMiB));
          up.push({ beforeMiB: MiB(m.before), maxMiB: MiB(m.max), afterMiB: MiB(m.after), growthMiB: MiB(m.max - m.before), seconds: r1(m.got.ms / 1000), mibps: r1(o.uploadMiB / (m.got.ms / 1000)), samples: m.samples, digestOk: m.got.digestOk });
        }
        out.rss.push({ id: `streaming.${key}.rss.upload`, scenario: 'upload', mib: o.uploadMiB, paceMiBps: null, ...common, runs: up, growthMiB: spread(up.map((x) => x.growthMiB)) });
      } catch (e) {
        fail(`streaming.${key}.rss`, new Error(`RSS scenarios failed: ${(e as Error).message}`));
      } finally {
        await s?.stop().catch(() => {});
      }
    }
    for (const x of out.ttfb) progress.log(`${x.id}: first byte p50 ${x.p50.median} / p99 ${x.p99.median} ms`);
    for (const x of out.rates) progress.log(`${x.id}: ${x.spread.median} MiB/s (${x.mib} MiB)${x.errors ? `, ${x.errors} digest mismatches` : ''}`);
    for (const x of out.rss) progress.log(`${x.id}: RSS growth ${x.growthMiB.median} MiB (worst ${x.growthMiB.max}) over ${x.mib} MiB; fresh ${x.freshMiB} MiB, warm-up +${x.warmupGrowthMiB} MiB`);
    if (out.hot) progress.log(`streaming.isoedge.hot: p50 ${out.hot.p50.median} ms, c50 ${out.hot.c50Spread.median} req/s`);
  } catch (e) {
    fail('streaming', e);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
  return { streaming: out, skipped };
}
