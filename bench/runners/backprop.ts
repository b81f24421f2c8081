import { Matrix } from '../../src/tensor/matrix.js';
import { buildNetwork, buildOptimizer } from '../weights.js';
import type { CreateTrainer } from './types.js';

/**
 * backprop: the step of `Network.fit` (its public Trainer) without fit's bookkeeping (callbacks,
 * yielding to the event loop): gather the batch, forward, cost, backward and the optimizer step.
 * Weights, batch buffers and optimizer state are allocated once. The kernels are chosen as users
 * choose them: `network(..., {backend, threads})`.
 */
export const createBackpropTrainer: CreateTrainer = async ({ spec, data, init, job }) => {
  const backend = job.backend === 'wasm' ? 'wasm' : 'js';
  const net = buildNetwork(spec, job.seed, { backend, threads: job.threads });
  // as fit does: on the wasm kernels, batches are gathered from a copy in the kernels' memory
  const trainer = net.trainer(new Matrix(data.train.count, data.inputs, data.train.x), new Matrix(data.train.count, data.outputs, data.train.y), buildOptimizer(spec));
  const kernels = net.kernels as typeof net.kernels & { threads?: number; dispose?: () => void };
  return {
    backend: kernels.name,
    threads: kernels.threads ?? 1,
    loop: 'net.trainer once (stages the set), then trainer.step per batch (the step of net.fit)',
    async train(batches, steps, fullOnly) {
      for (let s = 0; s < steps; s++) {
        const { start, size } = batches.take(fullOnly);
        trainer.step(batches.order, start, size);
      }
    },
    async predict(x, rows) {
      return net.predict(new Matrix(rows, data.inputs, x)).data as Float32Array;
    },
    async reset() {
      // The layers' W and b are live arrays (in the kernels' memory for wasm): write into them.
      net.layers.forEach((layer, l) => {
        layer.W.set(init.W[l]!);
        layer.b.set(init.b[l]!);
      });
      trainer.optimizer = buildOptimizer(spec);
    },
    dispose() {
      kernels.dispose?.();
    },
  };
};
