/** Compiled Wasm core modules by digest: compiled once on this thread, shared into isolates, LRU by size. */
import { LRUCache } from 'lru-cache';
import { WasmEngine } from '../../host-abi/wasm-engine.ts';

export class WasmModules {
  readonly #lru: LRUCache<string, WebAssembly.Module>;
  /** Byte sizes of the cached modules' sources: a compiled Module does not tell its size. */
  readonly #sizes = new Map<string, number>();
  readonly #compile: (bytes: Uint8Array) => WebAssembly.Module;

  constructor(maxBytes: number, compile: (bytes: Uint8Array) => WebAssembly.Module = (b) => new WasmEngine.Module(b)) {
    this.#compile = compile;
    this.#lru = new LRUCache<string, WebAssembly.Module>({
      maxSize: maxBytes,
      sizeCalculation: (_m, k) => this.#sizes.get(k) ?? 1,
      dispose: (_m, k) => this.#sizes.delete(k),
    });
  }

  /** The module compiled from `bytes`, cached under `key` (the revision's digest, or digest/name for a component's cores). */
  get(key: string, bytes: Uint8Array): WebAssembly.Module {
    let m = this.#lru.get(key);
    if (!m) {
      m = this.#compile(bytes);
      this.#sizes.set(key, Math.max(1, bytes.byteLength));
      this.#lru.set(key, m);
    }
    return m;
  }

  clear(): void {
    this.#lru.clear();
  }
}
