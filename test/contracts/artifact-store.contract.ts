/** The contract every ArtifactStore passes (a directory today, a JetStream Object Store next). */
import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/store/index.ts';

const D = 'c'.repeat(64);
const bytes = (s: string) => new TextEncoder().encode(s);

export function artifactStoreContract(name: string, open: () => Promise<ArtifactStore>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    it('stores named files under a digest and reads each back as bytes of their own', async () => {
      const s = await open();
      expect(await s.has(D)).toBe(false);
      await s.put(D, { 'script.js': bytes('x()'), 'cores/0.wasm': new Uint8Array([0, 97, 115, 109]) });
      expect(await s.has(D)).toBe(true);
      const got = (await s.get(D, 'script.js'))!;
      expect(new TextDecoder().decode(got)).toBe('x()');
      expect(got.byteOffset).toBe(0);
      expect(got.buffer.byteLength).toBe(got.byteLength);
      expect([...(await s.get(D, 'cores/0.wasm'))!]).toEqual([0, 97, 115, 109]);
      expect(await s.get(D, 'cache.bin')).toBeUndefined();
    });

    it('put is idempotent, and remove forgets the digest', async () => {
      const s = await open();
      await s.put(D, { 'module.wasm': bytes('m') });
      await s.put(D, { 'module.wasm': bytes('m') });
      expect(await s.has(D)).toBe(true);
      await s.remove(D);
      expect(await s.has(D)).toBe(false);
      expect(await s.get(D, 'module.wasm')).toBeUndefined();
      await s.remove(D); // removing nothing is fine
    });

    it('two writers racing on one digest: what is stored is one writer\'s files, never a mix', async () => {
      const s = await open();
      const writer = (tag: string) => ({ 'script.js': bytes(`script ${tag}`), 'cache.bin': bytes(`cache ${tag}`), 'cores/0.wasm': bytes(`core ${tag}`) });
      await Promise.all(['a', 'b', 'c', 'd'].map((t) => s.put(D, writer(t))));
      const got = await Promise.all(['script.js', 'cache.bin', 'cores/0.wasm'].map(async (n) => new TextDecoder().decode((await s.get(D, n))!)));
      const tag = got[0]!.split(' ')[1];
      expect(got).toEqual([`script ${tag}`, `cache ${tag}`, `core ${tag}`]);
    });

    it('refuses what is not a digest or a file name', async () => {
      const s = await open();
      await expect(s.put('not-a-digest', { 'a.js': bytes('') })).rejects.toThrow(/digest/);
      await expect(s.put(D, { '../escape': bytes('') })).rejects.toThrow(/file name/);
      await expect(s.put(D, { 'a/b/c': bytes('') })).rejects.toThrow(/file name/);
      await expect(s.get(D, '/etc/passwd')).rejects.toThrow(/file name/);
      expect(await s.has(D)).toBe(false);
    });
  });
}
