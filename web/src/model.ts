/**
 * The network of a state, built with the library, and the same network as a few lines of code.
 */
import type { ActivationId } from '../../src/activations/index.js';
import type { LossId } from '../../src/losses/index.js';
import { jsKernels, type Kernels } from '../../src/kernels/index.js';
import type { DenseSpec } from '../../src/nn/dense.js';
import { network, type Network } from '../../src/network.js';
import { featureLabel, type RunData } from './data.js';
import type { State } from './state.js';

export interface ModelConfig {
  inputs: number;
  layers: DenseSpec[];
  loss: LossId;
  init: State['init'];
  seed: number;
}

/** The output activation and library cost that go with the task and the chosen cost. */
export function outputOf(s: State, data: Pick<RunData, 'task' | 'outputs'>): { activation: ActivationId; loss: LossId } {
  if (data.task === 'regression') return { activation: 'linear', loss: 'mse' };
  if (data.outputs === 1) return { activation: 'sigmoid', loss: s.cost === 'mse' ? 'mse' : 'binary-cross-entropy' };
  return s.cost === 'mse' ? { activation: 'sigmoid', loss: 'mse' } : { activation: 'softmax', loss: 'cross-entropy' };
}

export function modelConfig(s: State, data: Pick<RunData, 'task' | 'outputs'>): ModelConfig {
  const out = outputOf(s, data);
  return {
    inputs: s.features.length,
    layers: [...s.hidden.map((units): DenseSpec => ({ units, activation: s.activation })), { units: data.outputs, activation: out.activation }],
    loss: out.loss,
    init: s.init,
    seed: s.seed,
  };
}

/** The network of a configuration, on the given kernels (the training worker's; default: the library's choice). */
export function buildNetwork(c: ModelConfig, kernels?: Kernels): Network {
  return network([c.inputs, ...c.layers], { loss: c.loss, init: c.init, seed: c.seed, kernels });
}

export interface LayerWeights {
  W: Float32Array;
  b: Float32Array;
}

/**
 * A network of this configuration holding the given weights (for explain, exports), on the
 * JavaScript kernels: the page makes one per explained point, and these need no memory of their own.
 */
export function networkWithWeights(c: ModelConfig, weights: readonly LayerWeights[]): Network {
  const net = network([c.inputs, ...c.layers], { loss: c.loss, init: 'zeros', seed: c.seed, kernels: jsKernels });
  net.layers.forEach((l, i) => {
    l.W.set(weights[i]!.W);
    l.b.set(weights[i]!.b);
  });
  return net;
}

const FEATURE_CODE: Record<string, string> = {
  x1: 'a',
  x2: 'b',
  x1sq: 'a * a',
  x2sq: 'b * b',
  x1x2: 'a * b',
  sinx1: 'Math.sin(Math.PI * a)',
  sinx2: 'Math.sin(Math.PI * b)',
};

/**
 * The library calls that rebuild and train the same network on the same data; `epochs` of them
 * give the same weights as the page after that many epochs (same seeds, same shuffling).
 */
export function codeOf(s: State, data: RunData, epochs: number): string {
  const c = modelConfig(s, data);
  const layers = c.layers.map((l) => `{ units: ${l.units}, activation: '${l.activation}' }`).join(', ');
  const plainXY = s.features.length === 2 && s.features[0] === 'x1' && s.features[1] === 'x2';
  const lines: string[] = [];
  if (s.dataset === 'custom') {
    lines.push(`// your ${s.points.length} points as [x1, x2, class]`);
    lines.push(`const points = ${JSON.stringify(s.points.map((p) => [p.x1, p.x2, p.label]))};`);
    lines.push(`const classes = ${data.classes};`);
    lines.push(`const all = { name: 'custom', task: 'classification', x: Matrix.fromArray(points.map((p) => [p[0], p[1]])), y: oneHot(points.map((p) => p[2]), classes) };`);
  } else {
    const opts = [`samples: ${s.samples}`, `noise: ${s.noise}`, `seed: ${s.seed}`];
    if (s.dataset === 'blobs') opts.push(`classes: ${s.classes}`);
    lines.push(`const all = toyDataset('${s.dataset}', { ${opts.join(', ')} });`);
  }
  lines.push(`const { train } = trainValidationSplit(all, ${s.testRatio}, ${s.seed}); // the rest is the test set`);
  if (plainXY) lines.push('const x = train.x;');
  else {
    lines.push(`// inputs: ${s.features.map(featureLabel).join(', ')}`);
    lines.push(`const x = train.x.toArray().map(([a, b]) => [${s.features.map((f) => FEATURE_CODE[f]).join(', ')}]);`);
  }
  if (data.task === 'classification' && data.outputs === 1) lines.push('const y = train.y.toArray().map((row) => row[1]); // one sigmoid output: the class');
  else lines.push('const y = train.y;');
  lines.push(`const net = network([${c.inputs}, ${layers}], { loss: '${c.loss}', init: '${c.init}', seed: ${c.seed} });`);
  lines.push(
    `await net.fit(x, y, { epochs: ${Math.max(1, epochs)}, batchSize: ${s.batchSize}, optimizer: '${s.optimizer}', learningRate: ${s.learningRate}, seed: ${s.seed} });`,
  );
  const imports = s.dataset === 'custom' ? ['Matrix', 'network', 'oneHot', 'trainValidationSplit'] : ['network', 'toyDataset', 'trainValidationSplit'];
  return [`import { ${imports.join(', ')} } from 'backprop';`, '', ...lines].join('\n');
}
