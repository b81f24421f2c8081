import { describe, expect, it } from 'vitest';
import { DataError, DivergenceError, OptionError, ShapeError } from '../../src/errors.js';
import { Network, network, sequential } from '../../src/network.js';
import { dense } from '../../src/nn/dense.js';
import { sgd } from '../../src/optimizers/index.js';

const net = () => network([2, { units: 3, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });

describe('bad input gets a typed error that names the problem', () => {
  it('input of the wrong width names both shapes', () => {
    expect(() => net().predict([[1, 2, 3]])).toThrow(ShapeError);
    expect(() => net().predict([[1, 2, 3]])).toThrow(/x has shape 1×3 .* layer 1 expects 2 inputs \(shape 1×2\)/);
  });

  it('targets of the wrong width name both shapes', () => {
    expect(() => net().evaluate([[1, 2]], [[1, 0, 0]])).toThrow(/y has shape 1×3 but the last layer has 2 outputs \(expected 1×2\)/);
  });

  it('label count differing from sample count', () => {
    expect(() => net().evaluate([[1, 2], [3, 4]], [0])).toThrow(DataError);
    expect(() => net().evaluate([[1, 2], [3, 4]], [0])).toThrow(/x has 2 samples but y has 1/);
  });

  it('class index out of range names the row', () => {
    expect(() => net().evaluate([[1, 2], [3, 4]], [0, 5])).toThrow(/y row 1: class 5 is not an integer in \[0, 1\]/);
  });

  it('NaN and Infinity name the row', () => {
    expect(() => net().predict([[1, 2], [NaN, 0]])).toThrow(/x row 1, column 0 is NaN/);
    expect(() => net().evaluate([[1, 2], [3, 4]], [[1, 0], [0, Infinity]])).toThrow(/y row 1, column 1 is Infinity/);
  });

  it('a non-finite input is named on every kernel (the wasm ones find it through z(1)), where its weights are 0 too; finite inputs that overflow z(1) pass', () => {
    for (const backend of ['js', 'wasm'] as const) {
      const m = network([3, { units: 2, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }], { seed: 2, backend });
      // input 1's weights are 0: ±∞·0 is NaN, so z(1) is not finite for either unit
      m.layers[0]!.W[1] = 0;
      m.layers[0]!.W[4] = 0;
      for (const [bad, name] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
        for (const col of [0, 1]) {
          const x = Array.from({ length: 1100 }, (_, r) => [r / 1100, 0.5, -0.25]);
          x[1037]![col] = bad;
          expect(() => m.predict(x), `${backend} ${name} column ${col}`).toThrow(new RegExp(`x row 1037, column ${col} is ${name}`));
          expect(() => m.evaluate(x, x.map(() => [1])), `${backend} ${name} column ${col}`).toThrow(new RegExp(`x row 1037, column ${col} is ${name}`));
        }
      }
      expect(Number.isFinite(m.predict([[3e38, 3e38, 3e38]]).get(0, 0)), backend).toBe(true);
    }
  });

  it('ragged rows and empty data', () => {
    expect(() => net().predict([[1, 2], [3]])).toThrow(/row 1 has 1 values, row 0 has 2/);
    expect(() => net().predict([])).toThrow(/x is empty/);
  });

  it('unknown activation, cost, initializer list the valid ones', () => {
    expect(() => network([2, { units: 1, activation: 'mish' as never }])).toThrow(
      /unknown activation "mish"; valid: sigmoid, relu, tanh, leaky-relu, linear, softmax, elu, gelu, softplus, silu, swish/,
    );
    expect(() => network([2, 1], { loss: 'hinge' as never })).toThrow(/unknown loss "hinge"; valid: mse, cross-entropy, binary-cross-entropy/);
    expect(() => network([2, 1], { init: 'orthogonal' as never })).toThrow(/unknown initializer "orthogonal"; valid: auto, normal, glorot, he, zeros/);
  });

  it('costs that need a particular output layer say which', () => {
    expect(() => network([2, { units: 2, activation: 'sigmoid' }], { loss: 'cross-entropy' })).toThrow(/needs a 'softmax' output layer, got 'sigmoid'/);
    expect(() => network([2, { units: 1, activation: 'relu' }], { loss: 'binary-cross-entropy' })).toThrow(OptionError);
  });

  it('non-positive learning rate, batch size, epochs', async () => {
    const x = [[1, 2]];
    await expect(net().fit(x, [0], { learningRate: 0 })).rejects.toThrow(/learning rate must be a finite number > 0/);
    await expect(net().fit(x, [0], { batchSize: 0 })).rejects.toThrow(/batch size must be an integer ≥ 1, got 0/);
    await expect(net().fit(x, [0], { epochs: -1 })).rejects.toThrow(/epochs must be an integer ≥ 1/);
    await expect(net().fit(x, [0], { optimizer: 'lbfgs' as never })).rejects.toThrow(/valid: sgd, momentum, adam/);
  });

  it('layer sizes that do not chain name the layer', () => {
    expect(() => sequential([dense({ inputs: 2, units: 3 }), dense({ inputs: 4, units: 1 })])).toThrow(
      /layer 2 says it has 4 inputs but the layer before it gives 3/,
    );
    expect(() => sequential([dense({ units: 3 })])).toThrow(/needs `inputs`/);
    expect(() => new Network(2, [{ units: 0 }])).toThrow(/units of layer 1 must be an integer ≥ 1/);
  });

  it('divergence stops training, says where, and leaves finite weights', async () => {
    // A linear regression with a huge learning rate overflows within a few steps.
    const reg = network([1, { units: 1, activation: 'linear' }], { loss: 'mse', seed: 1 });
    const x = Array.from({ length: 8 }, (_, i) => [i * 100]);
    const y = x.map(([v]) => [v! * 3]);
    const err = await reg.fit(x, y, { epochs: 50, batchSize: 4, learningRate: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).message).toMatch(
      /training diverged: the (loss|gradient ∂C\/∂layers\.0\.(weight|bias)) became .* at epoch \d+, step \d+; the weights are those before that step.*lower learning rate/,
    );
    for (const l of reg.layers) for (const v of [...l.W, ...l.b]) expect(Number.isFinite(v)).toBe(true);
  });

  it('trainStep reports divergence too', () => {
    const reg = network([1, { units: 1, activation: 'linear' }], { loss: 'mse', seed: 1 });
    reg.layers[0]!.W[0] = 3e38;
    expect(() => reg.trainStep([[1e10]], [[0]], sgd())).toThrow(DivergenceError);
  });
});
