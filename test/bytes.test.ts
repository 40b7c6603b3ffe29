import { describe, expect, it } from 'vitest';
import { exactBytes } from '../src/core/bytes.ts';

describe('exactBytes', () => {
  it('keeps an exact array, and copies a view (a Buffer slice shares its pool) into its own buffer', () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(exactBytes(whole)).toBe(whole);
    const pooled = Buffer.from('hello');
    expect(pooled.buffer.byteLength).toBeGreaterThan(5);
    const out = exactBytes(pooled.subarray(1, 4));
    expect(out.buffer.byteLength).toBe(3);
    expect([...out]).toEqual([101, 108, 108]);
  });
});
