import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IdxDecoder, parseIdx, readIdx, type IdxArray } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist-family.js';
import { FormatError } from '../../src/errors.js';
import { idxBytes, tempDir } from './fixtures.js';

/** Decodes `bytes` pushed in two pieces, split at `cut`, into an array. */
function decodeSplit(bytes: Uint8Array, cut: number, options: { limit?: number; gzipped?: boolean } = {}): IdxArray {
  let array: IdxArray | undefined;
  const decoder = new IdxDecoder('f', {
    start: (dims) => (array = { dims, data: new Uint8Array(dims.reduce((a, b) => a * b, 1)) }),
    write: (piece, offset) => array!.data.set(piece, offset),
  }, options);
  if (!decoder.push(bytes.subarray(0, cut))) {
    if (!decoder.push(bytes.subarray(cut))) decoder.end();
  }
  return array!;
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('IdxDecoder: bytes pushed in pieces', () => {
  const values = Array.from({ length: 3 * 2 * 5 }, (_, i) => (i * 37) % 256);
  const bytes = idxBytes([3, 2, 5], values);

  it('gives parseIdx\'s array whatever the piece boundary, header and data alike', () => {
    const whole = parseIdx(bytes, 'f');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const a = decodeSplit(bytes, cut);
      expect(a.dims).toEqual(whole.dims);
      expect(Array.from(a.data)).toEqual(Array.from(whole.data));
    }
  });

  it('with a limit, gives the first items at every boundary and asks for no more', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const a = decodeSplit(bytes, cut, { limit: 2 });
      expect(a.dims).toEqual([2, 2, 5]);
      expect(Array.from(a.data)).toEqual(values.slice(0, 20));
    }
  });

  it('refuses a truncated stream and a longer one with parseIdx\'s messages, at every boundary', () => {
    const short = bytes.subarray(0, bytes.length - 1);
    const long = Buffer.concat([bytes, Buffer.from([1])]);
    for (let cut = 0; cut <= short.length; cut++) {
      const e = errorOf(() => decodeSplit(short, cut));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toBe(errorOf(() => parseIdx(short, 'f')).message);
    }
    for (let cut = 0; cut <= long.length; cut++) {
      expect(errorOf(() => decodeSplit(long, cut)).message).toBe(errorOf(() => parseIdx(long, 'f')).message);
      // from a gzip stream, the byte past the declared data is refused when it arrives
      expect(errorOf(() => decodeSplit(long, cut, { gzipped: true })).message).toBe('f: the gzip stream holds more than the 46 bytes the IDX header declares');
    }
  });

  it('refuses a bad or cut header as parseIdx does', () => {
    for (const bad of [new Uint8Array([0, 0, 8]), new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 5]), idxBytes([2], [1, 2], 0x0d), bytes.subarray(0, 10), new Uint8Array([0, 0, 8, 0])]) {
      for (let cut = 0; cut <= bad.length; cut++) {
        expect(errorOf(() => decodeSplit(bad, cut)).message).toBe(errorOf(() => parseIdx(bad, 'f')).message);
      }
    }
  });
});

describe('readIdx: files read in pieces', () => {
  const values = Array.from({ length: 40_000 * 5 }, (_, i) => (i * 7919) % 251);
  const bytes = idxBytes([40_000, 5], values);
  const dir = tempDir();
  const raw = join(dir, 'a-idx');
  const gz = join(dir, 'a-idx.gz');
  writeFileSync(raw, bytes);
  writeFileSync(gz, gzipSync(bytes));

  it('gives the one-shot decoder\'s array, plain and gzipped, over many 64 KB pieces', () => {
    const whole = parseIdx(bytes, 'a');
    for (const path of [raw, gz]) {
      const a = readIdx(path);
      expect(a.dims).toEqual(whole.dims);
      expect(Buffer.from(a.data).equals(Buffer.from(whole.data))).toBe(true);
      const first = readIdx(path, { limit: 30_000 });
      expect(Buffer.from(first.data).equals(Buffer.from(whole.data.subarray(0, 150_000)))).toBe(true);
    }
  });

  it('refuses truncated and overlong files, plain and gzipped, as FormatErrors', () => {
    const cutRaw = join(dir, 'cut-idx');
    writeFileSync(cutRaw, bytes.subarray(0, bytes.length - 3));
    expect(() => readIdx(cutRaw)).toThrow(`${cutRaw}: expected 200000 bytes of data (40000×5 unsigned bytes) after the 12-byte header, found 199997`);
    const cutGz = join(dir, 'cut-idx.gz');
    const zipped = gzipSync(bytes);
    writeFileSync(cutGz, zipped.subarray(0, zipped.length - 20));
    expect(() => readIdx(cutGz)).toThrow(FormatError);
    expect(() => readIdx(cutGz)).toThrow(`${cutGz}: expected a complete gzip stream, but it is truncated or corrupt (unexpected end of file)`);
    const longGz = join(dir, 'long-idx.gz');
    writeFileSync(longGz, gzipSync(Buffer.concat([bytes, Buffer.alloc(1 << 20)])));
    expect(() => readIdx(longGz)).toThrow(`${longGz}: the gzip stream holds more than the 200012 bytes the IDX header declares`);
  });

  it('refuses a small gzip file whose header declares more than it can inflate to, before anything is stored', () => {
    const path = join(dir, 'big-idx.gz');
    writeFileSync(path, gzipSync(idxBytes([1_000_000, 28, 28], [])));
    expect(() => readIdx(path)).toThrow(/big-idx\.gz: the IDX header declares 1000000×28×28 unsigned bytes, more than a gzip stream of this size can hold/);
  });
});

describe('loadMnist with alloc', () => {
  it('scales the pixels into the storage alloc gives, as the one-shot decoder reads them', () => {
    const dir = tempDir();
    const pixels = Array.from({ length: 6 * 4 * 4 }, (_, i) => (i * 13) % 256);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes([6, 4, 4], pixels)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([6], [0, 1, 2, 3, 4, 9]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([2, 4, 4], pixels.slice(0, 32)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([2], [5, 6])));
    const storage: Float32Array[] = [];
    const alloc = (n: number): Float32Array => storage[storage.push(new Float32Array(n)) - 1]!;
    const { train, test } = loadMnist({ dir, alloc, limit: { train: 5 } });
    expect(storage).toHaveLength(1);
    expect(train.x.data).toBe(storage[0]);
    expect(Array.from(train.x.data)).toEqual(pixels.slice(0, 5 * 16).map((p) => Math.fround(p / 255)));
    expect(Array.from(train.y.data)).toEqual([0, 1, 2, 3, 4].flatMap((label) => Array.from({ length: 10 }, (_, k) => (k === label ? 1 : 0))));
    expect(Array.from(test.x.data)).toEqual(pixels.slice(0, 32).map((p) => Math.fround(p / 255)));
    expect(Array.from(test.y.data)).toEqual([5, 6].flatMap((label) => Array.from({ length: 10 }, (_, k) => (k === label ? 1 : 0))));
    expect(train.name).toBe('mnist/train');
  });
});
