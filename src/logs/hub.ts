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

class Ring {
  readonly #items: (LogEntry | undefined)[];
  #next = 0;
  #size = 0;
  constructor(capacity: number) {
    this.#items = new Array<LogEntry | undefined>(capacity);
  }
  push(e: LogEntry): void {
    this.#items[this.#next] = e;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#size = Math.min(this.#size + 1, this.#items.length);
  }
  /** Oldest first; at most `n` of the most recent. */
  last(n: number): LogEntry[] {
    const k = Math.min(n, this.#size);
    const out: LogEntry[] = [];
    for (let i = k; i > 0; i--) out.push(this.#items[(this.#next - i + this.#items.length) % this.#items.length]!);
    return out;
  }
}

export class LogHub {
  readonly #rings = new Map<string, Ring>();
  readonly #listeners = new Map<string, Set<LogListener>>();
  readonly #capacity: number;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  push(e: LogEntry): void {
    let r = this.#rings.get(e.function);
    if (!r) this.#rings.set(e.function, (r = new Ring(this.#capacity)));
    r.push(e);
    for (const l of this.#listeners.get(e.function) ?? []) l(e);
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
    this.#rings.delete(fn);
  }
}
