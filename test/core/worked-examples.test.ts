import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/kernels/js.js';
import { Network } from '../../src/network.js';

/** Sets W(l) and b(l) of every layer from nested arrays (W as rows of units). */
function setWeights(net: Network, weights: { W: number[][]; b: number[] }[]): void {
  weights.forEach(({ W, b }, l) => {
    const layer = net.layers[l]!;
    layer.W.set(W.flat());
    layer.b.set(b);
  });
}

const close = (actual: ArrayLike<number>, expected: number[], digits = 12) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]!).toBeCloseTo(e, digits));
};

describe('worked example 1: a chain of one-neuron layers, sigmoid, C = (a(L) − y)²', () => {
  // a(0) = x → three layers of one neuron (3 weights, 3 biases). Weights and biases are chosen so
  // that every z is 0: σ(0) = 1/2 and σ'(0) = σ(0)(1 − σ(0)) = 1/4, so all arithmetic is exact.
  //   z(1) = w(1)·x + b(1)    = 0.5·2 − 1 = 0 → a(1) = 0.5
  //   z(2) = w(2)·a(1) + b(2) = 2·0.5 − 1 = 0 → a(2) = 0.5
  //   z(3) = w(3)·a(2) + b(3) = 4·0.5 − 2 = 0 → a(3) = a(L) = 0.5
  //   C = (0.5 − 1)² = 0.25
  // Last layer (L = 3):
  //   ∂C/∂a(L)   = 2(a(L) − y)              = 2(0.5 − 1)    = −1
  //   ∂C/∂w(L)   = a(L-1)·σ'(z(L))·2(a(L)−y) = 0.5·0.25·(−1)  = −0.125
  //   ∂C/∂b(L)   = σ'(z(L))·2(a(L)−y)        = 0.25·(−1)      = −0.25
  //   ∂C/∂a(L-1) = w(L)·σ'(z(L))·2(a(L)−y)   = 4·0.25·(−1)    = −1
  // One layer further back (L-1 = 2), with ∂C/∂a(2) = −1:
  //   ∂C/∂w(2) = a(1)·σ'(z(2))·∂C/∂a(2) = 0.5·0.25·(−1) = −0.125
  //   ∂C/∂b(2) = σ'(z(2))·∂C/∂a(2)      = −0.25
  //   ∂C/∂a(1) = w(2)·σ'(z(2))·∂C/∂a(2) = 2·0.25·(−1)   = −0.5
  // First layer, with ∂C/∂a(1) = −0.5:
  //   ∂C/∂w(1) = x·σ'(z(1))·∂C/∂a(1) = 2·0.25·(−0.5) = −0.25
  //   ∂C/∂b(1) = σ'(z(1))·∂C/∂a(1)   = −0.125
  for (const dtype of ['float64', 'float32'] as const) {
    it(`gives the hand-computed factors (${dtype})`, () => {
      const net = new Network(1, [{ units: 1, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }], {
        loss: 'mse',
        dtype,
        seed: 1,
      });
      setWeights(net, [
        { W: [[0.5]], b: [-1] },
        { W: [[2]], b: [-1] },
        { W: [[4]], b: [-2] },
      ]);
      const e = net.explain([[2]], [[1]]);
      expect(e.loss).toBe(0.25);
      const [l1, l2, l3] = e.layers;
      for (const l of e.layers) {
        close(l.z.data, [0]);
        close(l.a.data, [0.5]);
        close(l.sigmaPrime!.data, [0.25]);
        expect(l.deltaRule).toBe('elementwise');
      }
      close(l3!.dA.data, [-1]);
      close(l3!.delta.data, [-0.25]);
      close(l3!.dW.data, [-0.125]);
      close(l3!.db.data, [-0.25]);
      close(l3!.dAPrev!.data, [-1]);
      close(l2!.dA.data, [-1]);
      close(l2!.dW.data, [-0.125]);
      close(l2!.db.data, [-0.25]);
      close(l2!.dAPrev!.data, [-0.5]);
      close(l1!.dA.data, [-0.5]);
      close(l1!.dW.data, [-0.25]);
      close(l1!.db.data, [-0.125]);
      expect(l1!.dAPrev).toBeNull(); // no gradient for the network's input
    });
  }
});

