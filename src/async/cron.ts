/**
 * Cron triggers (design §11): each function's `triggers.crons` (its latest revision's config) fire
 * in UTC; every tick becomes an async invocation that runs the revision's scheduled() handler, so
 * a tick is durable, retried, and visible in the invocations API like any call. The tick's key
 * (`cron:{expr}@{time}`) dedupes it in the store: several hosts on one store run it once.
 *
 * A tick whose time passed while the host was down is not run later (Workers behaves the same): the
 * schedule is computed from the time the host starts.
 */
import type { Scheduler } from '../core/clock.ts';
import { nextCronTime, parseCron, type CronSchedule } from '../deploy/index.ts';
import type { ScheduledEvent } from '../store/index.ts';

export interface CronDeps {
  /** Every function's cron expressions now, with the revision they belong to (the function's latest). */
  crons(): Promise<Map<string, { revision: string; crons: string[] }>>;
  /** Submits one tick as a call to `revision` (the one whose crons fired); its key makes a repeat a no-op. */
  fire(fn: string, revision: string, event: ScheduledEvent, key: string): Promise<void>;
  wallNow(): number;
  scheduler: Scheduler;
  /** A tick that could not be submitted (the function was deleted meanwhile, the queue is full), or an expression that does not parse. */
  failed?(fn: string, cron: string, err: unknown): void;
}

/** Timers are re-armed at least this often, so a clock step or a long wait never drifts far. */
const MAX_SLEEP_MS = 60_000;

interface Entry { fn: string; revision: string; cron: string; schedule: CronSchedule; next: number }

export class CronScheduler {
  readonly #d: CronDeps;
  #entries: Entry[] = [];
  #cancel: (() => void) | undefined;
  #stopped = false;
  #reloading: Promise<void> | undefined;
  #again = false;

  constructor(deps: CronDeps) {
    this.#d = deps;
  }

  /** Reads the crons and arms the timer; call again whenever a function's revisions change. */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#load().finally(() => {
      this.#reloading = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#reloading;
  }

  async #load(): Promise<void> {
    const all = await this.#d.crons();
    const now = this.#d.wallNow();
    const kept = new Map(this.#entries.map((e) => [`${e.fn}\n${e.cron}`, e]));
    const entries: Entry[] = [];
    for (const [fn, { revision, crons }] of all) {
      for (const cron of crons) {
        // An entry that stays keeps its next tick: a reload at 11:59:59.9 must not skip 12:00.
        const old = kept.get(`${fn}\n${cron}`);
        if (old) {
          old.revision = revision;
          entries.push(old);
          continue;
        }
        // One bad expression (stored before a rule was added) must not stop the others, or the host.
        try {
          const schedule = parseCron(cron);
          entries.push({ fn, revision, cron, schedule, next: nextCronTime(schedule, now) });
        } catch (err) {
          this.#d.failed?.(fn, cron, err);
        }
      }
    }
    this.#entries = entries;
    this.#arm();
  }

  /** Ticks of every function, soonest first (status and tests). */
  upcoming(): { fn: string; revision: string; cron: string; next: number }[] {
    return this.#entries.map(({ fn, revision, cron, next }) => ({ fn, revision, cron, next })).sort((a, b) => a.next - b.next);
  }

  #arm(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#stopped || this.#entries.length === 0) return;
    const soonest = Math.min(...this.#entries.map((e) => e.next));
    if (!Number.isFinite(soonest)) return;
    const wait = Math.min(MAX_SLEEP_MS, Math.max(0, soonest - this.#d.wallNow()));
    this.#cancel = this.#d.scheduler.after(wait, () => this.#tick());
  }

  #tick(): void {
    this.#cancel = undefined;
    const now = this.#d.wallNow();
    for (const e of this.#entries) {
      if (e.next > now) continue;
      const event: ScheduledEvent = { cron: e.cron, scheduledTime: e.next };
      this.#d.fire(e.fn, e.revision, event, `cron:${e.cron}@${e.next}`).catch((err: unknown) => this.#d.failed?.(e.fn, e.cron, err));
      e.next = nextCronTime(e.schedule, now);
    }
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
  }
}
