import { writeFileSync } from 'node:fs';
import { labelsOf, type Dataset } from '../src/data/dataset.js';
import { loadFashionMnist } from '../src/data/mnist-family.js';
import { toyDataset } from '../src/data/toy.js';
import { Random } from '../src/random.js';
import { Matrix } from '../src/tensor/matrix.js';
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

/** The bag-of-words set (see bagOfWords): 100 draws (with repeats: counts) per document, 4 of them from its topic on average. */
export const BAG_OF_WORDS = { train: 6000, test: 1000, words: 100, topical: 0.04, topicWords: 200, seed: 3 } as const;

/** Samples in each split of a set the Python child reads as raw floats (all but Fashion-MNIST). */
export function rawSizes(spec: NetSpec): { train: number; test: number } {
  if (spec.data === 'bag-of-words') return { train: BAG_OF_WORDS.train, test: BAG_OF_WORDS.test };
  return spec.data === 'synthetic' ? SYNTHETIC_SIZES : XOR_SIZES;
}

/**
 * The sweep's synthetic set: enough samples for several batches of the largest batch size, and a
 * small test split that only keeps the data's shape (the sweep neither tests nor infers).
 */
export const SYNTHETIC_SIZES = { train: 4096, test: 256 } as const;
const SYNTHETIC_SEEDS = { train: 3, test: 4 } as const;

/**
 * The data of a benchmark net; `limit` keeps only the first samples of each split (the quick run).
 * `alloc`: storage for Fashion-MNIST's training images (a runner's own memory, see CreateTrainer.prepare).
 */
export function loadBenchData(spec: NetSpec, limit: { train: number | null; test: number | null }, alloc?: (length: number) => Float32Array): BenchData {
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
      ? loadFashionMnist(alloc ? { alloc } : {})
      : spec.data === 'bag-of-words'
        ? bagOfWords(spec.sizes[0]!, outputs)
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

/**
 * Documents as word counts, about 1% of the 10,000 non-zero: each of BAG_OF_WORDS.words draws is,
 * with probability BAG_OF_WORDS.topical, a word of the document's topic (one of `classes` seeded
 * sets of BAG_OF_WORDS.topicWords words), else any word of the vocabulary. The label is a planted
 * linear rule of the counts: the class whose topic words the document uses most (ties: its own
 * topic), so a net can learn it and its test accuracy means something.
 */
function bagOfWords(vocabulary: number, classes: number): { train: Dataset; test: Dataset } {
  const rng = new Random(BAG_OF_WORDS.seed);
  const topics = Array.from({ length: classes }, () => Int32Array.from({ length: BAG_OF_WORDS.topicWords }, () => rng.int(vocabulary)));
  /** V_cw of the rule: how many times w is a word of topic c */
  const V = new Float32Array(classes * vocabulary);
  topics.forEach((t, c) => t.forEach((w) => V[c * vocabulary + w]!++));
  const make = (count: number): Dataset => {
    const x = new Float32Array(count * vocabulary);
    const y = new Float32Array(count * classes);
    const score = new Float64Array(classes);
    for (let s = 0; s < count; s++) {
      const topic = rng.int(classes);
      score.fill(0);
      for (let d = 0; d < BAG_OF_WORDS.words; d++) {
        const w = rng.uniform() < BAG_OF_WORDS.topical ? topics[topic]![rng.int(BAG_OF_WORDS.topicWords)]! : rng.int(vocabulary);
        x[s * vocabulary + w]! += 1;
        for (let c = 0; c < classes; c++) score[c]! += V[c * vocabulary + w]!;
      }
      let best = topic;
      for (let c = 0; c < classes; c++) if (score[c]! > score[best]!) best = c;
      y[s * classes + best] = 1;
    }
    return { name: 'bag-of-words', x: new Matrix(count, vocabulary, x), y: new Matrix(count, classes, y), task: 'classification' };
  };
  return { train: make(BAG_OF_WORDS.train), test: make(BAG_OF_WORDS.test) };
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
 * child, which cannot run our generators (XOR, bag-of-words, synthetic; it reads Fashion-MNIST's IDX files itself).
 */
export function writeRawData(path: string, data: BenchData): void {
  const parts = [data.train.x, data.train.y, data.test.x, data.test.y];
  writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}
