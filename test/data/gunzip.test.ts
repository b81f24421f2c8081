import { constants, deflateRawSync, gunzipSync, gzipSync, type ZlibOptions } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzip, GunzipError } from '../../src/data/gunzip.js';

/** Decodes `bytes` handed over `inputPiece` bytes per read, the output joined. */
function decode(bytes: Uint8Array, inputPiece = 1 << 16): Buffer {
  let at = 0;
  const pieces: Buffer[] = [];
  gunzip(
    (into) => {
      const n = Math.min(inputPiece, into.length, bytes.length - at);
      into.set(bytes.subarray(at, at + n));
      at += n;
      return n;
    },
    (piece) => {
      pieces.push(Buffer.from(piece));
      return false;
    },
  );
  return Buffer.concat(pieces);
}

/** zlib's verdict on `bytes`: its output, or its error message. */
function zlibResult(bytes: Uint8Array): Buffer | string {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    return (e as Error).message;
  }
}

function ourResult(bytes: Uint8Array, inputPiece?: number): Buffer | string {
  try {
    return decode(bytes, inputPiece);
  } catch (e) {
    expect(e).toBeInstanceOf(GunzipError);
    return (e as Error).message;
  }
}

/** Seeded bytes: runs, repeats and noise, so that every kind of block and match is made. */
function sample(length: number, seed: number): Buffer {
  let state = seed;
  const next = (m: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % m;
  };
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; ) {
    const kind = next(3);
    const n = Math.min(length - i, 1 + next(300));
    if (kind === 0) out.fill(next(256), i, i + n);
    else if (kind === 1 && i > 0) for (let k = 0; k < n; k++) out[i + k] = out[i + k - 1 - next(Math.min(i, 40000))] ?? 0;
    else for (let k = 0; k < n; k++) out[i + k] = next(256);
    i += n;
  }
  return out;
}

