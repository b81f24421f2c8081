/**
 * The training toolkit in model files and checkpoints: layer fields (dropout, l1, l2, elu's α),
 * custom activations stored by name, the `training` record, and checkpoints that resume a run with
 * a schedule, early stopping, dropout, weight decay, rmsprop, Nesterov or clipping bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { FormatError, network, OptionError, optimizer as optimizerById, type FitOptions, type History, type Network, type Optimizer } from '../../src/index.js';
import {
  checkpointFromBytes,
  checkpointToBytes,
  modelFromBytes,
  modelToBytes,
  optimizerSettings,
  resumeOptions,
  type LoadedCheckpoint,
  type TrainingConfig,
} from '../../src/io/model-file.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import type { DenseSpec } from '../../src/nn/dense.js';
import { bits, randomBatch, rewrite } from './helpers.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const mish = { f: (z: number) => z * Math.tanh(Math.log1p(Math.exp(z))), df: (z: number) => 1 / (1 + Math.exp(-z)) };

describe('layer fields and custom activations in model files', () => {
  it('dropout, l1, l2 and elu/gelu/softplus/silu round-trip, predictions bit for bit', () => {
    const net = network(
      [4, { units: 6, activation: 'elu', alpha: 0.7, dropout: 0.25, l2: 0.01 }, { units: 5, activation: 'gelu', l1: 0.002 }, { units: 4, activation: 'softplus', dropout: 0.1 }, { units: 3, activation: 'swish' }, { units: 2, activation: 'softmax' }],
      { seed: 3, init: 'normal', loss: 'cross-entropy' },
    );
    const { network: back, info } = modelFromBytes(modelToBytes(net), 'm');
    expect(info.layers).toEqual([
      { units: 6, activation: 'elu', alpha: 0.7, dropout: 0.25, l2: 0.01 },
      { units: 5, activation: 'gelu', l1: 0.002 },
      { units: 4, activation: 'softplus', dropout: 0.1 },
      { units: 3, activation: 'silu' },
      { units: 2, activation: 'softmax' },
    ]);
    expect(back.specs).toEqual(net.specs);
    const x = randomBatch(9, 4);
    expect(bits(back.predict(x).data)).toEqual(bits(net.predict(x).data));
  });

  it('a custom activation is stored by name and needs its functions on load', () => {
    const net = network([3, { units: 4, activation: { name: 'mish', ...mish } }, { units: 1, activation: 'sigmoid' }], { seed: 2, init: 'normal' });
    const bytes = modelToBytes(net);
    const stored = JSON.parse(decodeSafetensors(bytes).metadata['backprop']!) as { layers: DenseSpec[] };
    expect(stored.layers[0]).toEqual({ units: 4, activation: 'mish' });
    const e = thrown(() => modelFromBytes(bytes, 'mish.safetensors'));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^mish\.safetensors: the "backprop" metadata layer 1 has activation "mish"; valid: sigmoid, .*, or a custom activation whose functions are given on load: customActivations: \{"mish": \{f, df\}\}$/);
    const back = modelFromBytes(bytes, 'mish.safetensors', { customActivations: { mish } }).network;
    expect(back.layers[0]!.act.id).toBe('mish');
    const x = randomBatch(5, 3);
    expect(bits(back.predict(x).data)).toEqual(bits(net.predict(x).data));
    // the caller's option, not the file, is wrong: an OptionError
    expect(thrown(() => modelFromBytes(bytes, 'm', { customActivations: { mish: { f: mish.f } as never } }))).toBeInstanceOf(OptionError);
    // a built-in name stays the built-in even if customActivations names it
    const relu = network([2, { units: 2, activation: 'relu' }], { seed: 1 });
    expect(modelFromBytes(modelToBytes(relu), 'r', { customActivations: { relu: mish } }).network.layers[0]!.act).not.toHaveProperty('custom');
  });

  it('bad layer fields are refused by name', () => {
    const good = modelToBytes(network([2, { units: 3, activation: 'relu', dropout: 0.5 }, { units: 1 }], { seed: 1 }));
    const edit = (f: (layer: Record<string, unknown>) => void) =>
      rewrite(good, (_, m) => {
        const o = JSON.parse(m['backprop']!) as { layers: Record<string, unknown>[] };
        f(o.layers[0]!);
        m['backprop'] = JSON.stringify(o);
      });
    for (const [change, message] of [
      [(l: Record<string, unknown>) => (l['dropout'] = 1), /layer 1 has dropout 1; expected a rate in \[0, 1\)/],
      [(l: Record<string, unknown>) => (l['dropout'] = '0.2'), /layer 1 has dropout "0.2"; expected a finite number/],
      [(l: Record<string, unknown>) => (l['l2'] = -0.1), /layer 1 has l2 -0.1; expected a number ≥ 0/],
      [(l: Record<string, unknown>) => (l['l1'] = null), /layer 1 has l1 null; expected a finite number/],
      [(l: Record<string, unknown>) => (l['activation'] = 7), /layer 1 has activation 7; valid: sigmoid, .*swish$/],
    ] as const) {
      const e = thrown(() => modelFromBytes(edit(change), 'f'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
    }
  });
});

const TRAINING: TrainingConfig = {
  optimizer: { id: 'momentum', learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 },
  batchSize: 16,
  epochs: 30,
  schedule: { kind: 'cosine', minLearningRate: 1e-4, warmupEpochs: 2 },
  earlyStopping: { monitor: 'valAccuracy', patience: 4, restoreBest: true },
  clipNorm: 1,
  clipValue: 0.5,
};

describe('the training record', () => {
  const net = network([2, { units: 3 }, { units: 1 }], { seed: 1 });

  it('is stored in the backprop metadata as given and read back', () => {
    const bytes = modelToBytes(net, { training: TRAINING });
    expect((JSON.parse(decodeSafetensors(bytes).metadata['backprop']!) as { training: unknown }).training).toEqual(TRAINING);
    expect(modelFromBytes(bytes).info.training).toEqual(TRAINING);
    expect(modelFromBytes(modelToBytes(net)).info.training).toBeUndefined();
  });

  it('is checked on save and on load, naming the bad field', () => {
    const cases: [Partial<TrainingConfig> | Record<string, unknown>, RegExp][] = [
      [{ optimizer: { id: 'adagrad', learningRate: 0.1 } }, /optimizer id "adagrad"; valid: sgd, momentum, adam, rmsprop/],
      [{ optimizer: { id: 'rmsprop', learningRate: 0.1, rho: 1 } }, /invalid optimizer: rho must be in \[0, 1\)/],
      [{ optimizer: { id: 'momentum', learningRate: 0.1, nesterov: 'yes' } }, /nesterov = "yes"; expected true or false/],
      [{ batchSize: 0 }, /batchSize 0; expected an integer ≥ 1/],
      [{ clipNorm: -1 }, /clipNorm -1; expected a finite number > 0/],
      [{ schedule: { kind: 'step', every: 0, factor: 0.5 } }, /invalid schedule: schedule every must be an integer ≥ 1/],
      [{ earlyStopping: { patience: 2, monitor: 'valF1' } }, /invalid earlyStopping: unknown earlyStopping monitor "valF1"/],
    ];
    for (const [change, message] of cases) {
      const training = { ...TRAINING, ...change } as TrainingConfig;
      const onSave = thrown(() => modelToBytes(net, { training }));
      expect(onSave).toBeInstanceOf(OptionError);
      expect(onSave.message).toMatch(/^training record /);
      expect(onSave.message).toMatch(message);
      const bad = rewrite(modelToBytes(net, { training: TRAINING }), (_, m) => {
        const o = JSON.parse(m['backprop']!) as Record<string, unknown>;
        o['training'] = training;
        m['backprop'] = JSON.stringify(o);
      });
      const onLoad = thrown(() => modelFromBytes(bad, 'f'));
      expect(onLoad).toBeInstanceOf(FormatError);
      expect(onLoad.message).toMatch(/^f: the "backprop" metadata has a "training" record that /);
      expect(onLoad.message).toMatch(message);
    }
  });
});

/** Two noisy classes in 3 features, and a validation set from the same rule. */
function data(n: number, seed: number): { x: number[][]; y: number[] } {
  const m = randomBatch(n, 3, seed);
  const x = Array.from({ length: n }, (_, i) => Array.from(m.row(i)));
  const y = x.map(([a, b, c], i) => (a! + b! * c! + (i % 7 === 0 ? 2 : 0) > 0 ? 1 : 0));
  return { x, y };
}
const train = data(48, 11);
const val = data(24, 12);

