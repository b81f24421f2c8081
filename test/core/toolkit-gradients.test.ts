import { describe, expect, it } from 'vitest';
import type { CustomActivation } from '../../src/activations/index.js';
import type { CustomLoss } from '../../src/losses/index.js';
import type { DenseSpec } from '../../src/nn/dense.js';
import { Network, type NetworkOptions } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { gradientCheck, type GradientCheckResult } from '../../src/train/gradient-check.js';

/**
 * Every gradient path of the training toolkit against central finite differences of the cost in
 * float64, with the core's bar (< 1e-6 relative): the new activations, user-defined activations
 * and costs, the L1/L2 penalties, and dropout with its mask held fixed.
 */
const softsign: CustomActivation = { name: 'softsign', f: (z) => z / (1 + Math.abs(z)), df: (z) => 1 / (1 + Math.abs(z)) ** 2 };
/** log-cosh cost: C_k = Σ_i log(cosh(a_i − y_i)), ∂C_k/∂a_i = tanh(a_i − y_i) */
const logCosh: CustomLoss = {
  name: 'log-cosh',
  value: (a, y) => a.reduce((s, ai, i) => s + Math.log(Math.cosh(ai - y[i]!)), 0),
  gradient: (a, y, dA) => a.forEach((ai, i) => (dA[i] = Math.tanh(ai - y[i]!))),
};

function data(seed: number, n: number, inputs: number, outputs: number): { x: Matrix; y: Matrix } {
  const rng = new Random(seed);
  const x = Matrix.zeros(n, inputs, 'float64');
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  const y = Matrix.zeros(n, outputs, 'float64');
  for (let i = 0; i < y.data.length; i++) y.data[i] = rng.uniform();
  return { x, y };
}

function check(specs: DenseSpec[], options: NetworkOptions, seed: number, dropoutKey?: number): GradientCheckResult {
  const net = new Network(3, specs, { dtype: 'float64', seed, init: 'normal', ...options });
  const { x, y } = data(seed, 4, 3, specs[specs.length - 1]!.units);
  return gradientCheck(net, x, y, dropoutKey === undefined ? {} : { dropoutKey });
}

describe('gradient checks of the training toolkit (float64, central differences)', () => {
  const hidden: (DenseSpec['activation'])[] = ['elu', 'gelu', 'softplus', 'silu', softsign];
  let seed = 300;
  for (const act of hidden) {
    const name = typeof act === 'object' ? act.name : act;
    for (const [output, loss] of [['sigmoid', 'mse'], ['softmax', 'cross-entropy'], [act, 'mse']] as const) {
      const s = seed++;
      it(`hidden ${name}, output ${typeof output === 'object' ? output.name : output}, ${loss}`, () => {
        const specs: DenseSpec[] = [{ units: 4, activation: act }, { units: 3, activation: act, alpha: 0.7 }, { units: 2, activation: output }];
        const { worst, checked } = check(specs, { loss }, s);
        expect(checked).toBe(4 * 4 + 3 * 5 + 2 * 4);
        expect(worst).toBeLessThan(1e-6);
      });
    }
  }

  it('elu with α = 0.5 through its z < 0 branch', () => {
    expect(check([{ units: 5, activation: 'elu', alpha: 0.5 }, { units: 2, activation: 'linear' }], {}, 41).worst).toBeLessThan(1e-6);
  });

  it('a user-defined cost (log-cosh)', () => {
    expect(check([{ units: 4, activation: 'tanh' }, { units: 2, activation: 'linear' }], { loss: logCosh }, 42).worst).toBeLessThan(1e-6);
  });

  it('L1 and L2 penalties, network-wide and per layer (the cost includes them)', () => {
    const r = check([{ units: 4, activation: 'tanh', l2: 0.3 }, { units: 3, activation: 'relu', l1: 0.05, l2: 0 }, { units: 2, activation: 'sigmoid' }], { l1: 0.02, l2: 0.1 }, 43);
    expect(r.worst).toBeLessThan(1e-6);
  });

  it('dropout with a fixed mask (the key held), on two hidden layers', () => {
    const specs: DenseSpec[] = [{ units: 6, activation: 'tanh', dropout: 0.4 }, { units: 5, activation: 'sigmoid', dropout: 0.3 }, { units: 2, activation: 'softmax' }];
    for (const key of [1, 2, 3]) expect(check(specs, { loss: 'cross-entropy' }, 44, key).worst).toBeLessThan(1e-6);
  });

  it('everything at once: dropout, penalties, new activations, a custom activation and cost', () => {
    const specs: DenseSpec[] = [{ units: 5, activation: 'gelu', dropout: 0.25, l1: 0.01 }, { units: 4, activation: softsign, dropout: 0.2 }, { units: 2, activation: 'silu' }];
    expect(check(specs, { loss: logCosh, l2: 0.05 }, 45, 7).worst).toBeLessThan(1e-6);
  });

  it('the check fails for a custom activation whose derivative is wrong', () => {
    const wrong: CustomActivation = { name: 'bad-softsign', f: softsign.f, df: (z) => 1 / (1 + Math.abs(z)) };
    const r = check([{ units: 4, activation: wrong }, { units: 2, activation: 'linear' }], {}, 46);
    expect(r.worst).toBeGreaterThan(1e-2);
    expect(r.at.name).toMatch(/^layers\.0\./);
  });

  it('the dropout mask matters: checking with one key against gradients of another fails', () => {
    const net = new Network(3, [{ units: 6, activation: 'tanh', dropout: 0.5 }, { units: 2, activation: 'linear' }], { dtype: 'float64', seed: 47, init: 'normal' });
    const { x, y } = data(47, 4, 3, 2);
    const withKey = net.gradients.bind(net);
    // analytic gradients through mask 1, finite differences through mask 2
    let calls = 0;
    const mixed = { parameters: () => net.parameters(), gradients: (xx: Matrix, yy: Matrix) => withKey(xx, yy, { dropoutKey: calls++ === 0 ? 1 : 2 }) };
    expect(gradientCheck(mixed as never, x, y).worst).toBeGreaterThan(1e-2);
  });
});
