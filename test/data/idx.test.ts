import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx, readIdx } from '../../src/data/idx.js';
import { DataError, FormatError } from '../../src/errors.js';
import { idxBytes, tempDir } from './fixtures.js';

describe('parseIdx', () => {
  const bytes = idxBytes([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);

  it('reads dimensions and values', () => {
    const a = parseIdx(bytes, 'images');
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it('reads gzipped bytes the same as plain ones', () => {
    const a = parseIdx(gzipSync(bytes), 'images.gz');
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(parseIdx(bytes, 'images').data));
  });

  it('rejects truncated data, naming the file and the expected length', () => {
    const cut = bytes.subarray(0, bytes.length - 2);
    expect(() => parseIdx(cut, 'train-images-idx3-ubyte')).toThrow(FormatError);
    expect(() => parseIdx(cut, 'train-images-idx3-ubyte')).toThrow(
      'train-images-idx3-ubyte: expected 12 bytes of data (2×2×3 unsigned bytes) after the 16-byte header, found 10',
    );
  });

  it('rejects trailing bytes after the data', () => {
    expect(() => parseIdx(Buffer.concat([bytes, Buffer.from([7])]), 'f')).toThrow('expected 12 bytes of data (2×2×3 unsigned bytes) after the 16-byte header, found 13');
  });

  it('rejects a truncated gzip stream', () => {
    const gz = gzipSync(bytes);
    expect(() => parseIdx(gz.subarray(0, gz.length - 10), 'x.gz')).toThrow(/x\.gz: expected a complete gzip stream, but it is truncated or corrupt/);
  });

  it('rejects a wrong magic number', () => {
    const bad = Uint8Array.from(bytes);
    bad[0] = 0x50;
    expect(() => parseIdx(bad, 'f')).toThrow('f: not an IDX file: expected the magic number to start with bytes 00 00, found 0x50 0x00');
  });

  it('rejects data types other than unsigned bytes, naming the type', () => {
    expect(() => parseIdx(idxBytes([1], [0, 0, 0, 0], 0x0d), 'f')).toThrow('f: IDX data type 0x0d (float32) is not supported; expected 0x08 (unsigned byte)');
  });

  it('rejects a header shorter than its dimensions need', () => {
    expect(() => parseIdx(bytes.subarray(0, 10), 'f')).toThrow('f: expected a 16-byte IDX header (3 dimensions), found 10 bytes');
    expect(() => parseIdx(bytes.subarray(0, 3), 'f')).toThrow('f: expected an IDX header of at least 4 bytes, found 3 bytes');
  });
});

describe('readIdx', () => {
  it('reads plain and gzipped files', () => {
    const dir = tempDir();
    const bytes = idxBytes([3], [7, 8, 9]);
    writeFileSync(join(dir, 'labels'), bytes);
    writeFileSync(join(dir, 'labels.gz'), gzipSync(bytes));
    expect(Array.from(readIdx(join(dir, 'labels')).data)).toEqual([7, 8, 9]);
    expect(Array.from(readIdx(join(dir, 'labels.gz')).data)).toEqual([7, 8, 9]);
  });

  it('names a missing file', () => {
    const path = join(tmpdir(), 'backprop-no-such-file-idx1-ubyte');
    expect(() => readIdx(path)).toThrow(DataError);
    expect(() => readIdx(path)).toThrow(`${path}: no such file`);
  });
});