interface ResumeCase {
  label: string;
  layers: DenseSpec[];
  optimizer: () => Optimizer;
  training: Omit<TrainingConfig, 'optimizer' | 'epochs' | 'batchSize'>;
  /** What the checkpoint must hold for the run to continue exactly: the same resume without it ends elsewhere. */
  without(c: LoadedCheckpoint): { net: Network; options: FitOptions };
  /** A property of the uninterrupted run that makes the case meaningful (e.g. the plateau cut η before the checkpoint). */
  check?(h: History): void;
}

const EPOCHS = 8;
const AT = 4; // checkpoint after 4 epochs
const hidden = (extra: Partial<DenseSpec> = {}): DenseSpec[] => [{ units: 6, activation: 'tanh', ...extra }, { units: 2, activation: 'softmax' }];
/** The checkpoint's optimizer rebuilt with one hyper-parameter changed, holding the same state. */
const changedOptimizer = (c: LoadedCheckpoint, change: Record<string, unknown>): Optimizer => {
  const { id, t: _t, ...hyper } = c.optimizerConfig;
  const o = optimizerById(id, { ...hyper, ...change });
  o.loadState(c.optimizer.state());
  return o;
};

const CASES: ResumeCase[] = [
  {
    label: 'cosine schedule with warm-up',
    layers: hidden(),
    optimizer: () => optimizerById('adam', { learningRate: 0.02 }),
    training: { schedule: { kind: 'cosine', minLearningRate: 1e-3, warmupEpochs: 2 } },
    // without the state the schedule would restart from the checkpoint's current rate, not η₀
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), state: undefined } }),
  },
  {
    label: 'plateau schedule (rate cut before the checkpoint, a wait pending)',
    layers: hidden(),
    optimizer: () => optimizerById('sgd', { learningRate: 2 }),
    training: { schedule: { kind: 'plateau', patience: 2, factor: 0.5, monitor: 'valLoss', minDelta: 10 } },
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), state: undefined } }),
    check: (h) => expect(h.epochs[AT - 1]!.learningRate).toBeLessThan(h.epochs[0]!.learningRate),
  },
  {
    label: 'early stopping with restoreBest (best epoch before the checkpoint)',
    layers: hidden(),
    optimizer: () => optimizerById('adam', { learningRate: 0.05 }),
    // minDelta 10: no later epoch beats epoch 0, so its weights (kept in the checkpoint) come back
    training: { earlyStopping: { monitor: 'valLoss', patience: 5, minDelta: 10, restoreBest: true } },
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), state: undefined } }),
    check: (h) => {
      expect(h.bestEpoch).toBe(0);
      expect(h.stoppedEpoch).toBe(5);
      expect(h.restoredBest).toBe(true);
    },
  },
  {
    label: 'dropout and l2',
    layers: hidden({ dropout: 0.3, l2: 0.01 }),
    optimizer: () => optimizerById('adam', { learningRate: 0.02 }),
    training: {},
    without: (c) => {
      const net = network([3, ...c.network.specs.map((s) => ({ ...s, dropout: 0 }))], { seed: c.network.seed, loss: 'cross-entropy' });
      net.copyWeightsFrom(c.network);
      return { net, options: resumeOptions(c) };
    },
  },
  {
    label: 'decoupled weight decay (AdamW)',
    layers: hidden(),
    optimizer: () => optimizerById('adam', { learningRate: 0.02, weightDecay: 0.05 }),
    training: {},
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), optimizer: changedOptimizer(c, { weightDecay: 0 }) } }),
  },
  {
    label: 'rmsprop',
    layers: hidden(),
    optimizer: () => optimizerById('rmsprop', { learningRate: 0.01, rho: 0.7, epsilon: 1e-6 }),
    training: {},
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), optimizer: changedOptimizer(c, { rho: 0.9 }) } }),
  },
  {
    label: 'Nesterov momentum',
    layers: hidden(),
    optimizer: () => optimizerById('momentum', { learningRate: 0.05, momentum: 0.9, nesterov: true }),
    training: {},
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), optimizer: changedOptimizer(c, { nesterov: false }) } }),
  },
  {
    label: 'clipNorm and clipValue',
    layers: hidden(),
    optimizer: () => optimizerById('sgd', { learningRate: 0.5 }),
    training: { clipNorm: 0.05, clipValue: 0.02 },
    without: (c) => ({ net: c.network, options: { ...resumeOptions(c), clipNorm: undefined } }),
  },
];

