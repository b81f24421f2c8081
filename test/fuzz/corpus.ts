/**
 * The valid files the fuzzer starts from: model files, checkpoints, IDX arrays and CSV files, all
 * small and built the same way on every run.
 */
import { gzipSync } from 'node:zlib';
import { adam, momentum, network, sgd, type Optimizer } from '../../src/index.js';
import { checkpointToBytes, modelToBytes } from '../../src/io/model-file.js';

export const KINDS = ['model', 'checkpoint', 'idx', 'csv'] as const;
export type Kind = (typeof KINDS)[number];

export interface Seed {
  kind: Kind;
  label: string;
  bytes: Uint8Array;
}

function models(): Seed[] {
  const softmax = network([3, { units: 5, activation: 'relu' }, { units: 4, activation: 'softmax' }], { loss: 'cross-entropy', seed: 3, init: 'normal' });
  const sigmoid = network([2, { units: 1, activation: 'sigmoid' }], { loss: 'binary-cross-entropy', seed: 5, init: 'normal' });
  const regression = network([4, { units: 3, activation: 'leaky-relu', alpha: 0.2 }, { units: 2, activation: 'tanh' }, { units: 1, activation: 'linear' }], { seed: 7, init: 'normal' });
  const double = network([2, { units: 3, activation: 'sigmoid' }, { units: 2, activation: 'linear' }], { seed: 9, dtype: 'float64', init: 'normal' });
  const toolkit = network(
    [3, { units: 4, activation: 'gelu', dropout: 0.25, l2: 0.01 }, { units: 3, activation: 'elu', l1: 0.001 }, { units: 2, activation: 'softmax' }],
    { loss: 'cross-entropy', seed: 13, init: 'normal' },
  );
  return [
    {
      kind: 'model',
      label: 'softmax-standardize',
      bytes: modelToBytes(softmax, {
        preprocessing: { kind: 'standardize', mean: [0.5, -1, 2], std: [1, 0.5, 0] },
        classNames: ['a', 'b', 'c', 'd'],
        task: 'classification',
        createdAt: '2026-01-01T00:00:00.000Z',
      }),
    },
    { kind: 'model', label: 'sigmoid-two-class', bytes: modelToBytes(sigmoid, { classNames: ['no', 'yes'], task: 'classification', createdAt: '2026-01-01T00:00:00.000Z' }) },
    {
      kind: 'model',
      label: 'regression-scale',
      bytes: modelToBytes(regression, { preprocessing: { kind: 'scale', min: [0, 0, -1, 5], max: [1, 10, 1, 5] }, task: 'regression', createdAt: '2026-01-01T00:00:00.000Z', extra: { note: 'x' } }),
    },
    { kind: 'model', label: 'float64', bytes: modelToBytes(double, { createdAt: '2026-01-01T00:00:00.000Z' }) },
    { kind: 'model', label: 'gelu-elu-dropout-l1-l2', bytes: modelToBytes(toolkit, { classNames: ['u', 'v'], task: 'classification', createdAt: '2026-01-01T00:00:00.000Z' }) },
  ];
}

async function checkpoints(): Promise<Seed[]> {
  const x = [
    [0, 1, 2],
    [1, 0, -1],
    [2, 2, 0],
    [-1, 0.5, 1],
  ];
  const make = () => network([3, { units: 4, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 11, init: 'normal' });
  const out: Seed[] = [];
  const optimizers: [string, Optimizer][] = [
    ['sgd', sgd({ learningRate: 0.1 })],
    ['momentum', momentum({ learningRate: 0.05, momentum: 0.9 })],
    ['adam', adam({ learningRate: 0.01 })],
  ];
  for (const [label, opt] of optimizers) {
    const net = make();
    await net.fit(x, [0, 1, 1, 0], { epochs: 2, batchSize: 2, optimizer: opt, seed: 3 });
    out.push({ kind: 'checkpoint', label, bytes: checkpointToBytes(net, { task: 'classification', classNames: ['p', 'q'], createdAt: '2026-01-01T00:00:00.000Z' }, { optimizer: opt, epoch: 2, fitSeed: 3, extra: { batchSize: 2 } }) });
  }
  // a run with early stopping: the checkpoint also holds the training state and the best weights
  const net = make();
  const opt = adam({ learningRate: 0.01 });
  let bytes: Uint8Array | undefined;
  await net.fit([...x, ...x], [0, 1, 1, 0, 0, 1, 1, 0], {
    epochs: 2,
    batchSize: 2,
    optimizer: opt,
    seed: 3,
    validationSplit: 0.25,
    earlyStopping: { patience: 5 },
    onEpochEnd: (logs, state) => {
      bytes = checkpointToBytes(net, { createdAt: '2026-01-01T00:00:00.000Z' }, { optimizer: opt, epoch: logs.epoch + 1, fitSeed: 3, state });
    },
  });
  out.push({ kind: 'checkpoint', label: 'early-stopping', bytes: bytes! });
  return out;
}

/** The bytes of an IDX file of unsigned bytes. */
export function idxBytes(dims: number[], values: ArrayLike<number>): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([header, Buffer.from(Array.from(values))]));
}

function idx(): Seed[] {
  const images = idxBytes([5, 4, 4], Array.from({ length: 80 }, (_, i) => (i * 37) % 256));
  const labels = idxBytes([5], [3, 1, 4, 1, 5]);
  return [
    { kind: 'idx', label: 'images', bytes: images },
    { kind: 'idx', label: 'images.gz', bytes: new Uint8Array(gzipSync(images)) },
    { kind: 'idx', label: 'labels', bytes: labels },
    { kind: 'idx', label: 'labels.gz', bytes: new Uint8Array(gzipSync(labels)) },
  ];
}

function csv(): Seed[] {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  return [
    { kind: 'csv', label: 'classes-header', bytes: text('width,height,kind\n1.5,2,rose\n3,-4e2,tulip\n0.25,7,rose\n.5,1e3,tulip\n') },
    { kind: 'csv', label: 'regression', bytes: text('a,b,target\n1,2,3.5\n2,3,5.25\n-1,0,-0.5\n') },
    { kind: 'csv', label: 'no-header', bytes: text('0,0,0\n0,1,1\n1,0,1\n1,1,0\n') },
    { kind: 'csv', label: 'quoted-crlf', bytes: text('"x","y","label"\r\n"1","2","a b"\r\n3,4,"c,d"\r\n') },
  ];
}

/** Every seed, grouped by kind. */
export async function corpus(): Promise<Record<Kind, Seed[]>> {
  return { model: models(), checkpoint: await checkpoints(), idx: idx(), csv: csv() };
}
