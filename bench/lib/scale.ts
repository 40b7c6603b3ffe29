/**
 * Scale: one host, functions deployed in steps (e.g. 100 → 250 → … → 10,000). At each step the
 * functions just added are called once each (all cold to their function: a warm-pool isolate
 * or a new one), then a Zipf-distributed mix runs over every function deployed so far. Each step
 * records first-call percentiles, the start tiers, the mix's hot-set hit rate and RSS, so the
 * report can plot them against the number of deployed functions.
 */
import { makeAgent, timedGet } from './client.ts';
import { deployAll, firstCalls, startHost, status } from './host.ts';
import { helloJs } from './handlers.ts';
import { seededRng } from '../../src/core/rng.ts';
import { zipfCdf, zipfPick } from './zipf.ts';
import { summarize } from './stats.ts';
import type { Progress } from './progress.ts';
import type { Scale, ScaleStep } from './schema.ts';

export interface ScaleOptions { steps: number[]; zipfCalls: number; hotMax: number; hotBudgetMb: number; stepDeadlineMs: number }

const MiB = (b: number) => +(b / 2 ** 20).toFixed(1);

/** Runs the steps; on an error or a deadline it returns the steps completed and the reason it stopped. */
export async function scale(o: ScaleOptions, progress: Progress): Promise<{ scale: Scale; stopped?: string }> {
  const h = await startHost(['--pool-warm-min', '4', '--pool-hot-max', String(o.hotMax), '--pool-hot-budget-mb', String(o.hotBudgetMb)]);
  const s0 = await status(h);
  const out: Scale = { hotMax: o.hotMax, hotBudgetMb: o.hotBudgetMb, executors: s0.executors, rssBeforeMiB: MiB(s0.rss), budgetMiB: 0, steps: [] };
  const agent = makeAgent(1);
  let stopped: string | undefined;
  try {
    let deployed = 0;
    for (const count of o.steps) {
      progress.next(`scale: ${count.toLocaleString('en-US')} functions`);
      const deadline = performance.now() + o.stepDeadlineMs;
      const names = Array.from({ length: count - deployed }, (_, i) => `f${deployed + i}`);
      progress.phase(`deploy ${deployed + 1}–${count}`, names.length);
      const t0 = performance.now();
      // A distinct module per function: each is compiled and code-cached at deploy, as real functions are.
      await deployAll(h, names, (i) => helloJs(`f${deployed + i}`), { deadline, onDone: (d) => progress.tick(d) });
      const deploySeconds = +((performance.now() - t0) / 1000).toFixed(1);
      deployed = count;
      const sA = await status(h);
      progress.phase(`first calls at ${count}`, names.length);
      const first = await firstCalls(h, names, deadline, undefined, (i) => progress.tick(i));
      if (first.ms.length < names.length) throw new Error(`first calls: ${first.ms.length}/${names.length} before the step deadline`);
      const sB = await status(h);
      progress.phase(`Zipf mix over ${count}`, o.zipfCalls);
      const cdf = zipfCdf(count);
      const rng = seededRng(count);
      const mix: number[] = [];
      for (let i = 0; i < o.zipfCalls && performance.now() < deadline; i++) {
        mix.push((await timedGet(agent, h.edge, `f${zipfPick(cdf, rng())}.localhost`)).ms);
        progress.tick(i + 1);
      }
      const sC = await status(h);
      const d = { hot: sC.starts.hot - sB.starts.hot, warm: sC.starts.warm - sB.starts.warm, cold: sC.starts.cold - sB.starts.cold };
      const step: ScaleStep = {
        functions: count, added: names.length, deploySeconds, firstCall: summarize(first.ms), firstCallTiers: first.tiers, zipf: summarize(mix),
        hitRate: +(d.hot / Math.max(1, d.hot + d.warm + d.cold)).toFixed(4), hotInstances: sC.hot,
        rssMiB: { afterDeploy: MiB(sA.rss), afterFirstCalls: MiB(sB.rss), afterMix: MiB(sC.rss) },
      };
      out.steps.push(step);
      out.executors = Math.max(out.executors, sC.executors);
      progress.log(`scale ${count}: first call p50 ${step.firstCall.p50} / p99 ${step.firstCall.p99} ms, hit rate ${step.hitRate}, RSS ${step.rssMiB.afterMix} MiB, deploy ${deploySeconds} s`);
    }
  } catch (e) {
    stopped = (e as Error).message;
  } finally {
    agent.destroy();
    await h.stop();
  }
  // The budget: RSS before any function, plus the hot-set budget of every executor that ran.
  out.budgetMiB = +(out.rssBeforeMiB + o.hotBudgetMb * out.executors).toFixed(1);
  return stopped ? { scale: out, stopped } : { scale: out };
}
