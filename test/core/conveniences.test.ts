import { describe, expect, it } from 'vitest';
import { DataError, Matrix, network, ShapeError } from '../../src/index.js';

describe('net.summary()', () => {
  it('lists shapes, activations, parameter counts (units·inputs + units), dropout and penalties', () => {
    const net = network([784, { units: 256, activation: 'relu', dropout: 0.2 }, { units: 128, activation: 'relu', l2: 1e-4 }, { units: 10, activation: 'softmax', l1: 0.5 }], { loss: 'cross-entropy' });
    // 784·256 + 256 = 200,960; 256·128 + 128 = 32,896; 128·10 + 10 = 1,290; total 235,146
    expect(net.summary().split('\n')).toEqual([
      'layer  shape      activation  parameters  training',
      '1      784 → 256  relu           200,960  dropout 0.2',
      '2      256 → 128  relu            32,896  l2 0.0001',
      '3      128 → 10   softmax          1,290  l1 0.5',
      '235,146 parameters, input 784, cost cross-entropy, float32',
    ]);
  });
});

describe('getWeights() / setWeights()', () => {
  it('round-trips, and what is set is what predict uses', () => {
    const a = network([2, { units: 3, activation: 'tanh' }, 1], { seed: 1 });
    const b = network([2, { units: 3, activation: 'tanh' }, 1], { seed: 2 });
    const x = [[0.3, -0.2], [1, 2]];
    expect(b.predict(x).toArray()).not.toEqual(a.predict(x).toArray());
    b.setWeights(a.getWeights());
    expect(b.getWeights()).toEqual(a.getWeights());
    expect(b.predict(x).toArray()).toEqual(a.predict(x).toArray());
  });

  it('W is units rows of inputs weights; a Matrix is accepted too', () => {
    const net = network([2, { units: 1, activation: 'linear' }], { dtype: 'float64' });
    net.setWeights([{ W: new Matrix(1, 2, new Float64Array([10, 20])), b: [3] }]);
    expect(net.getWeights()).toEqual([{ W: [[10, 20]], b: [3] }]);
    expect(net.predict([[1, 2]]).toArray()).toEqual([[10 * 1 + 20 * 2 + 3]]);
  });

  it('refuses wrong counts, shapes and non-finite numbers by name, changing nothing', () => {
    const net = network([2, 3, 1], { seed: 1 });
    const before = net.getWeights();
    const good = net.getWeights();
    expect(() => net.setWeights([good[0]!])).toThrow(ShapeError);
    expect(() => net.setWeights([good[0]!])).toThrow('setWeights: 1 layers given, the network has 2');
    expect(() => net.setWeights([{ W: [[1, 2], [3, 4]], b: [0, 0, 0] }, good[1]!])).toThrow("layer 1's W is 3×2 (units × inputs), got 2×2");
    expect(() => net.setWeights([{ W: [[1, 2], [3], [4, 5]], b: [0, 0, 0] }, good[1]!])).toThrow("layer 1's W is 3×2 (units × inputs), got 3×1");
    expect(() => net.setWeights([good[0]!, { W: good[1]!.W, b: [1, 2] }])).toThrow("layer 2's b has 1 entries, got 2");
    expect(() => net.setWeights([good[0]!, { W: [[1, NaN, 3]], b: [0] }])).toThrow(DataError);
    expect(() => net.setWeights([{ W: good[0]!.W, b: [0, Infinity, 0] }, good[1]!])).toThrow("layer 1 has a non-finite bias");
    expect(net.getWeights()).toEqual(before);
  });
});
