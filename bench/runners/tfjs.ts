import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ADAM, activationOf, layerCount, type NetSpec } from '../nets.js';
import { kernelOf } from '../weights.js';
import type { CreateTrainer } from './types.js';

/**
 * TensorFlow.js, 'cpu' (pure JavaScript) or 'wasm' (XNNPACK) backend. Chosen loop, the fastest of
 * the idiomatic ones we tried: the core API's custom training loop — weights as tf.variable,
 * tf.fused.matMul (what tf.layers.dense runs; in gradient mode TF.js unfuses non-linear
 * activations by itself), `optimizer.minimize(loss, false)` inside tf.tidy, the training set
 * resident in the backend and each batch taken with tf.gather. `model.fit` was slower (per-batch
 * callbacks and awaits), and so was `model.apply` on a tf.sequential.
 */
export const createTfjsTrainer: CreateTrainer = async ({ spec, data, init, job }) => {
  const threads = await selectBackend(job.backend);
  const L = layerCount(spec);
  const kernels = Array.from({ length: L }, (_, l) => {
    const k = kernelOf(spec, init, l);
    return tf.variable(tf.tensor2d(k.data, k.shape), true, `w${l}`);
  });
  const biases = Array.from({ length: L }, (_, l) => tf.variable(tf.tensor1d(init.b[l]!), true, `b${l}`));
  const variables = [...kernels, ...biases];
  const xAll = tf.tensor2d(data.train.x, [data.train.count, data.inputs]);
  const yAll = tf.tensor2d(data.train.y, [data.train.count, data.outputs]);
  let optimizer = makeOptimizer(spec);

  /** The output layer's pre-softmax values (logits) for cross-entropy, its activations otherwise. */
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    let a = x;
    for (let l = 0; l < L; l++) {
      const act = activationOf(spec, l);
      const fused = act === 'sigmoid' || act === 'relu' ? act : 'linear';
      a = tf.fused.matMul({ a, b: kernels[l]!, bias: biases[l]!, activation: fused }) as tf.Tensor2D;
      if (act === 'tanh') a = tf.tanh(a) as tf.Tensor2D;
    }
    return a;
  };
  const loss = (y: tf.Tensor2D, out: tf.Tensor2D): tf.Scalar =>
    spec.loss === 'cross-entropy' ? tf.losses.softmaxCrossEntropy(y, out) : tf.losses.meanSquaredError(y, out);

  return {
    backend: job.backend,
    threads,
    loop: 'tf.tidy(() => optimizer.minimize(() => loss(yb, forward(xb)), false)) with tf.variable weights, tf.fused.matMul, batches by tf.gather',
    async train(batches, steps, fullOnly) {
      for (let s = 0; s < steps; s++) {
        const { start, size } = batches.take(fullOnly);
        tf.tidy(() => {
          const idx = tf.tensor1d(batches.order.subarray(start, start + size), 'int32');
          const xb = tf.gather(xAll, idx);
          const yb = tf.gather(yAll, idx);
          optimizer.minimize(() => loss(yb, forward(xb)), false, variables);
        });
      }
      // Both backends run each op before returning: nothing is left queued here.
    },
    async predict(x, rows) {
      const out = tf.tidy(() => {
        const y = forward(tf.tensor2d(x, [rows, data.inputs]));
        return spec.output === 'softmax' ? tf.softmax(y) : y;
      });
      const values = (await out.data()) as Float32Array;
      out.dispose();
      return values;
    },
    async reset() {
      for (let l = 0; l < L; l++) {
        const k = kernelOf(spec, init, l);
        tf.tidy(() => {
          kernels[l]!.assign(tf.tensor2d(k.data, k.shape));
          biases[l]!.assign(tf.tensor1d(init.b[l]!));
        });
      }
      optimizer.dispose();
      optimizer = makeOptimizer(spec);
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([...variables, xAll, yAll]);
    },
  };
};

function makeOptimizer(spec: NetSpec): tf.Optimizer {
  return spec.optimizer === 'adam'
    ? tf.train.adam(spec.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon)
    : tf.train.sgd(spec.learningRate);
}

/** Sets the backend and returns its thread count (TF.js wasm runs one thread in Node: no Web Workers). */
async function selectBackend(backend: string): Promise<number> {
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the backend must be told where its .wasm files are: the package's dist directory.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js could not initialise its wasm backend');
    await tf.ready();
    return wasm.getThreadsCount();
  }
  if (backend !== 'cpu') throw new Error(`unknown TF.js backend ${backend}`);
  if (!(await tf.setBackend('cpu'))) throw new Error('TF.js could not initialise its cpu backend');
  await tf.ready();
  return 1;
}
