import { writeFileSync } from 'node:fs';
import { labelsOf, type Dataset } from '../src/data/dataset.js';
import { loadFashionMnist } from '../src/data/mnist-family.js';
import { toyDataset } from '../src/data/toy.js';
import { Random } from '../src/random.js';
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

/**
 * The sweep's synthetic set: enough samples for several batches of the largest batch size, and a
 * small test split that only keeps the data's shape (the sweep neither tests nor infers).
 */
export const SYNTHETIC_SIZES = { train: 4096, test: 256 } as const;
const SYNTHETIC_SEEDS = { train: 3, test: 4 } as const;

/** The data of a benchmark net; `limit` keeps only the first samples of each split (the quick run). */
export function loadBenchData(spec: NetSpec, limit: { train: number | null; test: number | null }): BenchData {
  const outputs = spec.sizes[spec.sizes.length - 1]!;
  // (the synthetic set is small already: `limit` leaves it whole)
  if (spec.data === 'synthetic') {
    const inputs = spec.sizes[0]!;
    return {
      inputs,
      outputs,
      train: syntheticSplit(inputs, outputs, SYNTHETIC_SIZES.train, SYNTHETIC_SEEDS.train),
      test: syntheticSplit(inputs, outputs, SYNTHETIC_SIZES.test, SYNTHETIC_SEEDS.test),
    };
  }
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
 * Seeded inputs uniform in [0, 1) and a uniformly drawn class per sample (one-hot targets). No
 * input is exactly 0, so every library does the dense work the sweep's flop count assumes.
 */
function syntheticSplit(inputs: number, outputs: number, count: number, seed: number): Split {
  const random = new Random(seed);
  const x = new Float32Array(count * inputs);
  for (let i = 0; i < x.length; i++) x[i] = random.uniform() || 0.5; // (0 itself would be an exact zero)
  const labels = new Int32Array(count);
  const y = new Float32Array(count * outputs);
  for (let i = 0; i < count; i++) {
    labels[i] = random.int(outputs);
    y[i * outputs + labels[i]!] = 1;
  }
  return { count, x, y, labels };
}

/**
 * Writes a data set as raw little-endian float32: train x, train y, test x, test y, for the Python
 * child, which cannot run our generators (XOR, synthetic; it reads Fashion-MNIST's IDX files itself).
 */
export function writeRawData(path: string, data: BenchData): void {
  const parts = [data.train.x, data.train.y, data.test.x, data.test.y];
  writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}
