/**
 * This Node's WebAssembly constructors, typed once. The TypeScript libs used here carry no DOM
 * typings, so `WebAssembly.Module` and `Instance` exist as types only (from @types/node) and the
 * global's constructors are reached through this one cast. Synchronous on purpose: inside an
 * isolated-vm isolate the asynchronous API never resolves (docs/architecture.md).
 */
export type WasmExports = Record<string, unknown>;

export const WasmEngine = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => WebAssembly.Module;
    Instance: new (module: WebAssembly.Module, imports: object) => { exports: WasmExports };
  };
}).WebAssembly;
