/**
 * The network of a state as a configuration, and the same network as a few lines of code. (The
 * networks themselves are built in the worker, by network.ts: the page never loads the library's
 * network code with its WebAssembly.)
 */
import type { ActivationId } from '../../src/activations/index.js';
import type { LossId } from '../../src/losses/index.js';
import type { DenseSpec } from '../../src/nn/dense.js';
import type { EarlyStopping, Schedule } from '../../src/train/schedule.js';
import { featureLabel, type RunData } from './data.js';
import type { State } from './state.js';

/** A layer of the page's networks: always a built-in activation (its id goes into links and files). */
export interface PageLayer extends DenseSpec {
  activation: ActivationId;
}

export interface ModelConfig {
  inputs: number;
  layers: PageLayer[];
  /** the network-wide penalties on the weights */
  l1: number;
  l2: number;
  loss: LossId;
  init: State['init'];
  seed: number;
}

/** The output activation and library cost that go with the task and the chosen cost. */
export function outputOf(s: State, data: Pick<RunData, 'task' | 'outputs'>): { activation: ActivationId; loss: LossId } {
  if (data.task === 'regression') return { activation: 'linear', loss: 'mse' };
  if (data.outputs === 1) return { activation: 'sigmoid', loss: s.cost === 'cross-entropy' ? 'binary-cross-entropy' : 'mse' };
  // several classes: softmax with cross-entropy unless MSE is asked for (one sigmoid per class)
  return s.cost === 'mse' ? { activation: 'sigmoid', loss: 'mse' } : { activation: 'softmax', loss: 'cross-entropy' };
}

export function modelConfig(s: State, data: Pick<RunData, 'task' | 'outputs'>): ModelConfig {
  const out = outputOf(s, data);
  return {
    inputs: s.features.length,
    layers: [...s.hidden.map((units): PageLayer => ({ units, activation: s.activation, ...(s.dropout > 0 ? { dropout: s.dropout } : {}) })), { units: data.outputs, activation: out.activation }],
    l1: s.l1,
    l2: s.l2,
    loss: out.loss,
    init: s.init,
    seed: s.seed,
  };
}

