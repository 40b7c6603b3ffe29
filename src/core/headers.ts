/** Header pairs as the host carries them: `[name, value]`, names lower-case, repeats kept. */

/** The first value of header `name` (lower-case) in `pairs`, or undefined. */
export function headerOf(pairs: readonly (readonly [string, string])[], name: string): string | undefined {
  for (const [k, v] of pairs) if (k === name) return v;
  return undefined;
}
