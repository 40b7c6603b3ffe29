/**
 * The `edge-core-v1` ABI (docs/host-abi.md §2): what a core module must export
 * and may import, checked from its binary. Pure.
 */
import type { FuncType, ModuleInfo } from './wasm-binary.ts';

export const ABI_NAME = 'edge-core-v1';
/** Optional custom section naming the ABI a module was built for. */
export const ABI_SECTION = 'edge-abi';

const sig = (t: FuncType | undefined) => (t ? `(${t.params.join(', ')}) -> (${t.results.join(', ')})` : '(unknown)');
const REQUIRED: Record<string, string> = { alloc: '(i32) -> (i32)', handle: '(i32, i32) -> (i64)' };
const OPTIONAL: Record<string, string> = { _initialize: '() -> ()' };
const HOST_IMPORTS: Record<string, string> = { 'env.log': '(i32, i32) -> ()' };

/** Problems that make the module unusable on edge-core-v1; empty when it conforms. */
export function checkAbi(info: ModuleInfo): string[] {
  const problems: string[] = [];
  const declared = info.custom.get(ABI_SECTION);
  if (declared) {
    const abi = new TextDecoder().decode(declared).trim();
    if (abi !== ABI_NAME) problems.push(`the module declares ABI "${abi}"; this host provides "${ABI_NAME}"`);
  }
  const exp = new Map(info.exports.map((e) => [e.name, e]));
  const mem = exp.get('memory');
  if (!mem) problems.push('missing export "memory"');
  else if (mem.kind !== 'memory') problems.push(`export "memory" is a ${mem.kind}, not a memory`);
  for (const [name, want] of Object.entries(REQUIRED)) {
    const e = exp.get(name);
    if (!e) problems.push(`missing export "${name}" ${want}`);
    else if (e.kind !== 'func' || sig(e.type) !== want) problems.push(`export "${name}" has type ${e.kind === 'func' ? sig(e.type) : e.kind}, expected ${want}`);
  }
  for (const [name, want] of Object.entries(OPTIONAL)) {
    const e = exp.get(name);
    if (e && (e.kind !== 'func' || sig(e.type) !== want)) problems.push(`export "${name}" has type ${sig(e.type)}, expected ${want}`);
  }
  for (const i of info.imports) {
    const key = `${i.module}.${i.name}`;
    const want = HOST_IMPORTS[key];
    if (!want) problems.push(`imports "${key}", which the host does not provide (it provides ${Object.keys(HOST_IMPORTS).join(', ')})`);
    else if (i.kind !== 'func' || sig(i.type) !== want) problems.push(`import "${key}" has type ${sig(i.type)}, expected ${want}`);
  }
  return problems;
}