describe('worked example 2: A1 = ReLU(W1·X + B1), A2 = sigmoid(W2·A1 + B2), C = (A2 − Y)²', () => {
  // W1 is the derivation's 3×3 hidden matrix; X = [1, 2, −1]ᵀ, B1 = [0, −0.5, 0.1]ᵀ.
  //   Z1 row 1: 0.05629·1 + 0.596·2 + 0.238·(−1) = 0.05629 + 1.192 − 0.238 = 1.01029
  //   Z1 row 2: 0.303·1 + 0.421·2 + 0.855·(−1) − 0.5 = 0.303 + 0.842 − 0.855 − 0.5 = −0.21
  //   Z1 row 3: 0.655·1 + 0.457·2 + 0.618·(−1) + 0.1 = 0.655 + 0.914 − 0.618 + 0.1 = 1.051
  //   A1 = ReLU(Z1) = [1.01029, 0, 1.051];  [Z1 > 0] = [1, 0, 1]
  // W2 = [0.5, −0.3, −0.5], B2 = 0.020355:
  //   Z2 = 0.5·1.01029 − 0.3·0 − 0.5·1.051 + 0.020355 = 0.505145 − 0.5255 + 0.020355 = 0
  //   A2 = σ(0) = 0.5;  σ(Z2)(1 − σ(Z2)) = 0.25;  Y = 1:  (2A2 − 2Y) = −1
  // dC/dW2 = A1·σ(Z2)(1−σ(Z2))·(2A2−2Y) = A1ᵀ·(−0.25) = [−0.2525725, 0, −0.26275]
  // dC/dB2 = σ(Z2)(1−σ(Z2))·(2A2−2Y) = −0.25
  // dC/dA1 = W2ᵀ·(−0.25) = [−0.125, 0.075, 0.125];  δ1 = dC/dA1 ⊙ [Z1 > 0] = [−0.125, 0, 0.125]
  // dC/dW1 = X·[Z1>0]·W2·σ(Z2)(1−σ(Z2))·(2A2−2Y) = δ1·Xᵀ:
  //   [−0.125·1, −0.125·2, −0.125·(−1)] = [−0.125, −0.25, 0.125]
  //   [0, 0, 0]
  //   [0.125, 0.25, −0.125]
  // dC/dB1 = δ1 = [−0.125, 0, 0.125]
  const W1 = [
    [0.05629, 0.596, 0.238],
    [0.303, 0.421, 0.855],
    [0.655, 0.457, 0.618],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    it(`gives the hand-computed gradients (${dtype})`, () => {
      const digits = dtype === 'float64' ? 12 : 6;
      const net = new Network(3, [{ units: 3, activation: 'relu' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', dtype, seed: 1 });
      setWeights(net, [
        { W: W1, b: [0, -0.5, 0.1] },
        { W: [[0.5, -0.3, -0.5]], b: [0.020355] },
      ]);
      const e = net.explain([[1, 2, -1]], [[1]]);
      const [hidden, out] = e.layers;
      close(hidden!.z.data, [1.01029, -0.21, 1.051], digits);
      close(hidden!.a.data, [1.01029, 0, 1.051], digits);
      close(hidden!.sigmaPrime!.data, [1, 0, 1], digits);
      close(out!.z.data, [0], digits);
      close(out!.a.data, [0.5], digits);
      close(out!.dA.data, [-1], digits);
      close(out!.delta.data, [-0.25], digits);
      close(out!.dW.data, [-0.2525725, 0, -0.26275], digits);
      close(out!.db.data, [-0.25], digits);
      close(out!.dAPrev!.data, [-0.125, 0.075, 0.125], digits);
      close(hidden!.delta.data, [-0.125, 0, 0.125], digits);
      close(hidden!.dW.data, [-0.125, -0.25, 0.125, 0, 0, 0, 0.125, 0.25, -0.125], digits);
      close(hidden!.db.data, [-0.125, 0, 0.125], digits);
      // the same numbers through gradients()
      const g = net.gradients([[1, 2, -1]], [[1]]);
      close(g.layers[0]!.dW.data, [-0.125, -0.25, 0.125, 0, 0, 0, 0.125, 0.25, -0.125], digits);
      close(g.layers[1]!.dW.data, [-0.2525725, 0, -0.26275], digits);
    });
  }

  it('shows the update W ← W − η·∂C/∂W when given η', () => {
    const net = new Network(3, [{ units: 3, activation: 'relu' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', dtype: 'float64', seed: 1 });
    setWeights(net, [
      { W: W1, b: [0, -0.5, 0.1] },
      { W: [[0.5, -0.3, -0.5]], b: [0.020355] },
    ]);
    const e = net.explain([[1, 2, -1]], [[1]], { learningRate: 2 });
    // W2 − 2·dC/dW2 = [0.5 + 0.505145, −0.3 − 0, −0.5 + 0.5255]
    close(e.layers[1]!.WNext!.data, [1.005145, -0.3, 0.0255]);
    // B2 − 2·(−0.25) = 0.020355 + 0.5
    close(e.layers[1]!.bNext!.data, [0.520355]);
    // explain does not change the network
    close(net.layers[1]!.W, [0.5, -0.3, -0.5]);
  });
});

describe('worked example 3: the shapes of Z = W·X', () => {
  it('a (3×4) weight matrix times a (4×1) input gives (3×1)', () => {
    // rows of W are w1..w4, w5..w8, w9..w12 = 1..12; x = [1, 0, −1, 2]:
    //   row 1: 1·1 + 2·0 + 3·(−1) + 4·2 = 6;  row 2: 5 − 7 + 16 = 14;  row 3: 9 − 11 + 24 = 22
    const net = new Network(4, [{ units: 3, activation: 'linear' }], { dtype: 'float64', seed: 1 });
    setWeights(net, [{ W: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], b: [0, 0, 0] }]);
    const e = net.explain([[1, 0, -1, 2]], [[0, 0, 0]]);
    expect(e.layers[0]!.W.shape).toEqual([3, 4]);
    expect(e.layers[0]!.aPrev.shape).toEqual([4, 1]);
    expect(e.layers[0]!.z.shape).toEqual([3, 1]);
    close(e.layers[0]!.z.data, [6, 14, 22]);
  });

  it('[10, 20, 30, 40]·[0, 1, 2, 3]ᵀ = 200', () => {
    // 10·0 + 20·1 + 30·2 + 40·3 = 0 + 20 + 60 + 120 = 200
    const c = new Float64Array(1);
    jsKernels.gemm(false, false, 1, 1, 4, 1, new Float64Array([10, 20, 30, 40]), new Float64Array([0, 1, 2, 3]), 0, c);
    expect(c[0]).toBe(200);
  });

  it('the outer product of [10, 20, 30, 40]ᵀ and [0, 1, 2, 3] is the 4×4 table', () => {
    // row i is 10·(i+1) times [0, 1, 2, 3]
    const c = new Float64Array(16);
    jsKernels.gemm(false, true, 4, 4, 1, 1, new Float64Array([10, 20, 30, 40]), new Float64Array([0, 1, 2, 3]), 0, c);
    expect(Array.from(c)).toEqual([0, 10, 20, 30, 0, 20, 40, 60, 0, 30, 60, 90, 0, 40, 80, 120]);
  });
});

describe('worked example 4: the cost gradient (2/n_L)(a − y) and batch averaging', () => {
  // One linear layer with W = 0, so a(L) = z = b = [0.2, 0.4, 0.6] for every sample; n_L = 3.
  function net3() {
    const net = new Network(2, [{ units: 3, activation: 'linear' }], { loss: 'mse', dtype: 'float64', seed: 1 });
    setWeights(net, [{ W: [[0, 0], [0, 0], [0, 0]], b: [0.2, 0.4, 0.6] }]);
    return net;
  }

  it('gives ∂C/∂a(L) = (2/n_L)(a − y) for a multi-output layer', () => {
    // y = [0, 1, 0]: a − y = [0.2, −0.6, 0.6]; (2/3)(a − y) = [0.4/3, −0.4, 0.4]
    // C = (1/3)(0.04 + 0.36 + 0.36) = 0.76/3
    const e = net3().explain([[1, 1]], [[0, 1, 0]]);
    expect(e.loss).toBeCloseTo(0.76 / 3, 14);
    close(e.layers[0]!.dA.data, [0.4 / 3, -0.4, 0.4], 14);
    close(e.layers[0]!.db.data, [0.4 / 3, -0.4, 0.4], 14); // linear: σ' = 1, so ∂C/∂b = ∂C/∂a
  });

  it('averages the gradient over the samples of a batch: ∂C/∂W = (1/N) Σ_k ∂C_k/∂W', () => {
    // sample 1: x = [1, 1], y = [0, 1, 0] → δ₁ = [0.4/3, −0.4, 0.4]
    // sample 2: x = [2, 0], y = [1, 0, 1] → a − y = [−0.8, 0.4, −0.4] → δ₂ = [−1.6/3, 0.8/3, −0.8/3]
    // ∂C/∂b = (δ₁ + δ₂)/2, entry by entry:
    //   entry 1: (0.4/3 − 1.6/3)/2 = −0.2;  entry 2: (−0.4 + 0.8/3)/2 = −0.2/3;  entry 3: (0.4 − 0.8/3)/2 = 0.2/3
    // ∂C/∂W row i = (δ₁ᵢ·[1, 1] + δ₂ᵢ·[2, 0])/2:
    //   row 1: (0.4/3 + 2·(−1.6/3), 0.4/3)/2 = (−2.8/3, 0.4/3)/2 = [−1.4/3, 0.2/3]
    //   row 2: (−0.4 + 1.6/3, −0.4)/2 = [0.2/3, −0.2]
    //   row 3: (0.4 − 1.6/3, 0.4)/2 = [−0.2/3, 0.2]
    const g = net3().gradients([[1, 1], [2, 0]], [[0, 1, 0], [1, 0, 1]]);
    close(g.layers[0]!.db.data, [-0.2, -0.2 / 3, 0.2 / 3], 14);
    close(g.layers[0]!.dW.data, [-1.4 / 3, 0.2 / 3, 0.2 / 3, -0.2, -0.2 / 3, 0.2], 14);
    // C = (C₁ + C₂)/2 = (0.76/3 + (0.64 + 0.16 + 0.16)/3)/2 = (0.76 + 0.96)/6
    expect(g.loss).toBeCloseTo(1.72 / 6, 14);
  });

  it('softmax cross-entropy gives δ(L) = a − y', () => {
    // z = b = [ln 1, ln 2, ln 5] → softmax = [1, 2, 5]/8; y = [0, 0, 1] → δ = [0.125, 0.25, −0.375]
    // C = −ln(5/8)
    const net = new Network(1, [{ units: 3, activation: 'softmax' }], { loss: 'cross-entropy', dtype: 'float64', seed: 1 });
    setWeights(net, [{ W: [[0], [0], [0]], b: [0, Math.log(2), Math.log(5)] }]);
    const e = net.explain([[1]], [2]);
    close(e.layers[0]!.a.data, [0.125, 0.25, 0.625], 14);
    close(e.layers[0]!.delta.data, [0.125, 0.25, -0.375], 14);
    expect(e.layers[0]!.deltaRule).toBe('fused');
    expect(e.loss).toBeCloseTo(-Math.log(5 / 8), 14);
    // ∂C/∂a = −y/a = [0, 0, −1/0.625]
    close(e.layers[0]!.dA.data, [0, 0, -1.6], 14);
  });
});
