/**
 * The training toolkit's settings (issue 12) in train.py, from hand-written model metadata: every
 * activation, optimizer, penalty, decay, clipping and schedule the model file may record is run by
 * PyTorch in float64 and compared with a reference written here from the rules alone: forward
 * passes from the activation formulas, gradients by central differences, updates as the rules say.
 *
 * Tolerance 1e-8: central differences with h = 1e-6 in float64 err by ≈ ε·|C|/h ≈ 1e-10 per
 * gradient entry (and h²·C''' below that); RMSprop and Adam divide by √v ≈ |g| and so carry that
 * error relative to the gradient. Measured: at most 2.2e-10 over the runs here, whatever
 * h in 1e-4..1e-7 (a float32 rounding anywhere would show as ≈ 1e-8, as it did once: initial
 * weights copied into float32 modules). The clip thresholds are below the gradients of every step,
 * so both clippings act. Each test also checks that the weights moved by ≥ 1e-3, and one control
 * run with the gelu swapped for tanh must miss the reference by more than 100× the tolerance.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from '../../src/io/model-file.js';
import { dataToBytes } from '../../src/io/pytorch-files.js';
import { toPytorch, type PytorchLayer, type PytorchModel, type TrainingRecord } from '../../src/io/pytorch.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { Matrix, Random } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const run = promisify(execFile);
const ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
const TOLERANCE = 1e-8;

// ---- the reference, from the rules ----------------------------------------------------------------

/** erf by its Maclaurin series: exact to ≈ 1e-14 for |x| ≤ 3 (every z here is far smaller; checked). */
function erf(x: number): number {
  if (Math.abs(x) > 3) throw new Error(`erf(${x}): the series is only used for |x| ≤ 3`);
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const F: Record<string, (z: number, alpha?: number) => number> = {
  linear: (z) => z,
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  elu: (z, alpha = 1) => (z > 0 ? z : alpha * (Math.exp(z) - 1)),
  gelu: (z) => (z / 2) * (1 + erf(z / Math.SQRT2)),
  softplus: (z) => Math.log1p(Math.exp(z)),
  silu: (z) => z / (1 + Math.exp(-z)),
  swish: (z) => z / (1 + Math.exp(-z)),
};

interface Layer {
  W: Float64Array;
  b: Float64Array;
  units: number;
  inputs: number;
  spec: PytorchLayer;
}

/** C = mean over samples of the sample cost, plus l1·Σ|W| + l2·ΣW² per layer. */
function cost(layers: Layer[], loss: string, x: number[][], y: number[][]): number {
  let total = 0;
  for (let k = 0; k < x.length; k++) {
    let a = x[k]!;
    let z: number[] = [];
    for (const l of layers) {
      z = Array.from({ length: l.units }, (_, u) => l.b[u]! + a.reduce((s, v, j) => s + l.W[u * l.inputs + j]! * v, 0));
      const act = l.spec.activation!;
      a = act === 'softmax' ? softmax(z) : z.map((v) => F[act]!(v, l.spec.alpha));
    }
    const t = y[k]!;
    if (loss === 'mse') total += a.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0) / a.length;
    if (loss === 'cross-entropy') total -= t.reduce((s, v, i) => s + v * Math.log(a[i]!), 0);
    if (loss === 'binary-cross-entropy') total -= t.reduce((s, v, i) => s + v * Math.log(a[i]!) + (1 - v) * Math.log(1 - a[i]!), 0) / a.length;
    for (const v of z) if (Math.abs(v) > 3) throw new Error('keep |z| ≤ 3 (see erf)');
  }
  let penalty = 0;
  for (const l of layers) for (const w of l.W) penalty += (l.spec.l1 ?? 0) * Math.abs(w) + (l.spec.l2 ?? 0) * w * w;
  return total / x.length + penalty;
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((p, v) => p + v, 0);
  return e.map((v) => v / s);
}

