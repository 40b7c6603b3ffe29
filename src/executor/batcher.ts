/**
 * Collects messages and sends them as one array per event-loop turn. setImmediate
 * runs after the poll phase, so every request that arrived in this turn's I/O
 * callbacks rides in the same postMessage.
 */
export class Batcher<M> {
  #items: M[] = [];
  #transfer: ArrayBuffer[] = [];
  #scheduled = false;
  readonly #send: (batch: M[], transfer: ArrayBuffer[]) => void;

  constructor(send: (batch: M[], transfer: ArrayBuffer[]) => void) {
    this.#send = send;
  }

  push(msg: M, transfer?: ArrayBuffer): void {
    this.#items.push(msg);
    if (transfer) this.#transfer.push(transfer);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
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
