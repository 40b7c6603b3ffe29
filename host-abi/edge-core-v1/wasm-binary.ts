/**
 * Just enough of the WebAssembly binary format to check a module against the
 * host ABI before it is stored: the layer (core module or component), function
 * types, imports, exports and custom sections. Validation of the code itself is
 * left to `WebAssembly.validate`.
 */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | `0x${string}`;
export interface FuncType { params: ValType[]; results: ValType[] }
export interface Import { module: string; name: string; kind: 'func' | 'table' | 'memory' | 'global' | 'tag'; type?: FuncType }
export interface Export { name: string; kind: 'func' | 'table' | 'memory' | 'global' | 'tag'; type?: FuncType }
export interface ModuleInfo { layer: 'core' | 'component'; imports: Import[]; exports: Export[]; custom: Map<string, Uint8Array> }

const KINDS = ['func', 'table', 'memory', 'global', 'tag'] as const;
const VALTYPES: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

export class WasmFormatError extends Error {}

class Reader {
  pos = 0;
  readonly b: Uint8Array;
  constructor(b: Uint8Array) { this.b = b; }
  byte(): number {
    if (this.pos >= this.b.length) throw new WasmFormatError('unexpected end of the module');
    return this.b[this.pos++]!;
  }
  u32(): number {
    let result = 0, shift = 0, byte: number;
    do {
      byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 35) throw new WasmFormatError('malformed LEB128 integer');
    } while (byte & 0x80);
    return result;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new WasmFormatError('unexpected end of the module');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  name(): string { return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(this.u32())); }
  valtype(): ValType { const t = this.byte(); return VALTYPES[t] ?? `0x${t.toString(16)}`; }
  limits(): void { const flag = this.byte(); this.u32(); if (flag & 1) this.u32(); }
}

/** Reads the header and the sections the ABI check needs; throws WasmFormatError on bytes that are not Wasm. */
export function readModule(bytes: Uint8Array): ModuleInfo {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('the bytes are not WebAssembly (no \\0asm magic number)');
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 1) return { layer: 'component', imports: [], exports: [], custom: new Map() };
  if (version !== 1 || layer !== 0) throw new WasmFormatError(`unsupported WebAssembly binary version ${version}, layer ${layer}`);
  const r = new Reader(bytes);
  r.pos = 8;
  const types: FuncType[] = [];
  const imports: Import[] = [];
  const funcTypes: number[] = [];
  const exports: Export[] = [];
  const custom = new Map<string, Uint8Array>();
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    const s = new Reader(bytes.subarray(r.pos, end));
    if (id === 0) custom.set(s.name(), bytes.subarray(r.pos + s.pos, end));
    else if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) throw new WasmFormatError('a type in the type section is not a function type');
        const params = Array.from({ length: s.u32() }, () => s.valtype());
        const results = Array.from({ length: s.u32() }, () => s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name(), name = s.name(), k = s.byte();
        const kind = KINDS[k];
        if (!kind) throw new WasmFormatError(`import ${module}.${name} has unknown kind ${k}`);
        if (kind === 'func') { const t = types[s.u32()]; imports.push({ module, name, kind, ...(t ? { type: t } : {}) }); funcTypes.push(types.indexOf(t!)); continue; }
        if (kind === 'table') { s.byte(); s.limits(); } else if (kind === 'memory') s.limits(); else if (kind === 'global') { s.byte(); s.byte(); } else { s.byte(); s.u32(); }
        imports.push({ module, name, kind });
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name(), k = s.byte(), index = s.u32();
        const kind = KINDS[k];
        if (!kind) throw new WasmFormatError(`export ${name} has unknown kind ${k}`);
        const t = kind === 'func' ? types[funcTypes[index] ?? -1] : undefined;
        exports.push({ name, kind, ...(t ? { type: t } : {}) });
      }
    }
    r.pos = end;
  }
  return { layer: 'core', imports, exports, custom };
}