/** ∂C/∂θ for every parameter array, by central differences. */
function gradients(layers: Layer[], loss: string, x: number[][], y: number[][]): Float64Array[] {
  const h = 1e-6;
  return layers.flatMap((l) =>
    [l.W, l.b].map((theta) =>
      theta.map((v, i) => {
        theta[i] = v + h;
        const up = cost(layers, loss, x, y);
        theta[i] = v - h;
        const down = cost(layers, loss, x, y);
        theta[i] = v;
        return (up - down) / (2 * h);
      }),
    ),
  );
}

/** The factor of η in epoch e, as the schedules are defined (warm-up rises linearly to η). */
function rateFactor(t: TrainingRecord, e: number): number {
  const s = t.schedule;
  if (!s || s.kind === 'plateau') return 1;
  const warmup = s.warmupEpochs ?? 0;
  if (e < warmup) return (e + 1) / warmup;
  const k = e - warmup;
  if (s.kind === 'step') return s.factor ** Math.floor(k / s.every);
  if (s.kind === 'exponential') return s.factor ** k;
  const min = (s.minLearningRate ?? 0) / t.optimizer.learningRate;
  return min + ((1 - min) * (1 + Math.cos((Math.PI * k) / (t.epochs - warmup)))) / 2;
}

/** Full-batch training by the rules: one step per epoch on all samples. */
function reference(layers: Layer[], loss: string, t: TrainingRecord, x: number[][], y: number[][]): void {
  const o = t.optimizer;
  const params = layers.flatMap((l) => [l.W, l.b]);
  const slots = params.map((p) => ({ m: new Float64Array(p.length), v: new Float64Array(p.length) }));
  const s = t.schedule;
  // plateau (monitor 'loss', the epoch's cost before its one step): η ← η·factor once `patience` epochs in a row did not beat the best by more than minDelta
  const plateau = { rate: 1, best: Infinity, wait: 0 };
  // early stopping (monitor 'loss'): stop once `patience` epochs in a row did not beat the best by more than minDelta; restoreBest keeps the weights at the end of the best epoch
  const stopping = { best: Infinity, wait: 0, weights: null as Float64Array[] | null };
  for (let e = 0; e < t.epochs; e++) {
    const eta = o.learningRate * (s?.kind === 'plateau' ? plateau.rate : rateFactor(t, e));
    const before = cost(layers, loss, x, y);
    const g = gradients(layers, loss, x, y);
    // each entry into ±clipValue, then the global norm down to clipNorm
    if (t.clipValue !== undefined) for (const gi of g) gi.forEach((v, i) => (gi[i] = Math.max(-t.clipValue!, Math.min(t.clipValue!, v))));
    if (t.clipNorm !== undefined) {
      const norm = Math.sqrt(g.reduce((s, gi) => s + gi.reduce((q, v) => q + v * v, 0), 0));
      if (norm > t.clipNorm) for (const gi of g) gi.forEach((v, i) => (gi[i] = (v * t.clipNorm!) / norm));
    }
    params.forEach((theta, p) => {
      const isWeight = p % 2 === 0;
      // decoupled weight decay, weights only: θ ← θ − η·λ·θ
      if (isWeight && o.weightDecay) theta.forEach((v, i) => (theta[i] = v - eta * o.weightDecay! * v));
      const { m, v } = slots[p]!;
      theta.forEach((_, i) => {
        const gi = g[p]![i]!;
        if (o.id === 'sgd') theta[i]! -= eta * gi;
        if (o.id === 'momentum') {
          v[i] = o.momentum! * v[i]! + gi;
          theta[i]! -= eta * (o.nesterov ? gi + o.momentum! * v[i]! : v[i]!);
        }
        if (o.id === 'rmsprop') {
          v[i] = o.rho! * v[i]! + (1 - o.rho!) * gi * gi;
          theta[i]! -= (eta * gi) / (Math.sqrt(v[i]!) + o.epsilon!);
        }
        if (o.id === 'adam') {
          const [b1, b2] = [o.beta1 ?? 0.9, o.beta2 ?? 0.999];
          m[i] = b1 * m[i]! + (1 - b1) * gi;
          v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
          theta[i]! -= (eta * (m[i]! / (1 - b1 ** (e + 1)))) / (Math.sqrt(v[i]! / (1 - b2 ** (e + 1))) + (o.epsilon ?? 1e-8));
        }
      });
    });
    const es = t.earlyStopping;
    if (es) {
      if (before < stopping.best - (es.minDelta ?? 0)) {
        stopping.best = before;
        stopping.wait = 0;
        stopping.weights = params.map((p) => p.slice());
      } else if (++stopping.wait >= es.patience) {
        break;
      }
    }
    if (s?.kind === 'plateau') {
      if (before < plateau.best - (s.minDelta ?? 0)) {
        plateau.best = before;
        plateau.wait = 0;
      } else if (++plateau.wait >= s.patience) {
        plateau.rate = Math.max((s.minLearningRate ?? 0) / o.learningRate, plateau.rate * s.factor);
        plateau.wait = 0;
      }
    }
  }
  if (t.earlyStopping && stopping.weights) params.forEach((p, k) => p.set(stopping.weights![k]!));
}

