/** The networks of a configuration, built with the library (in the worker only). */
import { jsKernels, type Kernels } from '../../src/kernels/index.js';
import { network, type Network } from '../../src/network.js';
import type { LayerWeights, ModelConfig } from './model.js';

/** The network of a configuration, on the given kernels (the training worker's; default: the library's choice). */
export function buildNetwork(c: ModelConfig, kernels?: Kernels): Network {
  return network([c.inputs, ...c.layers], { loss: c.loss, init: c.init, seed: c.seed, kernels, l1: c.l1, l2: c.l2 });
}

/**
 * A network of this configuration holding the given weights (for explain, exports), on the
 * JavaScript kernels: the worker makes one per explained point or download, and these need no
 * memory of their own.
 */
export function networkWithWeights(c: ModelConfig, weights: readonly LayerWeights[]): Network {
  const net = network([c.inputs, ...c.layers], { loss: c.loss, init: 'zeros', seed: c.seed, kernels: jsKernels, l1: c.l1, l2: c.l2 });
  net.layers.forEach((l, i) => {
    l.W.set(weights[i]!.W);
    l.b.set(weights[i]!.b);
  });
  return net;
}

