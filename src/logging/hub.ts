/**
 * Per-function live logs: a bounded ring of recent entries for history and a set
 * of subscribers for `logs --follow`. Guest console lines and the host's request
 * lines both land here, tagged with revision and request id.
 */
export interface LogEntry {
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  source: 'guest' | 'host';
  function: string;
  revision: string;
  reqId: string;
  msg: string;
  /** Host request lines: method, path, status, duration, start tier. */
  request?: { method: string; path: string; status: number; ms: number; tier?: string };
}

export type LogListener = (e: LogEntry) => void;

/** Entries of one function, oldest first; grows as lines arrive (a preallocated ring cost 8 KB per function). */
class Ring {
  #items: LogEntry[] = [];
  #head = 0;
  readonly #seqs: number[] = [];

  get size(): number {
    return this.#items.length - this.#head;
  }

  get oldestSeq(): number | undefined {
    return this.size > 0 ? this.#seqs[this.#head] : undefined;
  }

  push(e: LogEntry, seq: number): void {
    this.#items.push(e);
    this.#seqs.push(seq);
  }

  dropOldest(): void {
    if (this.size === 0) return;
    this.#head++;
    // Compact now and then, so dropped entries do not stay reachable.
    if (this.#head >= 64 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#seqs.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Oldest first; at most `n` of the most recent. */
  last(n: number): LogEntry[] {
    return this.#items.slice(Math.max(this.#head, this.#items.length - n));
  }

  seqs(): number[] {
    return this.#seqs.slice(this.#head);
  }
}

/**
 * Bounded twice: at most `perFunction` lines of each function, and at most `total` over all
 * of them (the oldest lines go first, whichever function wrote them), so a host with many
 * functions keeps a bounded log however many there are.
 */
export class LogHub {
  readonly #rings = new Map<string, Ring>();
  readonly #listeners = new Map<string, Set<LogListener>>();
  readonly #capacity: number;
  readonly #total: number;
  /** Every retained line as [function, sequence], oldest first: which line the total bound drops next. */
  #order: [string, number][] = [];
  #orderHead = 0;
  #retained = 0;
  #seq = 0;

  constructor(perFunction = 1000, total = 100_000) {
    this.#capacity = Math.max(1, perFunction);
    this.#total = Math.max(this.#capacity, total);
  }

  /** Lines held now, over all functions. */
  get size(): number {
    return this.#retained;
  }

  push(e: LogEntry): void {
    let r = this.#rings.get(e.function);
    if (!r) this.#rings.set(e.function, (r = new Ring()));
    const seq = ++this.#seq;
    r.push(e, seq);
    this.#order.push([e.function, seq]);
    this.#retained++;
    if (r.size > this.#capacity) {
      r.dropOldest();
      this.#retained--;
    }
    while (this.#retained > this.#total && this.#dropOldestOverall());
    if (this.#order.length - this.#orderHead > 2 * this.#total) this.#rebuildOrder();
    for (const l of this.#listeners.get(e.function) ?? []) l(e);
  }

  #dropOldestOverall(): boolean {
    let dropped = false;
    while (!dropped && this.#orderHead < this.#order.length) {
      const [fn, seq] = this.#order[this.#orderHead++]!;
      const r = this.#rings.get(fn);
      // Lines already dropped by their function's own bound (or with the function) are skipped.
      if (r && r.oldestSeq === seq) {
        r.dropOldest();
        this.#retained--;
        if (r.size === 0) this.#rings.delete(fn);
        dropped = true;
      }
    }
    if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#orderHead);
      this.#orderHead = 0;
    }
    return dropped;
  }

  /** The order list also holds lines dropped by per-function bounds; past twice the total it is rebuilt from what is retained. */
  #rebuildOrder(): void {
    const live: [string, number][] = [];
    for (const [fn, r] of this.#rings) for (const seq of r.seqs()) live.push([fn, seq]);
    live.sort((a, b) => a[1] - b[1]);
    this.#order = live;
    this.#orderHead = 0;
  }

  recent(fn: string, n = this.#capacity): LogEntry[] {
    return this.#rings.get(fn)?.last(n) ?? [];
  }

  subscribe(fn: string, l: LogListener): () => void {
    let set = this.#listeners.get(fn);
    if (!set) this.#listeners.set(fn, (set = new Set()));
    set.add(l);
    return () => {
      set!.delete(l);
      if (set!.size === 0) this.#listeners.delete(fn);
    };
  }

  forget(fn: string): void {
    const r = this.#rings.get(fn);
    if (r) this.#retained -= r.size;
    this.#rings.delete(fn);
  }
}