// ---- the runs ---------------------------------------------------------------------------------------

interface Case {
  label: string;
  inputs: number;
  layers: PytorchLayer[];
  loss: string;
  training: TrainingRecord;
  /** The expected lines of the generated network and optimizer. */
  code: string[];
  /** A line train.py must print (where the weights alone cannot tell). */
  prints?: string;
}

const CASES: Case[] = [
  {
    label: 'gelu, l2, RMSprop with weight decay, clipNorm, step schedule with warm-up',
    inputs: 3,
    layers: [{ units: 4, activation: 'gelu', l2: 0.01 }, { units: 2, activation: 'linear' }],
    loss: 'mse',
    training: { optimizer: { id: 'rmsprop', learningRate: 0.01, rho: 0.9, epsilon: 1e-8, weightDecay: 0.05 }, batchSize: 6, epochs: 3, clipNorm: 0.05, schedule: { kind: 'step', every: 1, factor: 0.5, warmupEpochs: 1 } },
    code: ['nn.GELU()', 'torch.optim.RMSprop(groups, lr=0.01, alpha=0.9, eps=1e-8, centered=False)', 'WEIGHT_DECAY = 0.05', 'CLIP_NORM = 0.05', 'PENALTIES = {"0": [0, 0.01]}'],
  },
  {
    label: 'elu, softplus, l1, Nesterov momentum with weight decay, clipValue, exponential schedule',
    inputs: 3,
    layers: [{ units: 4, activation: 'elu', l1: 0.01 }, { units: 3, activation: 'softplus' }, { units: 2, activation: 'softmax' }],
    loss: 'cross-entropy',
    training: { optimizer: { id: 'momentum', learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }, batchSize: 6, epochs: 3, clipValue: 0.05, schedule: { kind: 'exponential', factor: 0.9 } },
    code: ['nn.ELU(alpha=1)', 'nn.Softplus()', 'torch.optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True)', 'WEIGHT_DECAY = 0.1', 'COST = nn.CrossEntropyLoss()'],
  },
  {
    label: 'swish (silu), AdamW (decoupled weight decay on the weights only), cosine schedule',
    inputs: 3,
    layers: [{ units: 4, activation: 'swish' }, { units: 1, activation: 'sigmoid' }],
    loss: 'binary-cross-entropy',
    training: { optimizer: { id: 'adam', learningRate: 0.01, weightDecay: 0.1 }, batchSize: 6, epochs: 3, schedule: { kind: 'cosine', minLearningRate: 0.001 } },
    code: ['nn.SiLU()', 'torch.optim.AdamW(groups, lr=0.01, betas=(0.9, 0.999), eps=1e-8)', '"weight_decay": 0.1', 'COST = nn.BCEWithLogitsLoss()'],
  },
  {
    label: 'plateau schedule on the training loss (patience 2, a minDelta no later epoch beats; the second reduction stops at the floor)',
    inputs: 3,
    layers: [{ units: 4, activation: 'elu', alpha: 0.5 }, { units: 2, activation: 'linear' }],
    loss: 'mse',
    training: { optimizer: { id: 'sgd', learningRate: 0.2 }, batchSize: 6, epochs: 7, schedule: { kind: 'plateau', monitor: 'loss', patience: 2, factor: 0.5, minDelta: 0.05, minLearningRate: 0.06 } },
    code: ['nn.ELU(alpha=0.5)', 'ReduceLROnPlateau(\n        opt, mode="min", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", min_lr=0.06\n    )', 'PLATEAU_MONITOR = "loss"'],
  },
  {
    label: 'early stopping on the training loss (a minDelta that stops it early; the best epoch restored)',
    inputs: 3,
    layers: [{ units: 4, activation: 'tanh' }, { units: 2, activation: 'linear' }],
    loss: 'mse',
    training: { optimizer: { id: 'sgd', learningRate: 0.2 }, batchSize: 6, epochs: 8, earlyStopping: { monitor: 'loss', patience: 2, minDelta: 0.02, restoreBest: true } },
    code: ['EARLY_STOPPING = {"monitor": "loss", "minDelta": 0.02, "restoreBest": True, "patience": 2}', 'VALIDATION_SPLIT = None'],
    // the reference stops there too: best loss at epoch 5, epochs 6 and 7 within minDelta of it
    prints: 'early stopping after epoch 7: loss has not improved for 2 epochs',
  },
  {
    label: 'plain SGD with decoupled weight decay',
    inputs: 3,
    layers: [{ units: 4, activation: 'tanh' }, { units: 2, activation: 'sigmoid' }],
    loss: 'mse',
    training: { optimizer: { id: 'sgd', learningRate: 0.5, weightDecay: 0.2 }, batchSize: 6, epochs: 2 },
    code: ['torch.optim.SGD(groups, lr=0.5)', 'WEIGHT_DECAY = 0.2'],
  },
];

