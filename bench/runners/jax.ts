import { blockUntilReady, defaultDevice, grad, init as initJax, jit, nn, numpy as np, tree } from '@jax-js/jax';
import { availableParallelism } from 'node:os';
import { ADAM, activationOf, layerCount, type NetSpec } from '../nets.js';
import { kernelOf, type InitialWeights } from '../weights.js';
import type { CreateTrainer } from './types.js';

type Params = { w: np.Array[]; b: np.Array[] };

/**
 * jax-js on its wasm device, written as JAX users write a training loop: a pure loss function,
 * `grad`, and the whole step (gradient plus the optimizer's update) under one `jit`, so that
 * jax-js traces it once and replays fused wasm kernels. jax-js has no optimizer in this package
 * (@jax-js/optax is not installed), so SGD and Adam are written out as in the paper, with the bias
 * corrections computed outside the jitted step and passed in as scalar arrays (traced inputs, so
 * that the step's trace does not depend on t). The training set lives on the device
 * and each batch is gathered there with an index array, as in jax-js's own MNIST demo (gathering
 * on the host and uploading each batch measured the same).
 */
export const createJaxTrainer: CreateTrainer = async ({ spec, data, init }) => {
  await initJax('wasm');
  defaultDevice('wasm');
  const L = layerCount(spec);
  const xAll = np.array(data.train.x).reshape([data.train.count, data.inputs]);
  const yAll = np.array(data.train.y).reshape([data.train.count, data.outputs]);

  const forward = (p: Params, x: np.Array): np.Array => {
    let a = x;
    for (let l = 0; l < L; l++) {
      const z = np.dot(a, p.w[l]!).add(p.b[l]!);
      const act = activationOf(spec, l);
      a = act === 'relu' ? nn.relu(z) : act === 'sigmoid' ? nn.sigmoid(z) : act === 'tanh' ? np.tanh(z) : z;
    }
    return a;
  };
  // Same costs as backprop: MSE = mean over every output of every sample; cross-entropy = mean over the batch.
  const loss = (p: Params, x: np.Array, y: np.Array): np.Array => {
    const out = forward(p, x);
    if (spec.loss === 'mse') return np.square(out.sub(y)).mean();
    const n = y.shape[0]!;
    return nn.logSoftmax(out).mul(y).sum().mul(-1 / n);
  };
  const lr = spec.learningRate;
  const sgdStep = jit((p: Params, x: np.Array, y: np.Array): Params => {
    const g = grad(loss)(tree.ref(p), x, y) as Params;
    return tree.map((w: np.Array, dw: np.Array) => w.sub(dw.mul(lr)), p, g) as Params;
  });
  const { beta1, beta2, epsilon } = ADAM;
  // c1 = 1/(1−β1^t), c2 = 1/(1−β2^t): θ ← θ − η·(c1·m)/(√(c2·v) + ε), the form backprop, TF.js and PyTorch use.
  const adamStep = jit((p: Params, m: Params, v: Params, x: np.Array, y: np.Array, c1: np.Array, c2: np.Array): [Params, Params, Params] => {
    const g = grad(loss)(tree.ref(p), x, y) as Params;
    const m2 = tree.map((mi: np.Array, gi: np.Array) => mi.mul(beta1).add(gi.mul(1 - beta1)), m, tree.ref(g)) as Params;
    const v2 = tree.map((vi: np.Array, gi: np.Array) => vi.mul(beta2).add(np.square(gi).mul(1 - beta2)), v, g) as Params;
    const p2 = tree.map(
      (pi: np.Array, mi: np.Array, vi: np.Array) => pi.sub(mi.mul(c1.ref).mul(lr).div(np.sqrt(vi.mul(c2.ref)).add(epsilon))),
      p,
      tree.ref(m2),
      tree.ref(v2),
    ) as Params;
    c1.dispose();
    c2.dispose();
    return [p2, m2, v2];
  });
  const predictJit = jit((p: Params, x: np.Array): np.Array => {
    const out = forward(p, x);
    return spec.output === 'softmax' ? nn.softmax(out, -1) : out;
  });

  let params = initialParams(spec, init);
  let adam = freshAdam(spec);
  return {
    backend: 'wasm',
    threads: jaxThreads(),
    loop: 'jit(whole step: grad(loss) + hand-written SGD/Adam update), batches gathered on the device by index',
    async train(batches, steps, fullOnly) {
      for (let s = 0; s < steps; s++) {
        const { start, size } = batches.take(fullOnly);
        const idx = np.array(batches.order.subarray(start, start + size), { dtype: np.int32 });
        const x = xAll.ref.slice(idx.ref);
        const y = yAll.ref.slice(idx);
        if (spec.optimizer === 'sgd') {
          params = sgdStep(params, x, y);
        } else {
          adam.t++;
          const c1 = np.array(1 / (1 - beta1 ** adam.t));
          const c2 = np.array(1 / (1 - beta2 ** adam.t));
          [params, adam.m, adam.v] = adamStep(params, adam.m, adam.v, x, y, c1, c2);
        }
        // Waiting for every step, as jax-js's MNIST demo does: letting steps queue up measured 3-4×
        // slower at batch 4 and 10 (the jax-js README also asks for regular waits).
        await blockUntilReady(params);
      }
    },
    async predict(x, rows) {
      const out = predictJit(tree.ref(params), np.array(x).reshape([rows, data.inputs]));
      return (await out.data()) as Float32Array;
    },
    async reset() {
      tree.dispose(params);
      tree.dispose([adam.m, adam.v]);
      params = initialParams(spec, init);
      adam = freshAdam(spec);
    },
    dispose() {
      tree.dispose(params);
      tree.dispose([adam.m, adam.v]);
      xAll.dispose();
      yAll.dispose();
      sgdStep.dispose();
      adamStep.dispose();
      predictJit.dispose();
    },
  };
};

function initialParams(spec: NetSpec, init: InitialWeights): Params {
  const w: np.Array[] = [];
  const b: np.Array[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const k = kernelOf(spec, init, l);
    w.push(np.array(k.data).reshape(k.shape));
    b.push(np.array(init.b[l]!));
  }
  return { w, b };
}

/** Adam's moments start at zero; SGD never touches them. */
function freshAdam(spec: NetSpec): { m: Params; v: Params; t: number } {
  const zeros = (): Params => ({
    w: spec.sizes.slice(1).map((units, l) => np.zeros([spec.sizes[l]!, units])),
    b: spec.sizes.slice(1).map((units) => np.zeros([units])),
  });
  return spec.optimizer === 'adam' ? { m: zeros(), v: zeros(), t: 0 } : { m: { w: [], b: [] }, v: { w: [], b: [] }, t: 0 };
}

/** jax-js starts wasm worker threads only where Web Workers and SharedArrayBuffer both exist (not Node 20). */
function jaxThreads(): number {
  const g = globalThis as { Worker?: unknown; SharedArrayBuffer?: unknown };
  return g.Worker !== undefined && g.SharedArrayBuffer !== undefined ? availableParallelism() : 1;
}
