/**
 * A small POSIX ustar writer and reader, for `isoedge store export/import`: regular files only,
 * names up to 255 bytes (split over the header's prefix and name fields), sizes below 8 GiB. The
 * reader is strict: the checksum of every header is verified and an archive that ends early (no
 * end-of-archive block) is refused, so a truncated export is never taken as a smaller one.
 */
export interface TarEntry {
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Field offsets and lengths of the ustar header. */
const F = {
  name: [0, 100], mode: [100, 8], uid: [108, 8], gid: [116, 8], size: [124, 12], mtime: [136, 12],
  chksum: [148, 8], typeflag: [156, 1], magic: [257, 6], version: [263, 2], prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/** The archive of `entries`, in order; `mtime` (Unix seconds) is stamped on every file. */
export function packTar(entries: TarEntry[], opts: { mtime?: number } = {}): Uint8Array {
  const mtime = Math.max(0, Math.floor(opts.mtime ?? 0));
  const total = entries.reduce((n, e) => n + BLOCK + padded(e.data.byteLength), 2 * BLOCK);
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    const h = out.subarray(at, at + BLOCK);
    const [prefix, name] = splitName(e.name);
    h.set(prefix, F.prefix[0]);
    h.set(name, F.name[0]);
    octal(h, F.mode, 0o644);
    octal(h, F.uid, 0);
    octal(h, F.gid, 0);
    if (e.data.byteLength >= 8 ** 11) throw new Error(`tar: ${e.name} is too large for a ustar entry (${e.data.byteLength} bytes)`);
    octal(h, F.size, e.data.byteLength);
    octal(h, F.mtime, mtime);
    h[F.typeflag[0]] = 0x30; // '0': a regular file
    h.set(enc.encode('ustar\0'), F.magic[0]);
    h.set(enc.encode('00'), F.version[0]);
    // The checksum is the byte sum of the header with its own field read as spaces: 6 digits, NUL, space.
    h.fill(0x20, F.chksum[0], F.chksum[0] + F.chksum[1]);
    const sum = checksum(h);
    h.set(enc.encode(sum.toString(8).padStart(6, '0')), F.chksum[0]);
    h[F.chksum[0] + 6] = 0;
    out.set(e.data, at + BLOCK);
    at += BLOCK + padded(e.data.byteLength);
  }
  // The two zero blocks that end an archive are already there: `out` was zero-filled.
  return out;
}

/** The regular files of a ustar archive, in order (directory entries are skipped). */
export function unpackTar(bytes: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  for (let at = 0; ; ) {
    if (at + BLOCK > bytes.byteLength) throw new Error(`tar: the archive ends after ${out.length} ${out.length === 1 ? 'entry' : 'entries'} without its end-of-archive block (truncated?)`);
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return out;
    const where = `tar: the header at byte ${at}`;
    const stored = readOctal(h, F.chksum);
    const copy = h.slice();
    copy.fill(0x20, F.chksum[0], F.chksum[0] + F.chksum[1]);
    if (stored === undefined || stored !== checksum(copy)) throw new Error(`${where} has a bad checksum (the archive is corrupt)`);
    if (text(h, F.magic).slice(0, 5) !== 'ustar') throw new Error(`${where} is not a ustar header`);
    const size = readOctal(h, F.size);
    if (size === undefined) throw new Error(`${where} has an unreadable size`);
    const prefix = text(h, F.prefix);
    const name = prefix ? `${prefix}/${text(h, F.name)}` : text(h, F.name);
    const type = String.fromCharCode(h[F.typeflag[0]]!);
    const start = at + BLOCK;
    if (start + size > bytes.byteLength) throw new Error(`tar: ${name} is cut short: ${size} bytes announced, ${bytes.byteLength - start} present (truncated?)`);
    if (type === '0' || type === '\0') out.push({ name, data: bytes.slice(start, start + size) });
    else if (type !== '5') throw new Error(`tar: ${name} is of entry type ${JSON.stringify(type)}; only regular files and directories are read`);
    at = start + padded(size);
  }
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function checksum(h: Uint8Array): number {
  let s = 0;
  for (const b of h) s += b;
  return s;
}

/** A name as [prefix, name] fields: whole when it fits in 100 bytes, else split at a '/'. */
function splitName(full: string): [Uint8Array, Uint8Array] {
  const b = enc.encode(full);
  if (b.byteLength === 0 || b.includes(0)) throw new Error(`tar: invalid entry name ${JSON.stringify(full)}`);
  if (b.byteLength <= 100) return [new Uint8Array(0), b];
  // Walk back from the end while the part after the '/' still fits the name field.
  for (let i = b.byteLength - 2; i > 0 && b.byteLength - i - 1 <= 100; i--) {
    if (b[i] === 0x2f && i <= 155) return [b.subarray(0, i), b.subarray(i + 1)];
  }
  throw new Error(`tar: the entry name ${JSON.stringify(full)} does not fit a ustar header (at most 155 bytes of folders and 100 of name)`);
}

function octal(h: Uint8Array, [off, len]: readonly [number, number], n: number): void {
  h.set(enc.encode(n.toString(8).padStart(len - 1, '0')), off);
  h[off + len - 1] = 0;
}

/** An octal field (digits, then NUL or spaces); undefined if it is not one. */
function readOctal(h: Uint8Array, f: readonly [number, number]): number | undefined {
  const s = text(h, f).trim();
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : undefined;
}

/** A NUL-terminated (or full-width) text field. */
function text(h: Uint8Array, [off, len]: readonly [number, number]): string {
  const f = h.subarray(off, off + len);
  const end = f.indexOf(0);
  try {
    return dec.decode(end === -1 ? f : f.subarray(0, end));
  } catch {
    throw new Error(`tar: a header field at offset ${off} is not UTF-8 (the archive is corrupt)`);
  }
}
