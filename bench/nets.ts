import type { Schedule } from '../src/train/schedule.js';
import type { NetName, SweepNetName } from './protocol.js';

/** One benchmark network, described once so that every library builds exactly the same thing. */
export interface NetSpec {
  name: NetName | SweepNetName;
  /** Layer sizes, input first: [784, 30, 10] */
  sizes: readonly number[];
  hidden: 'sigmoid' | 'tanh' | 'relu';
  /** sigmoid output with MSE, or softmax output with cross-entropy (peers fuse softmax into the loss) */
  output: 'sigmoid' | 'softmax';
  loss: 'mse' | 'cross-entropy';
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  batchSize: number;
  /** 'synthetic': seeded uniform inputs and random classes (data.ts), for the sweep, which times speed only */
  data: 'xor' | 'fashion-mnist' | 'bag-of-words' | 'synthetic';
  description: string;
  /** The training toolkit switched on (absent: a plain net, trained with none of it). */
  toolkit?: Toolkit;
}

/** What a toolkit net adds to its base net; every library builds it from these fields. */
export interface Toolkit {
  /** Dropout rate p of each hidden layer's outputs while training (inverted dropout), hidden layers in order. */
  dropout: readonly number[];
  /** Decoupled weight decay λ: W ← W − η·λ·W before each update, on the weights only (AdamW with Adam). */
  weightDecay: number;
  /** η per epoch of the accuracy run, as `fit`'s `schedule` computes it; the throughput segments run at η₀. */
  schedule: Extract<Schedule, { kind: 'cosine' }> & { minLearningRate: number; warmupEpochs: number };
}

const MODERN: NetSpec = {
  name: 'modern',
  sizes: [784, 256, 128, 10],
  hidden: 'relu',
  output: 'softmax',
  loss: 'cross-entropy',
  optimizer: 'adam',
  learningRate: 1e-3,
  batchSize: 128,
  data: 'fashion-mnist',
  description: '784-256-128-10 ReLU, softmax cross-entropy, Adam 1e-3, batch 128, Fashion-MNIST',
};

/** A base net with the toolkit on: same layers, data, optimizer constants and initial weights. */
function withToolkit(base: NetSpec, name: NetName, toolkit: Toolkit): NetSpec {
  if (toolkit.dropout.length !== layerCount(base) - 1) throw new Error(`${name}: one dropout rate per hidden layer (${layerCount(base) - 1})`);
  const { schedule } = toolkit;
  const warmup = schedule.warmupEpochs ? ` after ${schedule.warmupEpochs} warm-up epoch(s)` : '';
  return {
    ...base,
    name,
    description:
      `${base.description}; dropout ${toolkit.dropout.join(', ')}, decoupled weight decay ${toolkit.weightDecay}, ` +
      `cosine η → ${schedule.minLearningRate} per epoch${warmup}`,
    toolkit,
  };
}

export const NET_SPECS: Readonly<Record<NetName, NetSpec>> = {
  // Per-call overhead dominates: a step is a few hundred flops.
  tiny: {
    name: 'tiny',
    sizes: [2, 8, 1],
    hidden: 'tanh',
    output: 'sigmoid',
    loss: 'mse',
    optimizer: 'sgd',
    learningRate: 0.5,
    batchSize: 4,
    data: 'xor',
    description: '2-8-1 tanh/sigmoid, MSE, SGD η=0.5, batch 4, XOR points',
  },
  // The textbook network (Nielsen, ch. 1) on Fashion-MNIST.
  seed: {
    name: 'seed',
    sizes: [784, 30, 10],
    hidden: 'sigmoid',
    output: 'sigmoid',
    loss: 'mse',
    optimizer: 'sgd',
    learningRate: 3.0,
    batchSize: 10,
    data: 'fashion-mnist',
    description: '784-30-10 sigmoid, MSE, SGD η=3.0, batch 10, Fashion-MNIST',
  },
  modern: MODERN,
  // A mostly-zero input: 10,000 word counts, 1% of them non-zero (bench/data.ts bagOfWords); the modern recipe otherwise.
  'bag-of-words': {
    ...MODERN,
    name: 'bag-of-words',
    sizes: [10000, 128, 10],
    data: 'bag-of-words',
    description: '10000-128-10 ReLU, softmax cross-entropy, Adam 1e-3, batch 128, seeded bag of words (1% non-zero)',
  },
  // The modern net with the training toolkit on: what dropout, AdamW and a schedule cost per step.
  'modern-toolkit': withToolkit(MODERN, 'modern-toolkit', {
    dropout: [0.2, 0.2],
    weightDecay: 1e-4,
    schedule: { kind: 'cosine', minLearningRate: 1e-5, warmupEpochs: 0 },
  }),
};

/** Adam's constants, the same in every library (the usual defaults). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Number of (weight, bias) layers. */
export function layerCount(spec: NetSpec): number {
  return spec.sizes.length - 1;
}

/** The dropout rate of layer l (0-based) while training; the output layer never drops. */
export function dropoutOf(spec: NetSpec, l: number): number {
  return spec.toolkit?.dropout[l] ?? 0;
}

/** The activation of layer l (0-based). */
export function activationOf(spec: NetSpec, l: number): NetSpec['hidden'] | NetSpec['output'] {
  return l === layerCount(spec) - 1 ? spec.output : spec.hidden;
}