function initialLayers(c: Case, seed: number): Layer[] {
  const rng = new Random(seed);
  let inputs = c.inputs;
  return c.layers.map((spec) => {
    const layer = { spec, units: spec.units, inputs, W: Float64Array.from({ length: spec.units * inputs }, () => 0.4 * rng.normal()), b: Float64Array.from({ length: spec.units }, () => 0.1 * rng.normal()) };
    inputs = spec.units;
    return layer;
  });
}

function data(c: Case): { x: number[][]; y: number[][] } {
  const rng = new Random(9);
  const outputs = c.layers.at(-1)!.units;
  const x = Array.from({ length: 6 }, () => Array.from({ length: c.inputs }, () => rng.normal()));
  const y = x.map((_, k) => Array.from({ length: outputs }, (_, i) => (c.loss === 'mse' ? 0.3 * rng.normal() : outputs === 1 ? k % 2 : Number(i === k % outputs))));
  return { x, y };
}

/** A float64 model file with metadata that only the generator reads (today's backprop does not load gelu and co.). */
function writeModel(dir: string, c: Case, layers: Layer[]): void {
  const tensors: Record<string, SafetensorsTensor> = {};
  layers.forEach((l, i) => {
    tensors[`layers.${i}.weight`] = { dtype: 'F64', shape: [l.units, l.inputs], data: l.W };
    tensors[`layers.${i}.bias`] = { dtype: 'F64', shape: [l.units], data: l.b };
  });
  const info = { inputs: c.inputs, layers: c.layers, loss: c.loss, dtype: 'float64', preprocessing: null, seed: 1, createdAt: '2026-11-30T00:00:00Z', training: c.training };
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: MODEL_FORMAT, format_version: MODEL_FORMAT_VERSION, backprop: JSON.stringify(info) }));
}

/** Trains with train.py in float64 and returns its weights, one array per parameter. */
async function torchTrain(c: Case, layers: Layer[], model: PytorchModel): Promise<{ weights: Float64Array[]; script: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-toolkit-'));
  writeModel(dir, c, layers);
  const { x, y } = data(c);
  const rows = (m: number[][]) => new Matrix(m.length, m[0]!.length, Float32Array.from(m.flat()));
  // The data file is float32: the reference reads the same rounded values.
  writeFileSync(join(dir, 'data.safetensors'), dataToBytes({ name: 'toolkit', x: rows(x), y: rows(y), task: 'regression' }));
  const { files } = toPytorch(model);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { stdout } = await run(PYTHON, ['train.py'], { cwd: dir, env: ENV });
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'trained.safetensors'))));
  const weights = layers.flatMap((_, i) => [tensors[`layers.${i}.weight`]!.data as Float64Array, tensors[`layers.${i}.bias`]!.data as Float64Array]);
  return { weights, script: files['train.py']!, stdout };
}