export interface LayerWeights {
  W: Float32Array;
  b: Float32Array;
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
const num = (v: number): number => Number(v.toPrecision(9));

/** The page's schedules with their fixed parameters (the worker trains with the same). */
export function scheduleOf(name: State['schedule'], hasTest: boolean): Schedule | null {
  switch (name) {
    case 'step':
      return { kind: 'step', every: 50, factor: 0.5 };
    case 'exponential':
      return { kind: 'exponential', factor: 0.99 };
    case 'plateau':
      return { kind: 'plateau', patience: 20, factor: 0.5, monitor: hasTest ? 'valLoss' : 'loss' };
    case 'none':
      return null;
  }
}

/** Early stopping on the test loss (the training loss without a test set); the page keeps the last weights. */
export function earlyStoppingOf(patience: number, hasTest: boolean): EarlyStopping | null {
  return patience > 0 ? { monitor: hasTest ? 'valLoss' : 'loss', patience, restoreBest: false } : null;
}

/** The optimizer as code: its id, or the object with its weight decay. */
function optimizerCode(s: State): string {
  return s.weightDecay > 0 ? `optimizer('${s.optimizer}', { learningRate: ${s.learningRate}, weightDecay: ${s.weightDecay} })` : `'${s.optimizer}'`;
}

/** The fit options beyond the basic ones, as code (`yValidation`: the test targets as the network sees them). */
function fitExtras(s: State, hasTest: boolean, yValidation: string): string {
  const schedule = scheduleOf(s.schedule, hasTest);
  const stopping = earlyStoppingOf(s.patience, hasTest);
  const json = (o: object): string => JSON.stringify(o).replace(/"(\w+)":/g, '$1: ').replace(/"/g, "'").replace(/,/g, ', ');
  const watched = (schedule?.kind === 'plateau' && schedule.monitor === 'valLoss') || stopping?.monitor === 'valLoss';
  return `${s.clipNorm > 0 ? `, clipNorm: ${s.clipNorm}` : ''}${schedule ? `, schedule: ${json(schedule)}` : ''}${stopping ? `, earlyStopping: ${json(stopping)}` : ''}${watched ? `, validationData: [validation.x, ${yValidation}]` : ''}`;
}

export function codeOf(s: State, data: RunData, epochs: number, weights: readonly { W: ArrayLike<number>; b: ArrayLike<number> }[] | null = null): string {
  const c = modelConfig(s, data);
  const layers = c.layers.map((l) => `{ units: ${l.units}, activation: '${l.activation}'${l.dropout ? `, dropout: ${l.dropout}` : ''} }`).join(', ');
  const penalties = `${c.l1 ? `, l1: ${c.l1}` : ''}${c.l2 ? `, l2: ${c.l2}` : ''}`;
  const single = data.task === 'classification' && data.outputs === 1;
  const extra = fitExtras(s, data.test.length > 0, single ? 'validation.y.toArray().map((row) => row[1])' : 'validation.y');
  const plainXY = s.features.length === 2 && s.features[0] === 'x1' && s.features[1] === 'x2';
  const lines: string[] = [];
  if (s.dataset === 'wave') {
    lines.push('// the playground\'s wave set (web/src/data.ts): y = sin(πx₁)·cos(πx₂/2) + noise at uniform points of [−1, 1]²');
    lines.push(`const random = new Random(${s.seed});`);
    lines.push('const xs = [], ys = [];');
    lines.push(`for (let i = 0; i < ${s.samples}; i++) {`);
    lines.push('  const a = 2 * random.uniform() - 1, b = 2 * random.uniform() - 1;');
    lines.push(`  xs.push([a, b]);`);
    lines.push(`  ys.push([Math.sin(Math.PI * a) * Math.cos((Math.PI * b) / 2) + ${s.noise} * random.normal()]);`);
    lines.push('}');
    lines.push("const all = { name: 'wave', task: 'regression', x: Matrix.fromArray(xs), y: Matrix.fromArray(ys) };");
  } else if (s.dataset === 'custom') {
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
  lines.push(`const net = network([${c.inputs}, ${layers}], { loss: '${c.loss}', init: '${c.init}', seed: ${c.seed}${penalties} });`);
  if (weights) {
    // the page's weights are not what fit gives from the seed (typed in, an applied update, a
    // setting changed mid-run): the code sets them, and further training continues from them
    lines.push(`// the weights on the page at epoch ${epochs} (W is [out, in], row by row)`);
    weights.forEach((w, i) => {
      lines.push(`net.layers[${i}].W.set(${JSON.stringify(Array.from(w.W, num))});`);
      lines.push(`net.layers[${i}].b.set(${JSON.stringify(Array.from(w.b, num))});`);
    });
    lines.push(
      `// train on from here: await net.fit(x, y, { epochs: ${epochs + 100}, initialEpoch: ${epochs}, batchSize: ${s.batchSize}, optimizer: ${optimizerCode(s)}, learningRate: ${s.learningRate}, seed: ${s.seed}${extra} });`,
    );
  } else {
    lines.push(
      `await net.fit(x, y, { epochs: ${Math.max(1, epochs)}, batchSize: ${s.batchSize}, optimizer: ${optimizerCode(s)}, learningRate: ${s.learningRate}, seed: ${s.seed}${extra} });`,
    );
  }
  if (extra.includes('validationData')) lines.splice(lines.findIndex((l) => l.startsWith('const { train }')), 1, `const { train, validation } = trainValidationSplit(all, ${s.testRatio}, ${s.seed}); // the test set watches the run`);
  const imports = s.dataset === 'custom' ? ['Matrix', 'network', 'oneHot', 'trainValidationSplit'] : s.dataset === 'wave' ? ['Matrix', 'network', 'Random', 'trainValidationSplit'] : ['network', 'toyDataset', 'trainValidationSplit'];
  if (s.weightDecay > 0) imports.push('optimizer');
  imports.sort();
  return [`import { ${imports.join(', ')} } from 'backprop';`, '', ...lines].join('\n');
}
