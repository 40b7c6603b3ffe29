/**
 * Collects messages and sends them as one array per event-loop turn. With
 * 'immediate' (the gateway) the flush runs after the poll phase, so every request
 * that arrived in this turn's I/O callbacks rides in the same postMessage. With
 * 'microtask' (the executor) it runs once the current batch's promise jobs are
 * done: replies to one incoming batch leave together, before any background work
 * (such as refilling the warm pool) that was deferred with setImmediate.
 */
export class Batcher<M> {
  #items: M[] = [];
  #transfer: ArrayBuffer[] = [];
  #scheduled = false;
  readonly #send: (batch: M[], transfer: ArrayBuffer[]) => void;
  readonly #schedule: (fn: () => void) => void;

  constructor(send: (batch: M[], transfer: ArrayBuffer[]) => void, when: 'immediate' | 'microtask' = 'immediate') {
    this.#send = send;
    this.#schedule = when === 'immediate' ? (fn) => setImmediate(fn) : (fn) => queueMicrotask(fn);
  }

  push(msg: M, transfer?: ArrayBuffer): void {
    this.#items.push(msg);
    if (transfer) this.#transfer.push(transfer);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.flush);
    }
  }

  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#items.length === 0) return;
    const batch = this.#items;
    const transfer = this.#transfer;
    this.#items = [];
    this.#transfer = [];
    this.#send(batch, transfer);
  };
}
