import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationId } from '../../src/activations/index.js';
import type { LossId } from '../../src/losses/index.js';
import { Network } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';

/**
 * An independent reference: the same network written directly in TensorFlow.js ops and
 * differentiated by its autodiff (tf.grads) must give our loss and gradients.
 */
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tfActivation(id: string, z: tf.Tensor2D): tf.Tensor2D {
  switch (id) {
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'relu':
      return tf.relu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'leaky-relu':
      return tf.leakyRelu(z, 0.01);
    case 'linear':
      return z;
    case 'softmax':
      return tf.softmax(z);
    case 'elu':
      return tf.elu(z);
    case 'softplus':
      return tf.softplus(z);
    case 'silu':
      return tf.mul(z, tf.sigmoid(z));
    case 'gelu':
      return tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
  }
  throw new Error(`no TF.js form for ${id}`);
}

const CASES: { layers: [number, ActivationId][]; loss: LossId }[] = [
  { layers: [[5, 'relu'], [3, 'softmax']], loss: 'cross-entropy' },
  { layers: [[5, 'elu'], [4, 'gelu'], [3, 'softmax']], loss: 'cross-entropy' },
  { layers: [[5, 'softplus'], [4, 'silu'], [2, 'sigmoid']], loss: 'mse' },
  { layers: [[6, 'sigmoid'], [4, 'tanh'], [2, 'sigmoid']], loss: 'mse' },
  { layers: [[4, 'leaky-relu'], [3, 'sigmoid']], loss: 'binary-cross-entropy' },
  { layers: [[7, 'tanh'], [3, 'softmax']], loss: 'mse' },
];

describe('gradients agree with TensorFlow.js autodiff', () => {
  CASES.forEach(({ layers, loss }, c) => {
    it(`${layers.map(([u, a]) => `${u} ${a}`).join(' → ')} with ${loss}`, () => {
      const inputs = 4;
      const n = 6;
      const net = new Network(inputs, layers.map(([units, activation]) => ({ units, activation })), { loss, seed: 20 + c, init: 'normal' });
      const rng = new Random(c);
      const x = Matrix.zeros(n, inputs);
      for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
      const outputs = layers[layers.length - 1]![0];
      const y = Matrix.zeros(n, outputs);
      for (let k = 0; k < n; k++) {
        if (loss === 'cross-entropy') y.data[k * outputs + rng.int(outputs)] = 1;
        else for (let i = 0; i < outputs; i++) y.data[k * outputs + i] = loss === 'mse' ? rng.normal() : rng.uniform();
      }
      const ours = net.gradients(x, y);

      const params = net.layers.flatMap((l) => [tf.tensor2d(Float32Array.from(l.W), [l.units, l.inputs]), tf.tensor1d(Float32Array.from(l.b))]);
      const tx = tf.tensor2d(Float32Array.from(x.data), [n, inputs]);
      const ty = tf.tensor2d(Float32Array.from(y.data), [n, outputs]);
      const cost = (...p: tf.Tensor[]): tf.Scalar => {
        let a = tx as tf.Tensor2D;
        let z = a;
        net.layers.forEach((l, i) => {
          // samples are rows here: z = a·Wᵀ + b
          z = tf.add(tf.matMul(a, p[2 * i] as tf.Tensor2D, false, true), p[2 * i + 1]!) as tf.Tensor2D;
          a = tfActivation(l.act.id, z);
        });
        if (loss === 'mse') return tf.losses.meanSquaredError(ty, a) as tf.Scalar;
        if (loss === 'cross-entropy') return tf.losses.softmaxCrossEntropy(ty, z) as tf.Scalar;
        return tf.losses.sigmoidCrossEntropy(ty, z) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(cost)(params);
      expect(ours.loss).toBeCloseTo(value.dataSync()[0]!, 5);
      net.layers.forEach((_, i) => {
        const dW = grads[2 * i]!.dataSync();
        const db = grads[2 * i + 1]!.dataSync();
        ours.layers[i]!.dW.data.forEach((v, j) => expect(v).toBeCloseTo(dW[j]!, 5));
        ours.layers[i]!.db.data.forEach((v, j) => expect(v).toBeCloseTo(db[j]!, 5));
      });
    });
  });
});