describe('gunzip', () => {
  const settings: [string, ZlibOptions][] = [
    ['stored (level 0)', { level: 0 }],
    ['fixed Huffman codes', { strategy: constants.Z_FIXED }],
    ['Huffman only', { strategy: constants.Z_HUFFMAN_ONLY }],
    ['run-length', { strategy: constants.Z_RLE }],
    ['level 1', { level: 1 }],
    ['level 9', { level: 9 }],
  ];

  it.each(settings)('decodes what zlib encodes: %s, over inputs read a byte to 64 KB at a time', (_, options) => {
    for (const length of [0, 1, 300, 70_000, 300_000]) {
      const data = sample(length, length + 1);
      const zipped = gzipSync(data, options);
      for (const piece of [1, 7, 1 << 16]) {
        if (piece === 1 && length > 70_000) continue;
        expect(decode(zipped, piece).equals(data)).toBe(true);
      }
    }
  });

  it('decodes codes longer than the root tables (10 bits literal/length, 8 distance) through their sub-tables', () => {
    // long-tailed: byte k with probability 2^-(k+1), copies at distance code d with probability
    // 2^-(d+1), so each block's Huffman codes run up to zlib's 15-bit limit
    let state = 7;
    const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const tail = (max: number): number => Math.min(max, Math.floor(-Math.log2(1 - next())));
    const data = Buffer.alloc(400_000);
    for (let i = 0; i < data.length; ) {
      if (i > 40_000 && next() < 0.3) {
        const d = tail(29);
        const distance = Math.min(32_768, (1 << (d >> 1)) + Math.floor(next() * (1 << (d >> 1))));
        for (let n = 3 + Math.floor(next() * 8); n > 0 && i < data.length; n--, i++) data[i] = data[i - distance]!;
      } else data[i++] = tail(255);
    }
    for (const options of [{ strategy: constants.Z_HUFFMAN_ONLY }, { level: 9 }]) {
      const zipped = gzipSync(data, options);
      const longest = longestCodes(zipped);
      expect(longest.literal).toBeGreaterThan(10);
      if (options.level === 9) expect(longest.distance).toBeGreaterThan(8);
      expect(decode(zipped, 1000).equals(data)).toBe(true);
    }
  });

  it('reads concatenated members as one stream, and ignores trailing zeros as zlib does', () => {
    const a = sample(50_000, 1);
    const b = sample(20_000, 2);
    const joined = Buffer.concat([gzipSync(a), gzipSync(b, { level: 0 }), gzipSync(Buffer.alloc(0)), Buffer.alloc(5)]);
    expect(decode(joined).equals(Buffer.concat([a, b]))).toBe(true);
    expect(gunzipSync(joined).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('reads the optional header fields (extra, name, comment, header CRC) and checks the header CRC', () => {
    const data = sample(1000, 3);
    const deflated = deflateRawSync(data);
    const zipped = gzipSync(data);
    const trailer = zipped.subarray(zipped.length - 8);
    // FLG = FHCRC | FEXTRA | FNAME | FCOMMENT
    const head = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3, 3, 0, 1, 2, 3]), Buffer.from('name\0comment\0')]);
    const crc = gzipCrc(head);
    const good = Buffer.concat([head, Buffer.from([crc & 0xff, (crc >>> 8) & 0xff]), deflated, trailer]);
    expect(decode(good, 3).equals(data)).toBe(true);
    expect(zlibResult(good)).toEqual(data);
    const bad = Buffer.from(good);
    bad[head.length] ^= 1;
    expect(ourResult(bad)).toBe('header crc mismatch');
    expect(zlibResult(bad)).toBe('header crc mismatch');
  });

  it('refuses every truncation of a stream, as zlib does', () => {
    const zipped = gzipSync(sample(3000, 4));
    for (let n = 0; n < zipped.length; n++) {
      const cut = zipped.subarray(0, n);
      expect(ourResult(cut, 5)).toBe('unexpected end of file');
      expect(zlibResult(cut)).toBe('unexpected end of file');
    }
  });

  it('agrees with zlib on every single-bit corruption of a stream: the same output, or both refuse', () => {
    for (const options of [{}, { strategy: constants.Z_FIXED }, { level: 0 }]) {
      const zipped = gzipSync(sample(600, 5), options);
      for (let i = 0; i < zipped.length; i++) {
        for (const bit of [0, 3, 7]) {
          const bad = Buffer.from(zipped);
          bad[i] ^= 1 << bit;
          const ours = ourResult(bad, 9);
          const theirs = zlibResult(bad);
          if (typeof theirs === 'string') expect(typeof ours, `byte ${i} bit ${bit}: zlib says ${theirs}`).toBe('string');
          else expect(ours, `byte ${i} bit ${bit}`).toEqual(theirs);
        }
      }
    }
  });

  it('names the corruption with zlib\'s messages', () => {
    const zipped = gzipSync(sample(5000, 6));
    const cases: [number, number, string][] = [
      [0, 0x1f ^ 0x20, 'incorrect header check'],
      [2, 7, 'unknown compression method'],
      [3, 0x20, 'unknown header flags set'],
      [zipped.length - 8, zipped[zipped.length - 8]! ^ 1, 'incorrect data check'],
      [zipped.length - 4, zipped[zipped.length - 4]! ^ 1, 'incorrect length check'],
    ];
    for (const [at, value, message] of cases) {
      const bad = Buffer.from(zipped);
      bad[at] = value;
      expect(ourResult(bad)).toBe(message);
      expect(zlibResult(bad)).toBe(message);
    }
    // a block of type 3 (reserved) right after the header
    const reserved = Buffer.concat([zipped.subarray(0, 10), Buffer.from([0b111]), zipped.subarray(zipped.length - 8)]);
    expect(ourResult(reserved)).toBe('invalid block type');
    expect(zlibResult(reserved)).toBe('invalid block type');
  });

  it('stops reading once emit says so, its output cut there', () => {
    // (noise: the input read is as long as the output wanted)
    const data = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => (i * 2654435761) >>> 24));
    const zipped = gzipSync(data);
    let read = 0;
    let got = 0;
    gunzip(
      (into) => {
        const n = Math.min(4096, zipped.length - read);
        into.set(zipped.subarray(read, read + n));
        read += n;
        return n;
      },
      (piece) => {
        expect(Buffer.from(piece).equals(data.subarray(got, got + piece.length))).toBe(true);
        got += piece.length;
        return got >= 100_000;
      },
    );
    expect(got).toBeGreaterThanOrEqual(100_000);
    expect(got).toBeLessThan(300_000);
    expect(read).toBeLessThan(zipped.length / 2);
  });
});

/** CRC-32 of `bytes` (for a hand-made header), as gzip computes it. */
function gzipCrc(bytes: Uint8Array): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** The longest literal/length and distance code of a gzip stream's first block, which must be dynamic (RFC 1951 3.2.7). */
function longestCodes(zipped: Uint8Array): { literal: number; distance: number } {
  let at = 10 * 8; // no optional header fields
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, at++) v |= ((zipped[at >> 3]! >> (at & 7)) & 1) << i;
    return v;
  };
  expect(bits(3) >> 1).toBe(2);
  const nlen = bits(5) + 257;
  const ndist = bits(5) + 1;
  const ncode = bits(4) + 4;
  const clen = new Array<number>(19).fill(0);
  for (let i = 0; i < ncode; i++) clen[[16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15][i]!] = bits(3);
  // the code-length code's canonical codes, matched a bit at a time
  const codes = new Map<string, number>();
  let code = 0;
  for (let len = 1; len <= 7; len++) {
    for (let s = 0; s < 19; s++) if (clen[s] === len) codes.set(`${len}:${code++}`, s);
    code <<= 1;
  }
  const lengths: number[] = [];
  while (lengths.length < nlen + ndist) {
    let c = 0;
    let len = 0;
    let sym: number | undefined;
    while (sym === undefined) sym = codes.get(`${++len}:${(c = (c << 1) | bits(1))}`);
    if (sym < 16) lengths.push(sym);
    else if (sym === 16) lengths.push(...new Array<number>(3 + bits(2)).fill(lengths[lengths.length - 1]!));
    else lengths.push(...new Array<number>(sym === 17 ? 3 + bits(3) : 11 + bits(7)).fill(0));
  }
  return { literal: Math.max(...lengths.slice(0, nlen)), distance: Math.max(...lengths.slice(nlen)) };
}