describe('checkpoints resume the toolkit bit for bit', () => {
  for (const k of CASES) {
    it(`${k.label}: ${AT} epochs + checkpoint + resumed = ${EPOCHS} uninterrupted epochs`, async () => {
      const make = () => network([3, ...k.layers], { seed: 5, loss: 'cross-entropy' });
      const opt = k.optimizer();
      const training: TrainingConfig = { optimizer: optimizerSettings(opt), epochs: EPOCHS, batchSize: 8, ...k.training };
      const fitSeed = 99;
      const full = make();
      let checkpoint: Uint8Array | undefined;
      const history = await full.fit(train.x, train.y, {
        epochs: EPOCHS,
        batchSize: 8,
        seed: fitSeed,
        optimizer: opt,
        validationData: [val.x, val.y],
        ...k.training,
        onEpochEnd: (logs, state) => {
          if (logs.epoch === AT - 1) checkpoint = checkpointToBytes(full, { training }, { optimizer: opt, epoch: AT, fitSeed, state });
        },
      });
      k.check?.(history);

      const c = checkpointFromBytes(checkpoint!, 'ckpt');
      const resumed = await c.network.fit(train.x, train.y, { ...resumeOptions(c), validationData: [val.x, val.y] });
      c.network.layers.forEach((l, i) => {
        expect(bits(l.W)).toEqual(bits(full.layers[i]!.W));
        expect(bits(l.b)).toEqual(bits(full.layers[i]!.b));
      });
      expect(resumed.epochs.map((e) => [e.epoch, e.learningRate, e.loss, e.valLoss])).toEqual(history.epochs.slice(AT).map((e) => [e.epoch, e.learningRate, e.loss, e.valLoss]));
      expect([resumed.stoppedEpoch, resumed.bestEpoch, resumed.restoredBest]).toEqual([history.stoppedEpoch, history.bestEpoch, history.restoredBest]);

      // the control: the same resume without what the checkpoint saved for this feature ends elsewhere
      const again = checkpointFromBytes(checkpoint!, 'ckpt');
      const { net, options } = k.without(again);
      await net.fit(train.x, train.y, { ...options, validationData: [val.x, val.y] });
      const same = net.layers.every((l, i) => bits(l.W).every((b, j) => b === bits(full.layers[i]!.W)[j]));
      expect(same).toBe(false);
    });
  }

  it('stores the training state as JSON and the best weights as best.layers.{i}.* tensors', async () => {
    const net = network([3, ...hidden()], { seed: 5, loss: 'cross-entropy' });
    const opt = optimizerById('rmsprop', { learningRate: 0.01 });
    let bytes: Uint8Array | undefined;
    await net.fit(train.x, train.y, {
      epochs: 2,
      optimizer: opt,
      validationData: [val.x, val.y],
      schedule: { kind: 'plateau', patience: 3, factor: 0.5 },
      earlyStopping: { patience: 3 },
      onEpochEnd: (logs, state) => void (bytes = checkpointToBytes(net, {}, { optimizer: opt, epoch: logs.epoch + 1, fitSeed: 1, state })),
    });
    const file = decodeSafetensors(bytes!);
    const c = JSON.parse(file.metadata['checkpoint']!) as { state: Record<string, unknown>; optimizer: Record<string, unknown> };
    expect(Object.keys(c.state)).toEqual(['baseLearningRate', 'plateau', 'earlyStopping']);
    expect(c.optimizer).toMatchObject({ id: 'rmsprop', rho: 0.9, epsilon: 1e-8 });
    expect(file.tensors['optimizer.layers.0.weight.v']).toMatchObject({ dtype: 'F32', shape: [6, 3] });
    expect(Object.keys(file.tensors).filter((t) => t.startsWith('best.'))).toEqual(['best.layers.0.weight', 'best.layers.0.bias', 'best.layers.1.weight', 'best.layers.1.bias']);
    // still a plain model too
    expect(modelFromBytes(bytes!).network.layers).toHaveLength(2);

    const editState = (f: (s: Record<string, Record<string, unknown>>) => void) =>
      rewrite(bytes!, (_, m) => {
        const o = JSON.parse(m['checkpoint']!) as { state: Record<string, Record<string, unknown>> };
        f(o.state);
        m['checkpoint'] = JSON.stringify(o);
      });
    const bad: [Uint8Array, RegExp][] = [
      [editState((s) => (s['plateau']!['wait'] = -1)), /state plateau\.wait = -1; expected an integer ≥ 0/],
      [editState((s) => (s['earlyStopping']!['best'] = 'x')), /state earlyStopping\.best = "x"; expected a finite number or null/],
      [editState((s) => delete s['earlyStopping']), /"best\.layers\.0\.weight" holds early stopping's best weights but the state has no earlyStopping/],
      [rewrite(bytes!, (t) => delete t['best.layers.1.bias']), /tensor "best\.layers\.1\.bias" is missing/],
      [rewrite(bytes!, (t) => (t['best.layers.0.bias'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) })), /"best\.layers\.0\.bias" is F32 \[2\], expected F32 \[6\]/],
      [rewrite(bytes!, (t) => (t['best.layers.7.bias'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) })), /"best\.layers\.7\.bias" is not the best weights of a parameter/],
    ];
    for (const [b, message] of bad) {
      const e = thrown(() => checkpointFromBytes(b, 'ck'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
    }
  });
});
