import { writeFileSync } from 'node:fs';
import { labelsOf, type Dataset } from '../src/data/dataset.js';
import { loadFashionMnist } from '../src/data/mnist-family.js';
import { toyDataset } from '../src/data/toy.js';
import type { NetSpec } from './nets.js';

/** One split, row-major: sample i is x[i·inputs .. (i+1)·inputs). */
export interface Split {
  count: number;
  /** count × inputs */
  x: Float32Array;
  /** count × outputs: one-hot rows, or the 0/1 target of a one-output net */
  y: Float32Array;
  /** the class of each sample */
  labels: Int32Array;
}

export interface BenchData {
  inputs: number;
  outputs: number;
  train: Split;
  test: Split;
}

/** Fashion-MNIST's standard training split (the Python child checks it against the files). */
export const FASHION_MNIST_TRAIN = 60000;

/** The tiny net's XOR set: large enough that an epoch is thousands of steps. */
export const XOR_SIZES = { train: 8000, test: 2000 } as const;
const XOR_SEEDS = { train: 1, test: 2 } as const;

/** The data of a benchmark net; `limit` keeps only the first samples of each split (the quick run). */
export function loadBenchData(spec: NetSpec, limit: { train: number | null; test: number | null }): BenchData {
  const outputs = spec.sizes[spec.sizes.length - 1]!;
  const sets =
    spec.data === 'fashion-mnist'
      ? loadFashionMnist()
      : {
          train: toyDataset('xor', { samples: XOR_SIZES.train, seed: XOR_SEEDS.train }),
          test: toyDataset('xor', { samples: XOR_SIZES.test, seed: XOR_SEEDS.test }),
        };
  return {
    inputs: spec.sizes[0]!,
    outputs,
    train: split(sets.train, outputs, limit.train),
    test: split(sets.test, outputs, limit.test),
  };
}

function split(ds: Dataset, outputs: number, limit: number | null): Split {
  const count = limit === null ? ds.x.rows : Math.min(limit, ds.x.rows);
  const labels = Int32Array.from(labelsOf(ds).subarray(0, count));
  // A one-output net learns the class (0 or 1) itself; otherwise the targets are the one-hot rows.
  const y = outputs === 1 ? Float32Array.from(labels) : (ds.y.data as Float32Array).subarray(0, count * outputs);
  return { count, x: (ds.x.data as Float32Array).subarray(0, count * ds.x.cols), y, labels };
}

/**
 * Writes a data set as raw little-endian float32: train x, train y, test x, test y, for the Python
 * child, which cannot run our XOR generator (it reads Fashion-MNIST's IDX files itself).
 */
export function writeRawData(path: string, data: BenchData): void {
  const parts = [data.train.x, data.train.y, data.test.x, data.test.y];
  writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}
