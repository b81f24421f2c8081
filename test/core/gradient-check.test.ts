import { describe, expect, it } from 'vitest';
import type { ActivationId } from '../../src/activations/index.js';
import type { LossId } from '../../src/losses/index.js';
import { Network } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';

/**
 * Finite-difference gradient check in float64: for every weight and bias θ,
 * ∂C/∂θ ≈ (C(θ + h) − C(θ − h)) / 2h, compared with backpropagation's ∂C/∂θ.
 */
const HIDDEN: ActivationId[] = ['sigmoid', 'relu', 'tanh', 'leaky-relu', 'linear'];
const OUTPUT_COST: [ActivationId, LossId][] = [
  ['sigmoid', 'mse'],
  ['relu', 'mse'],
  ['tanh', 'mse'],
  ['leaky-relu', 'mse'],
  ['linear', 'mse'],
  ['softmax', 'mse'],
  ['softmax', 'cross-entropy'],
  ['sigmoid', 'binary-cross-entropy'],
];

function randomTargets(rng: Random, n: number, outputs: number, cost: LossId): Matrix {
  const y = Matrix.zeros(n, outputs, 'float64');
  for (let k = 0; k < n; k++) {
    let sum = 0;
    for (let i = 0; i < outputs; i++) {
      const v = cost === 'mse' ? rng.normal() : rng.uniform();
      y.data[k * outputs + i] = v;
      sum += v;
    }
    // cross-entropy targets are distributions (not necessarily one-hot), to exercise δ = a·Σy − y
    if (cost === 'cross-entropy') for (let i = 0; i < outputs; i++) y.data[k * outputs + i]! /= sum;
  }
  return y;
}

function maxRelativeError(net: Network, x: Matrix, y: Matrix): { worst: number; checked: number } {
  const analytic = net.gradients(x, y).layers;
  const h = 1e-5;
  let worst = 0;
  let checked = 0;
  net.layers.forEach((layer, l) => {
    for (const [theta, grad] of [
      [layer.W, analytic[l]!.dW.data],
      [layer.b, analytic[l]!.db.data],
    ] as const) {
      for (let i = 0; i < theta.length; i++) {
        const keep = theta[i]!;
        theta[i] = keep + h;
        const plus = net.evaluate(x, y).loss;
        theta[i] = keep - h;
        const minus = net.evaluate(x, y).loss;
        theta[i] = keep;
        const numeric = (plus - minus) / (2 * h);
        const a = grad[i]!;
        // relative error, with a floor so that gradients that are 0 up to rounding compare absolutely
        const rel = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), 1e-4);
        worst = Math.max(worst, rel);
        checked++;
      }
    }
  });
  return { worst, checked };
}

describe('finite-difference gradient check (float64, central differences)', () => {
  let seed = 100;
  for (const hidden of HIDDEN) {
    for (const [output, cost] of OUTPUT_COST) {
      for (const depth of [1, 2, 3]) {
        if (depth === 1 && hidden !== 'sigmoid') continue; // depth 1 has no hidden layer
        const s = seed++;
        it(`${depth} layer(s), hidden ${hidden}, output ${output}, cost ${cost}`, () => {
          const rng = new Random(s);
          const inputs = 1 + rng.int(5);
          const outputs = output === 'softmax' ? 2 + rng.int(3) : 1 + rng.int(3);
          const widths = Array.from({ length: depth - 1 }, () => 1 + rng.int(6));
          const specs = [
            ...widths.map((units) => ({ units, activation: hidden })),
            { units: outputs, activation: output },
          ];
          const net = new Network(inputs, specs, { dtype: 'float64', loss: cost, seed: s, init: 'normal' });
          const n = 1 + rng.int(4);
          const x = Matrix.zeros(n, inputs, 'float64');
          for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
          const y = randomTargets(rng, n, outputs, cost);
          const { worst, checked } = maxRelativeError(net, x, y);
          expect(checked).toBe(specs.reduce((p, l, i) => p + l.units * ((i ? specs[i - 1]!.units : inputs) + 1), 0));
          expect(worst).toBeLessThan(1e-6);
        });
      }
    }
  }

  it('detects a wrong gradient (the check can fail)', () => {
    const net = new Network(3, [{ units: 4, activation: 'tanh' }, { units: 2, activation: 'sigmoid' }], { dtype: 'float64', seed: 7, init: 'normal' });
    const x = Matrix.fromArray([[0.1, -0.4, 0.9], [1.2, 0.3, -0.7]], 'float64');
    const y = Matrix.fromArray([[0, 1], [1, 0]], 'float64');
    const original = net.gradients.bind(net);
    // Corrupt one entry of ∂C/∂W(1) by 1%: the check must notice.
    net.gradients = (xx, yy) => {
      const g = original(xx, yy);
      g.layers[0]!.dW.data[0]! *= 1.01;
      return g;
    };
    expect(maxRelativeError(net, x, y).worst).toBeGreaterThan(1e-3);
  });
});
