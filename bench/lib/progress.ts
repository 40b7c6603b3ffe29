/**
 * One progress bar on stderr for a whole run: the step (k of K), the phase within it and the time
 * so far. On a terminal it redraws in place; otherwise (CI, a pipe) it prints one line per phase,
 * so logs stay short.
 */
export class Progress {
  private step = 0;
  private label = '';
  private total = 1;
  private last = 0;
  private readonly t0 = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly steps: number;
  constructor(steps: number) {
    this.steps = steps;
  }

  /** Starts the next step of the run. */
  next(name: string): void {
    this.step++;
    this.phase(name, 1);
  }

  /** Starts a phase of `total` units within the current step. */
  phase(label: string, total: number): void {
    this.label = label;
    this.total = Math.max(1, total);
    this.last = 0;
    if (this.tty) this.draw(0);
    else process.stderr.write(`[bench ${this.step}/${this.steps} ${this.secs()}s] ${label}\n`);
  }

  tick(done: number): void {
    // Redraw at most every 100 ms: the bar must not cost the measurement anything.
    const now = performance.now();
    if (!this.tty || (now - this.last < 100 && done < this.total)) return;
    this.last = now;
    this.draw(done);
  }

  log(msg: string): void {
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}[bench] ${msg}\n`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`[bench] done in ${this.secs()} s\n`);
  }

  private secs(): number {
    return Math.round((performance.now() - this.t0) / 1000);
  }

  private draw(done: number): void {
    const w = 24;
    const k = Math.min(w, Math.round((done / this.total) * w));
    process.stderr.write(`\r\x1b[K[bench ${this.step}/${this.steps}] [${'#'.repeat(k)}${'.'.repeat(w - k)}] ${this.label} ${done}/${this.total}  ${this.secs()} s`);
  }
}
