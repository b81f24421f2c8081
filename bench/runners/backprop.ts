import { createKernelsSync } from '../../src/kernels/index.js';
import type { Kernels } from '../../src/kernels/types.js';
import type { Network } from '../../src/network.js';
import type { Optimizer } from '../../src/optimizers/index.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { scheduledRate } from '../../src/train/schedule.js';
import { buildNetwork, buildOptimizer } from '../weights.js';
import type { Job } from '../protocol.js';
import type { Trainer, TrainerContext } from './types.js';

/** The backprop runner, with the network and optimizer it built in view (for the bench's tests). */
export interface BackpropTrainer extends Trainer {
  readonly net: Network;
  readonly optimizer: Optimizer;
}

/**
 * backprop: the step of `Network.fit` (its public Trainer) without fit's bookkeeping (callbacks,
 * yielding to the event loop): gather the batch, forward, cost, backward and the optimizer step.
 * Weights, batch buffers and optimizer state are allocated once. The kernels are chosen as users
 * choose them: `network(..., {backend, threads})`. A toolkit net is built by the same helpers
 * (dropout in its layer specs, weight decay in its optimizer) and steps through the same call.
 */
export async function createBackpropTrainer({ spec, data, init, job, prepared }: TrainerContext): Promise<BackpropTrainer> {
  const backend = job.backend === 'wasm' ? 'wasm' : 'js';
  const net = buildNetwork(spec, job.seed, (prepared as Kernels | undefined) ?? { backend, threads: job.threads });
  // as fit does: on the wasm kernels, batches are gathered from the kernels' memory, where the
  // training set was loaded (prepare), so nothing is copied; a set elsewhere would be copied there
  // (the input's zeros: skipped when the training set is mostly zeros, unless the row forces a way)
  const sparseInput = job.input === undefined ? 'auto' : job.input === 'sparse';
  const trainer = net.trainer(new Matrix(data.train.count, data.inputs, data.train.x), new Matrix(data.train.count, data.outputs, data.train.y), buildOptimizer(spec), { sparseInput });
  const kernels = net.kernels as typeof net.kernels & { threads?: number; dispose?: () => void };
  const schedule = spec.toolkit?.schedule;
  return {
    backend: job.input ? `${kernels.name} ${job.input}` : kernels.name,
    threads: kernels.threads ?? 1,
    loop: 'net.trainer once (stages the set), then trainer.step per batch (the step of net.fit)',
    net,
    get optimizer() {
      return trainer.optimizer;
    },
    async train(batches, steps, fullOnly) {
      for (let s = 0; s < steps; s++) {
        const { start, size } = batches.take(fullOnly);
        trainer.step(batches.order, start, size);
      }
    },
    // fit's own rate function, so the accuracy run's η per epoch is exactly fit's
    ...(schedule && {
      startEpoch(epoch: number, epochs: number) {
        trainer.optimizer.learningRate = scheduledRate(schedule, spec.learningRate, epoch, epochs, spec.learningRate);
      },
    }),
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
}

/**
 * The wasm rows make their kernels before the data set is loaded, and the loader writes the
 * training images straight into the kernels' memory (as the CLI does): one copy of the data.
 */
createBackpropTrainer.prepare = (job: Job) => {
  if (job.backend !== 'wasm') return undefined;
  const kernels = createKernelsSync({ backend: 'wasm', threads: job.threads });
  return { alloc: (length: number) => kernels.alloc(length), prepared: kernels };
};