function maxDifference(a: Float64Array[], b: Float64Array[]): number {
  let worst = 0;
  a.forEach((t, k) => t.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k]![i]!)))));
  return worst;
}

describe.runIf(HAVE_TORCH)('train.py maps the training toolkit to PyTorch', () => {
  for (const c of CASES) {
    it(c.label, async () => {
      const layers = initialLayers(c, 21);
      const model: PytorchModel = { inputs: c.inputs, layers: c.layers, loss: c.loss, dtype: 'float64', seed: 1, training: c.training };
      const torch = torchTrain(c, layers, model);
      const expected = layers.map((l) => ({ ...l, W: l.W.slice(), b: l.b.slice() }));
      const { x, y } = data(c);
      const rounded = (m: number[][]) => m.map((r) => r.map(Math.fround));
      reference(expected, c.loss, c.training, rounded(x), rounded(y));
      const { weights, script, stdout } = await torch;
      for (const line of c.code) expect(script).toContain(line);
      if (c.prints) expect(stdout).toContain(c.prints);
      const ours = expected.flatMap((l) => [l.W, l.b]);
      const difference = maxDifference(ours, weights);
      const moved = maxDifference(ours, layers.flatMap((l) => [l.W, l.b]));
      console.log(`${c.label}: max |reference − PyTorch| = ${difference.toExponential(2)}, weights moved ${moved.toExponential(2)}`);
      expect(difference).toBeLessThan(TOLERANCE);
      expect(moved).toBeGreaterThan(1e-3);
    });
  }

  it('control: the same run with tanh in place of gelu misses the gelu reference', async () => {
    const c = CASES[0]!;
    const layers = initialLayers(c, 21);
    const swapped: PytorchModel = { inputs: c.inputs, layers: [{ ...c.layers[0]!, activation: 'tanh' }, c.layers[1]!], loss: c.loss, dtype: 'float64', seed: 1, training: c.training };
    const torch = torchTrain(c, layers, swapped);
    const expected = layers.map((l) => ({ ...l, W: l.W.slice(), b: l.b.slice() }));
    const { x, y } = data(c);
    reference(expected, c.loss, c.training, x.map((r) => r.map(Math.fround)), y.map((r) => r.map(Math.fround)));
    expect(maxDifference(expected.flatMap((l) => [l.W, l.b]), (await torch).weights)).toBeGreaterThan(100 * TOLERANCE);
  });

  it('dropout becomes nn.Dropout after the hidden activation; what has no counterpart is refused by name', () => {
    const base: PytorchModel = { inputs: 3, layers: [{ units: 4, activation: 'relu', dropout: 0.2 }, { units: 2, activation: 'softmax' }], loss: 'cross-entropy', dtype: 'float32', seed: 1 };
    expect(toPytorch(base).files['train.py']).toContain('        nn.Linear(3, 4),  # layers.0: z = W·a + b\n        nn.ReLU(),\n        nn.Dropout(0.2),  # inverted dropout, off in eval()\n');
    expect(() => toPytorch({ ...base, layers: [{ units: 4, activation: 'selu' }, base.layers[1]!] })).toThrow(/layer 1's activation "selu" has no PyTorch counterpart here; valid: sigmoid, relu/);
    expect(() => toPytorch(base, { training: { optimizer: { id: 'adagrad' as 'sgd' /* a file may hold any string */, learningRate: 0.1 } } })).toThrow('optimizer "adagrad" has no PyTorch counterpart here; valid: sgd, momentum, adam, rmsprop');
    expect(() => toPytorch({ ...base, loss: 'hinge' })).toThrow('cost "hinge" has no PyTorch counterpart here; valid: mse, cross-entropy, binary-cross-entropy');
  });
});
