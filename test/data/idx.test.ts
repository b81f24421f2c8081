import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx, readIdx } from '../../src/data/idx.js';
import { readCsvDataset } from '../../src/data/csv.js';
import { DataError, FormatError, PathError } from '../../src/errors.js';
import { peakExtraMemory } from '../support/memory.js';
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

describe('bounded decompression: the header and the limit bound what is decompressed', () => {
  const MB = 1024 * 1024;
  /** A gzip stream of an IDX header declaring `declared` 28×28 images, then `images` blank ones (many gzip members of 1 MB of zeros: small to store, large to inflate). */
  function bomb(declared: number, images: number): Uint8Array {
    const header = idxBytes([declared, 28, 28], []);
    const zeros = gzipSync(Buffer.alloc(MB));
    const bytes = images * 784;
    const members = [gzipSync(header), ...Array.from({ length: Math.floor(bytes / MB) }, () => zeros), gzipSync(Buffer.alloc(bytes % MB))];
    return Buffer.concat(members);
  }

  it('a 1 MB gzip declaring 10^6 images and holding them: --limit 100 decompresses 100 images, not 784 MB', () => {
    const bytes = bomb(1e6, 1e6);
    expect(bytes.length).toBeLessThan(1.5 * MB);
    let a: ReturnType<typeof parseIdx> | undefined;
    const extra = peakExtraMemory(() => (a = parseIdx(bytes, 'train.gz', { limit: 100 })));
    expect(a!.dims).toEqual([100, 28, 28]);
    expect(a!.data.length).toBe(78_400);
    expect(extra).toBeLessThan(64 * MB);
  });

  it('a stream longer than its header declares is refused after the declared bytes, not inflated to the end', () => {
    const bytes = bomb(3, 300_000);
    let error: unknown;
    const extra = peakExtraMemory(() => {
      try {
        parseIdx(bytes, 'x.gz');
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toBe('x.gz: the gzip stream holds more than the 2368 bytes the IDX header declares');
    expect(extra).toBeLessThan(64 * MB);
  });

  it('a stream shorter than its header declares is refused, with or without a limit that reaches past it', () => {
    const bytes = bomb(1e6, 3);
    expect(() => parseIdx(bytes, 's.gz')).toThrow('s.gz: expected 784000000 bytes of data (1000000×28×28 unsigned bytes) after the 16-byte header, found 2352');
    expect(() => parseIdx(bytes, 's.gz', { limit: 5 })).toThrow('s.gz: expected at least 3920 bytes of data (the first 5 of 1000000×28×28 unsigned bytes) after the 16-byte header, found 2352');
    expect(parseIdx(bytes, 's.gz', { limit: 3 }).dims).toEqual([3, 28, 28]);
  });

  it('a header declaring more than MAX_IDX_BYTES is refused before anything is decompressed', () => {
    expect(() => parseIdx(gzipSync(idxBytes([2 ** 32 - 1, 2 ** 32 - 1], [])), 'h.gz')).toThrow(/h\.gz: the IDX header declares 4294967295×4294967295 = .* bytes of data, more than the 2147483648 this loader reads \(MAX_IDX_BYTES\)/);
    expect(() => parseIdx(idxBytes([60_000, 1024, 1024], []), 'h')).toThrow(FormatError);
  });

  it('with a limit, uncompressed files give the first items too', () => {
    const a = parseIdx(idxBytes([3, 2], [1, 2, 3, 4, 5, 6]), 'f', { limit: 2 });
    expect(a.dims).toEqual([2, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
  });
});

describe('files that are not regular files', () => {
  it('a device or a FIFO given as a data file is refused before it is opened (no endless read, no hang)', () => {
    expect(() => readIdx('/dev/zero')).toThrow(new PathError('cannot read /dev/zero: it is not a regular file (a device, FIFO or socket)'));
    const fifo = join(tempDir(), 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    expect(() => readCsvDataset(fifo)).toThrow(`cannot read ${fifo}: it is not a regular file`);
  });
});
