import { describe, expect, it } from 'vitest';
import { DivergenceError, OptionError } from '../../src/errors.js';
import { createWasmKernels } from '../../src/kernels/wasm/index.js';
import { network, Network } from '../../src/network.js';
import { adam, momentum, rmsprop, sgd } from '../../src/optimizers/index.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';
import type { EpochLogs, FitOptions } from '../../src/train/fit.js';

/** A small two-class set: x ∈ [−1, 1]², class 1 inside the circle of radius 0.6. */
function circles(n: number, seed: number): { x: Matrix; y: number[] } {
  const rng = new Random(seed);
  const x = Matrix.zeros(n, 2);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = 2 * rng.uniform() - 1;
    const b = 2 * rng.uniform() - 1;
    x.data[2 * i] = a;
    x.data[2 * i + 1] = b;
    y.push(a * a + b * b < 0.36 ? 1 : 0);
  }
  return { x, y };
}

const small = () => network([2, { units: 8, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 5, backend: 'js' });
const rates = (epochs: EpochLogs[]) => epochs.map((e) => e.learningRate);
const closeTo = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `epoch ${i}: ${g} vs ${want[i]}`).toBeLessThan(1e-12 * Math.abs(want[i]!) + 1e-15));
};

describe('learning-rate schedules: the rate of each epoch, by hand', () => {
  const { x, y } = circles(40, 1);
  const run = (options: FitOptions) => small().fit(x, y, { batchSize: 10, optimizer: 'sgd', learningRate: 0.1, ...options });

  it('step: η₀·factor^⌊e/every⌋', async () => {
    closeTo(rates((await run({ epochs: 5, schedule: { kind: 'step', every: 2, factor: 0.5 } })).epochs), [0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('exponential: η₀·factor^e', async () => {
    closeTo(rates((await run({ epochs: 4, schedule: { kind: 'exponential', factor: 0.9 } })).epochs), [0.1, 0.09, 0.081, 0.0729]);
  });

  it('cosine with 2 warm-up epochs: η₀(e+1)/2, then η_min + (η₀ − η_min)(1 + cos(πe/4))/2', async () => {
    // e = 0..3 after the warm-up: 0.1, 0.01 + 0.045·(1 + √2/2), 0.055, 0.01 + 0.045·(1 − √2/2)
    const want = [0.05, 0.1, 0.1, 0.01 + 0.045 * (1 + Math.SQRT1_2), 0.055, 0.01 + 0.045 * (1 - Math.SQRT1_2)];
    closeTo(rates((await run({ epochs: 6, schedule: { kind: 'cosine', minLearningRate: 0.01, warmupEpochs: 2 } })).epochs), want);
  });

  it('plateau: ×factor after `patience` epochs without an improvement larger than minDelta', async () => {
    // minDelta so large that only the first epoch counts as an improvement: waits 1, 2 → cut after epoch 2, again after epoch 4
    const h = await run({ epochs: 7, schedule: { kind: 'plateau', monitor: 'loss', patience: 2, factor: 0.5, minDelta: 1e9 } });
    closeTo(rates(h.epochs), [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it('bad schedules are refused by name', async () => {
    await expect(run({ schedule: { kind: 'step', every: 0, factor: 0.5 } })).rejects.toThrow(/schedule every must be an integer ≥ 1/);
    await expect(run({ schedule: { kind: 'linear' } as never })).rejects.toThrow(/schedule needs a kind: step, exponential, cosine, plateau/);
    await expect(run({ schedule: { kind: 'exponential', factor: 2 } })).rejects.toThrow(/factor must be in \(0, 1\]/);
    await expect(run({ schedule: { kind: 'plateau', patience: 1, factor: 0.5 } })).rejects.toThrow(/cannot monitor 'valLoss' without validation data/);
  });
});

describe('early stopping', () => {
  const { x, y } = circles(60, 2);

  it('stops after `patience` epochs without improvement and restores the best epoch’s weights', async () => {
    const net = small();
    const after: Float32Array[][] = [];
    const h = await net.fit(x, y, {
      epochs: 20,
      batchSize: 10,
      optimizer: 'sgd',
      learningRate: 0.1,
      validationSplit: 0.25,
      earlyStopping: { monitor: 'valLoss', patience: 3, minDelta: 1e9 },
      onEpochEnd: () => void after.push(net.parameters().map((p) => p.value.slice() as Float32Array)),
    });
    expect(h.epochs.length).toBe(4); // epoch 0 sets the best, 1-3 wait
    expect(h.stoppedEpoch).toBe(3);
    expect(h.bestEpoch).toBe(0);
    expect(h.restoredBest).toBe(true);
    net.parameters().forEach((p, i) => expect(Array.from(p.value)).toEqual(Array.from(after[0]![i]!)));
  });

  it('with restoreBest: false keeps the last weights; valAccuracy counts larger as better', async () => {
    const net = small();
    const h = await net.fit(x, y, {
      epochs: 30,
      batchSize: 10,
      optimizer: 'adam',
      learningRate: 0.05,
      validationSplit: 0.25,
      earlyStopping: { monitor: 'valAccuracy', patience: 2, restoreBest: false },
    });
    const best = Math.max(...h.epochs.map((e) => e.valAccuracy!));
    expect(h.epochs[h.bestEpoch!]!.valAccuracy).toBe(best);
    expect(h.restoredBest).toBeUndefined();
    if (h.stoppedEpoch !== undefined) expect(h.stoppedEpoch - h.bestEpoch!).toBe(2);
  });
});

describe('validationSplit', () => {
  it('holds out the last samples, before shuffling: valLoss is the held-out samples’ loss', async () => {
    const { x, y } = circles(50, 3);
    const net = small();
    const held = { x: new Matrix(10, 2, x.data.slice(80)), y: y.slice(40) };
    const seen: [number, number][] = [];
    await net.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      learningRate: 0.1,
      validationSplit: 0.2,
      onBatchEnd: (b) => expect(b.batches).toBe(5), // 40 training samples in batches of 8
      onEpochEnd: (logs) => void seen.push([logs.valLoss!, net.evaluate(held.x, held.y).loss]),
    });
    for (const [valLoss, direct] of seen) expect(valLoss).toBe(direct);
    await expect(net.fit(x, y, { validationSplit: 0.2, validationData: [held.x, held.y] })).rejects.toThrow(OptionError);
    await expect(net.fit(x, y, { validationSplit: 1 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
  });
});

describe('gradient clipping and weight decay move the weights as their formulas say', () => {
  const x = Matrix.fromArray([[0.5, -1], [2, 0.25], [-1.5, 1]]);
  const y = [[1], [0], [1]];
  const make = () => network([2, { units: 3, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], { seed: 9, backend: 'js', init: 'normal' });

  it('clipNorm: θ ← θ − η·(c/‖g‖)·g with ‖g‖ over every parameter', () => {
    const net = make();
    const g = net.gradients(x, y).layers.flatMap((l) => [Array.from(l.dW.data), Array.from(l.db.data)]);
    const norm = Math.sqrt(g.flat().reduce((s, v) => s + v * v, 0));
    const c = norm / 4;
    const before = net.parameters().map((p) => Array.from(p.value));
    net.trainStep(x, y, sgd({ learningRate: 0.5 }), { clipNorm: c });
    net.parameters().forEach((p, k) => p.value.forEach((v, i) => expect(v).toBeCloseTo(before[k]![i]! - 0.5 * (c / norm) * g[k]![i]!, 6)));
  });

  it('clipValue: each entry of g clamped to ±c', () => {
    const net = make();
    const g = net.gradients(x, y).layers.flatMap((l) => [Array.from(l.dW.data), Array.from(l.db.data)]);
    const before = net.parameters().map((p) => Array.from(p.value));
    net.trainStep(x, y, sgd({ learningRate: 0.5 }), { clipValue: 0.01 });
    net.parameters().forEach((p, k) => p.value.forEach((v, i) => expect(v).toBeCloseTo(before[k]![i]! - 0.5 * Math.max(-0.01, Math.min(0.01, g[k]![i]!)), 6)));
  });

  it('weightDecay (decoupled): W ← W(1 − ηλ) − η·g on weights, biases without decay; AdamW likewise', () => {
    const net = make();
    const g = net.gradients(x, y).layers.flatMap((l) => [Array.from(l.dW.data), Array.from(l.db.data)]);
    const before = net.parameters().map((p) => Array.from(p.value));
    net.trainStep(x, y, sgd({ learningRate: 0.5, weightDecay: 0.1 }));
    net.parameters().forEach((p, k) =>
      p.value.forEach((v, i) => expect(v).toBeCloseTo(before[k]![i]! * (p.decays ? 1 - 0.05 : 1) - 0.5 * g[k]![i]!, 6)),
    );
    // AdamW step 1: m̂ = g, v̂ = g², so θ ← θ(1 − ηλ) − η·g/(|g| + ε)
    const net2 = make();
    net2.trainStep(x, y, adam({ learningRate: 0.01, weightDecay: 0.5 }));
    net2.parameters().forEach((p, k) =>
      p.value.forEach((v, i) => expect(v).toBeCloseTo(before[k]![i]! * (p.decays ? 1 - 0.005 : 1) - (0.01 * g[k]![i]!) / (Math.abs(g[k]![i]!) + 1e-8), 5)),
    );
  });
});

describe('dropout is off in predict and evaluate, on in training', () => {
  it('predict and evaluate equal those of the same weights without dropout', () => {
    const { x, y } = circles(30, 4);
    const withDropout = network([2, { units: 16, activation: 'relu', dropout: 0.5 }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 3 });
    const without = network([2, { units: 16, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 3 });
    without.copyWeightsFrom(withDropout);
    expect(Array.from(withDropout.predict(x).data)).toEqual(Array.from(without.predict(x).data));
    expect(withDropout.evaluate(x, y)).toEqual(without.evaluate(x, y));
    // training draws masks: the gradient differs from the one without dropout
    const g1 = withDropout.gradients(x, y, { dropoutKey: 1 }).layers[0]!.dW.data;
    const g0 = without.gradients(x, y).layers[0]!.dW.data;
    expect(Array.from(g1)).not.toEqual(Array.from(g0));
  });

  it('dropout on the output layer and bad rates are refused', () => {
    expect(() => network([2, { units: 2, dropout: 0.5 }])).toThrow(/dropout is for hidden layers/);
    expect(() => network([2, { units: 3, dropout: 1 }, { units: 1 }])).toThrow(/dropout must be a number in \[0, 1\)/);
    expect(() => network([2, { units: 3, l2: -1 }, { units: 1 }])).toThrow(/l2 must be a number ≥ 0/);
  });
});

describe('the whole toolkit is bit-reproducible on 1, 2 and 3 threads', () => {
  it('dropout, penalties, weight decay, clipping, a schedule and a batch size that does not divide the set', async () => {
    const rng = new Random(8);
    const n = 203;
    const x = Matrix.zeros(n, 64);
    for (let i = 0; i < x.data.length; i++) x.data[i] = rng.uniform() < 0.5 ? 0 : rng.uniform();
    const y = Array.from({ length: n }, () => rng.int(10));
    const results: Buffer[] = [];
    for (const threads of [1, 2, 3]) {
      // created asynchronously: resolves once the workers run, so every product is really split
      const kernels = await createWasmKernels({ threads, parallelMinFlops: 1 });
      try {
        expect(kernels.threads).toBe(threads);
        const net = network([64, { units: 96, activation: 'gelu', dropout: 0.2 }, { units: 48, activation: 'silu', dropout: 0.1, l1: 1e-4 }, { units: 10, activation: 'softmax' }], {
          loss: 'cross-entropy',
          seed: 4,
          kernels,
          l2: 1e-3,
        });
        await net.fit(x, y, { epochs: 3, batchSize: 37, optimizer: adam({ learningRate: 3e-3, weightDecay: 0.01 }), clipNorm: 1, schedule: { kind: 'cosine', warmupEpochs: 1 } });
        results.push(Buffer.concat(net.parameters().map((p) => Buffer.from(p.value.slice().buffer))));
      } finally {
        kernels.dispose();
      }
    }
    expect(results[1]!.equals(results[0]!)).toBe(true);
    expect(results[2]!.equals(results[0]!)).toBe(true);
  });
});

describe('user-defined activations run on the JavaScript path of the wasm kernels', () => {
  it('a softsign network predicts the same on wasm and js, and trains', async () => {
    const softsign = { name: 'softsign', f: (z: number) => z / (1 + Math.abs(z)), df: (z: number) => 1 / (1 + Math.abs(z)) ** 2 };
    const { x, y } = circles(64, 6);
    const onWasm = network([2, { units: 12, activation: softsign }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 2, backend: 'wasm' });
    const onJs = network([2, { units: 12, activation: softsign }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 2, backend: 'js' });
    const a = onWasm.predict(x).data;
    const b = onJs.predict(x).data;
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-6));
    const h = await onWasm.fit(x, y, { epochs: 30, batchSize: 16, optimizer: 'adam', learningRate: 0.05 });
    expect(h.epochs[29]!.loss).toBeLessThan(h.epochs[0]!.loss);
  });
});

describe('the step guard: no update leaves a weight or optimizer state non-finite', () => {
  // unscaled inputs: ∂C/∂W(1) in the hundreds, so η·g passes float32's 3.4e38 while loss and gradient are finite
  const x = Matrix.fromArray([[500, -1000], [2000, 250]]);
  const y = [[1], [0]];
  for (const [name, make] of [
    ['sgd', () => sgd({ learningRate: 3e38 })],
    ['momentum (Nesterov)', () => momentum({ learningRate: 3e38, nesterov: true })],
    ['adam', () => adam({ learningRate: 3e38 })],
    ['rmsprop', () => rmsprop({ learningRate: 3e38 })],
  ] as const) {
    it(`${name} with η = 3e38 on unscaled inputs: DivergenceError at epoch 1, step 1, weights and state as before`, async () => {
      const net = network([2, { units: 3, activation: 'relu' }, { units: 1, activation: 'linear' }], { seed: 9, backend: 'wasm', init: 'normal' });
      const before = net.parameters().map((p) => Array.from(p.value));
      const opt = make();
      const error = await net.fit(x, y, { epochs: 2, batchSize: 2, optimizer: opt }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DivergenceError);
      expect((error as DivergenceError).epoch).toBe(1);
      expect((error as DivergenceError).step).toBe(1);
      expect((error as Error).message).toMatch(/at epoch 1, step 1; the weights are those before that step/);
      net.parameters().forEach((p, k) => expect(Array.from(p.value)).toEqual(before[k]));
      expect(opt.t).toBe(0);
      for (const slot of Object.values(opt.state().slots)) expect(slot.every((v) => v === 0)).toBe(true);
    });
  }

  it('a large but safe rate trains on (the bound does not refuse what cannot overflow)', () => {
    const net = network([2, { units: 3, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], { seed: 9, backend: 'wasm', init: 'normal' });
    const opt = sgd({ learningRate: 1e20 });
    expect(() => net.trainStep(x, y, opt)).not.toThrow();
    for (const p of net.parameters()) expect(p.value.every(Number.isFinite)).toBe(true);
  });
});

describe('explain shows the toolkit’s factors', () => {
  it('the dropout mask and ã, the penalty’s share of dW, the clip scale, the loss with the penalty', () => {
    const x = Matrix.fromArray([[0.5, -1], [2, 0.25], [-1, 1]], 'float64');
    const y = [[1], [0], [1]];
    const specs = [{ units: 4, activation: 'tanh' as const, dropout: 0.5, l2: 0.1, l1: 0.02 }, { units: 1, activation: 'sigmoid' as const }];
    const net = new Network(2, specs, { dtype: 'float64', seed: 3, init: 'normal' });
    const e = net.explain(x, y, { dropoutKey: 11, clipNorm: 0.01, learningRate: 0.5 });
    const l1 = e.layers[0]!;
    // mask entries are 0 or 1/(1 − 0.5) = 2, and ã = a ⊙ m
    expect(l1.mask!.data.every((m) => m === 0 || m === 2)).toBe(true);
    l1.aDropped!.data.forEach((v, i) => expect(v).toBe(l1.a.data[i]! * l1.mask!.data[i]!));
    // the next layer reads ã
    expect(Array.from(e.layers[1]!.aPrev.data)).toEqual(Array.from(l1.aDropped!.data));
    // penalty share l1·sign(W) + 2·l2·W, and the penalty in the loss
    l1.dWPenalty!.data.forEach((v, i) => expect(v).toBeCloseTo(0.02 * Math.sign(l1.W.data[i]!) + 0.2 * l1.W.data[i]!, 12));
    const penalty = Array.from(l1.W.data).reduce((s, w) => s + 0.02 * Math.abs(w) + 0.1 * w * w, 0);
    expect(e.penalty).toBeCloseTo(penalty, 12);
    // clipping: ‖dW‖ over all parameters scaled to 0.01, WNext from the clipped gradient
    const norm = Math.sqrt(e.layers.flatMap((l) => [...l.dW.data, ...l.db.data]).reduce((s, v) => s + v * v, 0));
    expect(e.clipScale).toBeCloseTo(0.01 / norm, 12);
    l1.dWClipped!.data.forEach((v, i) => expect(v).toBeCloseTo(l1.dW.data[i]! * e.clipScale!, 14));
    l1.WNext!.data.forEach((v, i) => expect(v).toBeCloseTo(l1.W.data[i]! - 0.5 * l1.dWClipped!.data[i]!, 12));
    // without a key, dropout is off: no mask
    expect(net.explain(x, y).layers[0]!.mask).toBeUndefined();
  });
});
