/**
 * Export to PyTorch (browser-safe: text in, text out): a self-contained `train.py` that rebuilds a
 * backprop model as `nn.Sequential`, trains it in one process or under `torchrun` with
 * DistributedDataParallel, and writes the result back as a backprop model file; plus a README.
 *
 * The generator is table-driven: every activation, cost, optimizer, schedule and regularizer the
 * model file records maps to one PyTorch counterpart below, whose equality with backprop's rule is
 * stated next to it. What has no counterpart is refused by name (OptionError), never approximated.
 *
 * The equalities (z = W·a + b is nn.Linear with W [units, inputs], backprop's layout):
 *   mse                       C = mean over outputs, then samples, of (a − y)²    = nn.MSELoss()
 *   softmax + cross-entropy   C = −Σ y·log softmax(z), mean over samples          = nn.CrossEntropyLoss() on the logits z
 *   sigmoid + binary-c.-e.    C = mean over outputs, then samples, of BCE(σ(z))   = nn.BCEWithLogitsLoss() on z
 *   sgd                       θ ← θ − η·g                                          = SGD(lr=η)
 *   momentum                  v ← μ·v + g, θ ← θ − η·v                             = SGD(lr=η, momentum=μ) (dampening 0)
 *   momentum, nesterov        g' = g + μ·v after v ← μ·v + g, θ ← θ − η·g'         = SGD(..., nesterov=True)
 *   adam                      bias-corrected moments, θ ← θ − η·m̂/(√v̂ + ε)        = Adam(lr=η, betas=(β1, β2), eps=ε)
 *   rmsprop                   v ← ρ·v + (1 − ρ)·g², θ ← θ − η·g/(√v + ε)          = RMSprop(lr=η, alpha=ρ, eps=ε, centered=False)
 *   weightDecay λ (decoupled, weights only): θ ← θ − η·λ·θ before the step         = AdamW for adam; the same line by hand for the others
 */
import { OptionError } from '../errors.js';
import { SCHEDULES as SCHEDULE_KINDS, type Schedule } from '../train/schedule.js';
import type { OptimizerSettings, TrainingConfig } from './model-file.js';

/** A layer as the model file records it; activation ids beyond today's are mapped when the table knows them. */
export interface PytorchLayer {
  /** n_l, the neurons of the layer. */
  units: number;
  /** The activation's id (default sigmoid, as in backprop). */
  activation?: string;
  /** leaky-relu's slope / elu's α. */
  alpha?: number;
  /** Inverted dropout after this (hidden) layer's activation. */
  dropout?: number;
  /** Penalties on this layer's weights: C += l1·Σ|W| + l2·ΣW². */
  l1?: number;
  /** The L2 coefficient of that penalty. */
  l2?: number;
}

/** An optimizer as the training record holds it: id, η and hyper-parameters. */
export type TrainingOptimizer = OptimizerSettings;

/** The `training` record of a model file (see model-file.ts), plus fit's validationSplit. */
export type TrainingRecord = TrainingConfig & {
  /** Hold out the last fraction of the training samples for validation (backprop's validationSplit). */
  validationSplit?: number;
};

/** backprop train's --validation default: what train.py holds out when a recorded rule watches the validation set. */
const DEFAULT_VALIDATION_SPLIT = 0.1;

/** What the generator reads of a model file's `backprop` metadata. */
export interface PytorchModel {
  /** n_0, the input features. */
  inputs: number;
  /** The layers, input first. */
  layers: PytorchLayer[];
  /** The cost's id. */
  loss: string;
  /** train.py trains in this precision. */
  dtype: 'float32' | 'float64';
  /** torch.manual_seed of the run. */
  seed: number;
  /** 'classification' or 'regression'. */
  task?: string;
  /** How backprop trained it, to be reproduced. */
  training?: TrainingRecord;
}

/** Where train.py reads its training data (each can be changed with `--data` when it runs). */
export type PytorchData =
  | {
      /** A CSV file of features and a label column. */
      kind: 'csv';
      /** The CSV file. */
      path: string;
      /** The label column: its name or 0-based index (default: the last). */
      label?: string | number;
      /** classification (default) or regression. */
      task?: 'classification' | 'regression';
    }
  | {
      /** A directory of the four MNIST-family IDX files (train-images-idx3-ubyte, ...; .gz or not). */
      kind: 'idx';
      /** The directory. */
      dir: string;
    }
  | {
      /** A safetensors file of `train.x`, `train.y` (and `test.x`, `test.y`) written by backprop (see `dataToBytes` in backprop/node). */
      kind: 'tensors';
      /** The file. */
      path: string;
    };

/** Where train.py finds its model and data, and what it writes. */
export interface PytorchExportOptions {
  /** The model file train.py starts from, relative to where it runs (default 'model.safetensors'). */
  modelFile?: string;
  /** The training data; default: the tensors file 'data.safetensors'. */
  data?: PytorchData;
  /** Train on the first n samples only (the CLI's --limit). */
  limit?: number;
  /** The file train.py writes (default 'trained.safetensors'). */
  out?: string;
  /** Used when the model records no `training` (and override it field by field). */
  training?: Partial<TrainingRecord>;
}

/** The generated files, by name. */
export interface PytorchExport {
  /** File name → content: train.py and README.md. */
  files: Record<string, string>;
}

/** The file names of an export (beside the copy of the model and, when written, the data). */
export const PYTORCH_FILES = {
  /** The training script. */
  script: 'train.py',
  /** How to run it. */
  readme: 'README.md',
  /** The model train.py starts from. */
  model: 'model.safetensors',
  /** The exported data set. */
  data: 'data.safetensors',
} as const;

/**
 * torchrun as it starts on Debian's Python 3.11: without --redirects and --tee, torchrun 1.13
 * crashes before starting a worker (pytorch/pytorch#92319: its Std flags 0 and 3 are not members
 * that Python 3.11's enum iteration yields, so the default "0" becomes None). A single stream, 1
 * (stdout) or 2 (stderr), is a member: `--redirects 1 --tee 1` keeps stdout on the console
 * (prefixed with the rank) and leaves stderr untouched.
 */
export const TORCHRUN = 'torchrun --redirects 1 --tee 1 --standalone';

/** Defaults of a model that records no training (those of `backprop train`). */
const DEFAULT_TRAINING: TrainingRecord = { optimizer: { id: 'adam', learningRate: 0.001 }, batchSize: 32, epochs: 10 };

/** Python for one activation: a module after nn.Linear, or null when z itself is the output. */
const ACTIVATION_MODULES: Record<string, (layer: PytorchLayer) => string | null> = {
  sigmoid: () => 'nn.Sigmoid()',
  relu: () => 'nn.ReLU()',
  tanh: () => 'nn.Tanh()',
  'leaky-relu': (l) => `nn.LeakyReLU(${py(l.alpha ?? 0.01)})`,
  linear: () => null,
  softmax: () => 'nn.Softmax(dim=1)',
  elu: (l) => `nn.ELU(alpha=${py(l.alpha ?? 1)})`,
  // exact erf form: torch's default approximate='none'
  gelu: () => 'nn.GELU()',
  softplus: () => 'nn.Softplus()',
  silu: () => 'nn.SiLU()',
  swish: () => 'nn.SiLU()',
};

/**
 * Costs: the torch loss, and the output activation it takes over (its input is then the logits z,
 * which is both the textbook-stable form and what backprop's fused δ = a − y computes).
 */
const COSTS: Record<string, { loss: string; fusedOutput?: string; note: string }> = {
  mse: { loss: 'nn.MSELoss()', note: "backprop's mse: C = mean over outputs, then over samples, of (a − y)²" },
  'cross-entropy': {
    loss: 'nn.CrossEntropyLoss()',
    fusedOutput: 'softmax',
    note: "backprop's softmax + cross-entropy: C = −Σ y·log softmax(z), on the logits z (soft targets allowed)",
  },
  'binary-cross-entropy': {
    loss: 'nn.BCEWithLogitsLoss()',
    fusedOutput: 'sigmoid',
    note: "backprop's sigmoid + binary cross-entropy: mean over outputs, then samples, on the logits z",
  },
};

/** Optimizers: the torch constructor for the given parameter groups (`groups`). */
const OPTIMIZERS: Record<string, (o: TrainingOptimizer) => { make: string; note: string }> = {
  sgd: (o) => ({ make: `torch.optim.SGD(groups, lr=${py(o.learningRate)})`, note: 'θ ← θ − η·∂C/∂θ' }),
  momentum: (o) =>
    o.nesterov
      ? {
          make: `torch.optim.SGD(groups, lr=${py(o.learningRate)}, momentum=${py(o.momentum ?? 0.9)}, nesterov=True)`,
          note: 'Nesterov: v ← μ·v + g, θ ← θ − η·(g + μ·v)',
        }
      : { make: `torch.optim.SGD(groups, lr=${py(o.learningRate)}, momentum=${py(o.momentum ?? 0.9)})`, note: 'v ← μ·v + g, θ ← θ − η·v' },
  adam: (o) => {
    const args = `lr=${py(o.learningRate)}, betas=(${py(o.beta1 ?? 0.9)}, ${py(o.beta2 ?? 0.999)}), eps=${py(o.epsilon ?? 1e-8)}`;
    return o.weightDecay
      ? { make: `torch.optim.AdamW(groups, ${args})`, note: 'Adam with decoupled weight decay θ ← θ − η·λ·θ on the weights (their group)' }
      : { make: `torch.optim.Adam(groups, ${args})`, note: 'θ ← θ − η·m̂/(√v̂ + ε), m̂ and v̂ the bias-corrected moments' };
  },
  rmsprop: (o) => ({
    make: `torch.optim.RMSprop(groups, lr=${py(o.learningRate)}, alpha=${py(o.rho ?? 0.9)}, eps=${py(o.epsilon ?? 1e-8)}, centered=False)`,
    note: 'v ← ρ·v + (1 − ρ)·g², θ ← θ − η·g/(√v + ε)',
  }),
};

/** A schedule's factor of η at epoch e counted from the end of the warm-up, in Python, for torch's LambdaLR. */
function scheduleFactor(s: Exclude<Schedule, { kind: 'plateau' }>, epochs: number): string {
  switch (s.kind) {
    case 'step':
      return `${py(s.factor)} ** (e // ${py(s.every)})`;
    case 'exponential':
      return `${py(s.factor)} ** e`;
    case 'cosine':
      return `MIN_RATE + (1 - MIN_RATE) * (1 + math.cos(math.pi * e / ${Math.max(1, epochs - (s.warmupEpochs ?? 0))})) / 2`;
  }
}

/**
 * The generated train.py and README for a model: nn.Sequential of nn.Linear and the activations,
 * the cost, optimizer, schedule and regularisers mapped one to one to PyTorch (refused by name
 * when there is no exact counterpart).
 *
 * @param model - the `backprop` metadata of a model file
 * @example
 * ```ts
 * import { toPytorch } from 'backprop/export';
 *
 * const { files } = toPytorch(
 *   { inputs: 2, layers: [{ units: 16, activation: 'relu' }, { units: 2, activation: 'softmax' }], loss: 'cross-entropy', dtype: 'float32', seed: 1 },
 *   { training: { optimizer: { id: 'adam', learningRate: 0.01 }, batchSize: 32, epochs: 20 } },
 * );
 * console.log(Object.keys(files));   // [ 'train.py', 'README.md' ]
 * ```
 */
export function toPytorch(model: PytorchModel, options: PytorchExportOptions = {}): PytorchExport {
  const training = trainingOf(model, options.training);
  const modelFile = options.modelFile ?? PYTORCH_FILES.model;
  const data = options.data ?? { kind: 'tensors', path: PYTORCH_FILES.data };
  const out = options.out ?? 'trained.safetensors';
  const script = [
    header(model, modelFile, out),
    IMPORTS,
    configuration(model, training, modelFile, data, options.limit, out),
    networkCode(model),
    costCode(model),
    optimizerCode(training),
    scheduleCode(training),
    BODY,
  ]
    .join('\n')
    // two blank lines between top-level definitions (PEP 8), however the sections end
    .replace(/\n{4,}/g, '\n\n\n');
  return { files: { [PYTORCH_FILES.script]: script, [PYTORCH_FILES.readme]: readme(model, modelFile, data, out) } };
}

function trainingOf(model: PytorchModel, given: Partial<TrainingRecord> = {}): TrainingRecord {
  const recorded = model.training ?? DEFAULT_TRAINING;
  const t: TrainingRecord = { ...recorded, ...stripUndefined(given) };
  if (!(t.optimizer.id in OPTIMIZERS)) throw new OptionError(`optimizer ${JSON.stringify(t.optimizer.id)} has no PyTorch counterpart here; valid: ${Object.keys(OPTIMIZERS).join(', ')}`);
  for (const [k, v] of [['batchSize', t.batchSize], ['epochs', t.epochs]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new OptionError(`training ${k} must be an integer ≥ 1, got ${String(v)}`);
  }
  if (t.schedule?.kind === 'plateau' && t.schedule.warmupEpochs) throw new OptionError('a plateau schedule with warmupEpochs has no PyTorch counterpart here (ReduceLROnPlateau after a warm-up); drop the warm-up');
  if (t.schedule && !(SCHEDULE_KINDS as readonly string[]).includes(t.schedule.kind)) {
    throw new OptionError(`schedule kind ${JSON.stringify(t.schedule.kind)} has no PyTorch counterpart here; valid: ${SCHEDULE_KINDS.join(', ')}`);
  }
  return t;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A JavaScript value as a Python literal (numbers keep every digit: the float32 comparison needs η exactly). */
function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new OptionError(`cannot write ${v} into train.py: expected a finite number`);
    return Number.isInteger(v) && Math.abs(v) < 1e15 ? `${v}` : String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(', ')}}`;
}

function architecture(model: PytorchModel): string {
  return [String(model.inputs), ...model.layers.map((l) => `${l.units} (${l.activation ?? 'sigmoid'})`)].join(' → ');
}

function header(model: PytorchModel, modelFile: string, out: string): string {
  return String.raw`#!/usr/bin/env python3
"""Train the backprop network ${architecture(model)} with PyTorch.

Written by ${'`'}backprop export --format pytorch${'`'} from ${modelFile}; needs only PyTorch
(Debian: apt-get install python3-torch).

    python3 train.py                                               # one process
    ${TORCHRUN} --nproc_per_node 4 train.py     # 4 processes, DistributedDataParallel
    backprop eval --model ${out}                          # the result, back in backprop

The section "The model and its training" below is what backprop recorded; the rest is a plain
PyTorch loop. Each global batch of BATCH_SIZE samples is split evenly over the processes and
their gradients averaged, so the learning rate means what it meant in backprop.
"""
`;
}

const IMPORTS = String.raw`import argparse
import csv
import gzip
import json
import math
import os
import re
import struct
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler
`;

function configuration(model: PytorchModel, t: TrainingRecord, modelFile: string, data: PytorchData, limit: number | undefined, out: string): string {
  const dataLines =
    data.kind === 'csv'
      ? [
          `DATA = ${py(data.path)}  # CSV: feature columns and one label column`,
          `CSV_LABEL = ${py(data.label ?? null)}  # label column by name or 0-based index (None: the last)`,
          `CSV_TASK = ${py(data.task ?? (model.task === 'regression' ? 'regression' : 'classification'))}`,
        ]
      : [
          data.kind === 'idx'
            ? `DATA = ${py(data.dir)}  # a directory of the MNIST-family IDX files`
            : `DATA = ${py(data.path)}  # train.x, train.y (and test.x, test.y) exported by backprop`,
          'CSV_LABEL = None  # for a CSV file given with --data: label column by name or 0-based index',
          `CSV_TASK = ${py(model.task === 'regression' ? 'regression' : 'classification')}`,
        ];
  return String.raw`
# ---- The model and its training, as backprop recorded them ----------------------------------------

MODEL = ${py(modelFile)}  # backprop model file: initial weights, metadata (input transform, classes)
OUT = ${py(out)}  # written as a backprop model file with the same metadata
${dataLines.join('\n')}
LIMIT = ${py(limit ?? null)}  # train on the first LIMIT samples only (None: all)
EPOCHS = ${py(t.epochs)}
BATCH_SIZE = ${py(t.batchSize)}  # the global batch: split evenly over the processes
SEED = ${py(model.seed)}  # the model's seed: DistributedSampler shuffles with SEED + epoch
DTYPE = torch.${model.dtype}
VALIDATION_SPLIT = ${py(validationSplit(t))}  # hold out the last fraction of the samples for validation (None: none)
# Stop when EARLY_STOPPING["monitor"] has not improved by more than "minDelta" for "patience" epochs;
# "restoreBest": end with the weights of the best epoch (None: no early stopping)
EARLY_STOPPING = ${py(t.earlyStopping ? { monitor: 'valLoss', minDelta: 0, restoreBest: true, ...t.earlyStopping } : null)}
CLIP_VALUE = ${py(t.clipValue ?? null)}  # clip each gradient entry to [-CLIP_VALUE, CLIP_VALUE] (None: no clipping)
CLIP_NORM = ${py(t.clipNorm ?? null)}  # then clip the gradient's global L2 norm to this (None: no clipping)
`;
}

/**
 * The recorded split, else backprop train's default when a rule watches the validation set (the
 * CLI held out a seeded random tenth; train.py holds out the last tenth, as fit's validationSplit).
 */
function validationSplit(t: TrainingRecord): number | null {
  if (t.validationSplit !== undefined) return t.validationSplit;
  const watched = [t.earlyStopping ? (t.earlyStopping.monitor ?? 'valLoss') : '', t.schedule?.kind === 'plateau' ? (t.schedule.monitor ?? 'valLoss') : ''];
  return watched.some((m) => m.startsWith('val')) ? DEFAULT_VALIDATION_SPLIT : null;
}

function networkCode(model: PytorchModel): string {
  const cost = COSTS[model.loss];
  if (!cost) throw new OptionError(`cost ${JSON.stringify(model.loss)} has no PyTorch counterpart here; valid: ${Object.keys(COSTS).join(', ')}`);
  const last = model.layers.length - 1;
  const lines: string[] = [];
  let inputs = model.inputs;
  model.layers.forEach((layer, i) => {
    const act = layer.activation ?? 'sigmoid';
    const module = ACTIVATION_MODULES[act];
    if (!module) throw new OptionError(`layer ${i + 1}'s activation ${JSON.stringify(act)} has no PyTorch counterpart here; valid: ${Object.keys(ACTIVATION_MODULES).join(', ')}`);
    lines.push(`        nn.Linear(${inputs}, ${layer.units}),  # layers.${i}: z = W·a + b`);
    if (i === last && cost.fusedOutput === act) {
      lines.push(`        # ${act} is inside the cost (see COST): the network ends with the logits z`);
    } else {
      const m = module(layer);
      if (m) lines.push(`        ${m},`);
    }
    if (layer.dropout) {
      if (i === last) throw new OptionError('dropout is defined for hidden layers only; the output layer records one');
      lines.push(`        nn.Dropout(${py(layer.dropout)}),  # inverted dropout, off in eval()`);
    }
    inputs = layer.units;
  });
  const fused = cost.fusedOutput && model.layers[last]!.activation === cost.fusedOutput;
  if (cost.fusedOutput && !fused) {
    throw new OptionError(`cost '${model.loss}' needs a '${cost.fusedOutput}' output layer, the model has '${model.layers[last]!.activation}'`);
  }
  const penalties = model.layers.map((l, i) => ({ i, l1: l.l1 ?? 0, l2: l.l2 ?? 0 })).filter((p) => p.l1 || p.l2);
  return String.raw`

def network():
    """backprop's layers as nn.Sequential; each nn.Linear holds W [units, inputs], as backprop does."""
    return nn.Sequential(
${lines.join('\n')}
    )


def linears(net):
    """The nn.Linear modules in order: backprop's layers.0, layers.1, ..."""
    return [m for m in net if isinstance(m, nn.Linear)]


OUTPUT_IS_LOGITS = ${fused ? 'True' : 'False'}  # whether the network's output is z (the cost applies ${cost.fusedOutput ?? 'nothing'})
# Penalties on the weights W of layers.{i} (not the biases): C += l1·Σ|W| + l2·ΣW²
PENALTIES = ${py(Object.fromEntries(penalties.map((p) => [String(p.i), [p.l1, p.l2]])))}
`;
}

function costCode(model: PytorchModel): string {
  const cost = COSTS[model.loss]!;
  return String.raw`
# ${cost.note}
COST = ${cost.loss}
`;
}

function optimizerCode(t: TrainingRecord): string {
  const o = t.optimizer;
  const { make, note } = OPTIMIZERS[o.id]!(o);
  const decay = o.weightDecay ?? 0;
  // AdamW decays the weights' group itself; for the others the decoupled decay is a line of the loop.
  const groups =
    o.id === 'adam' && decay
      ? `[{"params": weights, "weight_decay": ${py(decay)}}, {"params": biases, "weight_decay": 0.0}]`
      : '[{"params": weights}, {"params": biases}]';
  return String.raw`

def optimizer(net):
    """backprop's ${o.id}: ${note}."""
    weights = [m.weight for m in linears(net)]
    biases = [m.bias for m in linears(net)]
    groups = ${groups}
    return ${make}


WEIGHT_DECAY = ${py(o.id === 'adam' ? 0 : decay)}  # λ of θ ← θ − η·λ·θ on the weights before each step (AdamW does it itself)
`;
}

function scheduleCode(t: TrainingRecord): string {
  const s = t.schedule;
  if (!s) {
    return String.raw`

def schedule(opt):
    """No learning-rate schedule: η stays as given."""
    return None


PLATEAU_MONITOR = None
`;
  }
  if (s.kind === 'plateau') {
    const monitor = s.monitor ?? 'valLoss';
    const maximize = /accuracy/i.test(monitor);
    // Keras and backprop reduce when `patience` epochs in a row did not improve; torch when more than `patience` did.
    return String.raw`

def schedule(opt):
    """backprop's plateau schedule: η ← η·${py(s.factor)} once ${monitor} has not improved by more than ${py(s.minDelta ?? 0)} for ${s.patience} epochs."""
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode=${py(maximize ? 'max' : 'min')}, factor=${py(s.factor)}, patience=${s.patience - 1}, threshold=${py(s.minDelta ?? 0)}, threshold_mode="abs", min_lr=${py(s.minLearningRate ?? 0)}
    )


PLATEAU_MONITOR = ${py(monitor)}
`;
  }
  const warmup = s.warmupEpochs ?? 0;
  const minRate = s.kind === 'cosine' ? (s.minLearningRate ?? 0) / t.optimizer.learningRate : 0;
  return String.raw`
WARMUP_EPOCHS = ${py(warmup)}
MIN_RATE = ${py(minRate)}  # cosine: the lowest rate as a fraction of η


def rate_factor(epoch):
    """backprop's ${s.kind} schedule: η_epoch = η · rate_factor(epoch); warm-up rises linearly to η first."""
    if epoch < WARMUP_EPOCHS:
        return (epoch + 1) / WARMUP_EPOCHS
    e = epoch - WARMUP_EPOCHS
    return ${scheduleFactor(s, t.epochs)}


def schedule(opt):
    return torch.optim.lr_scheduler.LambdaLR(opt, rate_factor)


PLATEAU_MONITOR = None
`;
}

/** The data set a command line names, for the README. */
function dataLabel(data: PytorchData): string {
  return data.kind === 'csv' ? data.path : data.kind === 'idx' ? data.dir : data.path;
}

function readme(model: PytorchModel, modelFile: string, data: PytorchData, out: string): string {
  return `# Training this backprop model with PyTorch

\`train.py\` rebuilds the network ${architecture(model)} from \`${modelFile}\` as \`nn.Sequential\`,
trains it on \`${dataLabel(data)}\` with the cost, optimizer and constants backprop recorded, and writes
\`${out}\`, a backprop model file with the same metadata. It needs PyTorch only
(\`apt-get install -y python3-torch libopenblas0-pthread\` on Debian; \`python3\` below is the
Python that has it, there \`/usr/bin/python3\`).

## One process

    python3 train.py

## Several processes (DistributedDataParallel)

    ${TORCHRUN} --nproc_per_node 4 train.py

Each process reads the data, takes its share of every global batch of BATCH_SIZE samples
(\`DistributedSampler\`, shuffled with the model's seed + epoch) and DDP averages the gradients,
so one step moves the weights as one process would on the whole batch: the learning rate keeps
its meaning. BATCH_SIZE must be a multiple of the number of processes. CPU processes talk over
gloo; with CUDA, each process takes its own GPU and NCCL. When the number of samples is not a
multiple of the processes, DistributedSampler repeats up to (processes − 1) samples per epoch.

Why \`--redirects 1 --tee 1\`: Debian's torchrun (PyTorch 1.13 on Python 3.11) crashes on start
with \`AttributeError: 'NoneType' object has no attribute 'get'\` unless both are given a single
stream, 1 (stdout) or 2 (stderr) (pytorch/pytorch#92319). With \`1\`, every process's stdout is
shown with its rank in front and stderr is left as it is. \`--standalone\` picks the rendezvous
on this machine; on several machines use \`--nnodes\`, \`--rdzv_endpoint\` as usual.

## Options

    python3 train.py --epochs 20 --batch-size 64 --lr 0.01 --data other.csv --out trained.safetensors

\`--state-dict FILE\` also saves the plain PyTorch state dict (safetensors, keys \`0.weight\`, ...).
Then, in backprop:

    backprop eval --model ${out} --data ...
    backprop predict --model ${out} --input rows.csv
`;
}

/** Everything that does not depend on the model: data, processes, loop, files. */
const BODY = String.raw`

# ---- safetensors (the format of backprop model files), read and written without extra packages ----

DTYPES = {"F32": torch.float32, "F64": torch.float64}
NAMES = {torch.float32: "F32", torch.float64: "F64"}


def read_safetensors(path):
    """(metadata, {name: tensor}) of a safetensors file: 8-byte header length, JSON header, data."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        sys.exit(f"{path}: not a safetensors file (only {len(raw)} bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        sys.exit(f"{path}: the header says {n} bytes but the file is shorter (truncated?)")
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] not in DTYPES:
            sys.exit(f"{path}: tensor {name} is {t['dtype']}; expected F32 or F64")
        begin, end = t["data_offsets"]
        if end > len(data):
            sys.exit(f"{path}: tensor {name} ends after the end of the file (truncated?)")
        values = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[t["dtype"]])
        tensors[name] = values.reshape(t["shape"])
    return metadata, tensors


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} with string metadata; the data starts at a multiple of 8, like backprop's files."""
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        chunk = t.detach().cpu().contiguous().numpy().tobytes()  # little-endian on x86 and ARM, as the format wants
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    os.replace(temporary, path)  # readers see the old file or the whole new one


# ---- data, read as backprop reads it ---------------------------------------------------------------

NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
NON_FINITE = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def one_hot(labels, classes):
    y = torch.zeros(len(labels), classes)
    y[torch.arange(len(labels)), torch.as_tensor(labels, dtype=torch.long)] = 1
    return y


def read_csv(path, label, task, class_names):
    """Feature columns and a label column; a first row with a non-numeric feature cell is a header."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [[c.strip() for c in r] for r in csv.reader(f) if any(c.strip() for c in r)]
    if isinstance(label, str) and label.isdigit():
        label = int(label)
    if isinstance(label, str):
        if label not in rows[0]:
            sys.exit(f"{path}: no column named {label!r} in the header; columns: {', '.join(rows[0])}")
        column = rows[0].index(label)
        header = True
    else:
        column = len(rows[0]) - 1 if label is None else label
        features = [j for j in range(len(rows[0])) if j != column]
        header = any(rows[0][j] and not NUMBER.match(rows[0][j]) and not NON_FINITE.match(rows[0][j]) for j in features)
    first = 2 if header else 1  # the number of the first data row, for messages
    rows = rows[1:] if header else rows
    features = [j for j in range(len(rows[0])) if j != column]

    def number(k, j):
        if not NUMBER.match(rows[k][j]):
            sys.exit(f"{path}: row {first + k}, column {j + 1}: {rows[k][j]!r} is not a finite number")
        return float(rows[k][j])

    x = torch.tensor([[number(k, j) for j in features] for k in range(len(rows))], dtype=torch.float32)
    if task == "regression":
        return x, torch.tensor([[number(k, column)] for k in range(len(rows))], dtype=torch.float32)
    index = {c: i for i, c in enumerate(class_names)}
    unknown = sorted({r[column] for r in rows} - set(index))
    if unknown:
        sys.exit(f"{path}: labels {unknown} are not among the model's classes {class_names}")
    return x, one_hot([index[r[column]] for r in rows], len(class_names))


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rank = raw[3]
    dims = struct.unpack(f">{rank}I", raw[4:4 + 4 * rank])
    return torch.frombuffer(bytearray(raw[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)


def read_idx_split(directory, split, classes):
    """Images scaled to [0, 1] (divided by 255), labels one-hot; files may be gzipped."""
    found = []
    for name in IDX_FILES[split]:
        paths = [os.path.join(directory, name + suffix) for suffix in ("", ".gz")]
        path = next((p for p in paths if os.path.exists(p)), None)
        if path is None:
            return None
        found.append(path)
    images, labels = (read_idx(p) for p in found)
    return images.reshape(len(images), -1).float() / 255, one_hot(labels.long(), classes)


def transform(x, preprocessing):
    """The input transform stored in the model: (x − offset)·(1/spread) per feature, in float64 as backprop does."""
    kind = (preprocessing or {"kind": "none"})["kind"]
    if kind == "none":
        return x
    if kind == "scale":
        offset = torch.tensor(preprocessing["min"], dtype=torch.float64)
        spread = torch.tensor(preprocessing["max"], dtype=torch.float64) - offset
    else:
        offset = torch.tensor(preprocessing["mean"], dtype=torch.float64)
        spread = torch.tensor(preprocessing["std"], dtype=torch.float64)
    factor = 1 / torch.where(spread == 0, torch.ones_like(spread), spread)  # a constant feature becomes 0
    return ((x.double() - offset) * factor).float()


def load_data(path, info, outputs, limit):
    """{"train": (x, y), "test": (x, y) when the data has a test split}, transformed as the model expects."""
    classes = info.get("classNames") or [str(i) for i in range(outputs)]
    if os.path.isdir(path):
        splits = {s: read_idx_split(path, s, outputs) for s in ("train", "test")}
        if splits["train"] is None:
            sys.exit(f"{path}: expected the IDX files {', '.join(IDX_FILES['train'])} (.gz or not)")
    elif path.lower().endswith(".csv"):
        splits = {"train": read_csv(path, CSV_LABEL, CSV_TASK, classes)}
    else:
        _, t = read_safetensors(path)
        splits = {s: (t[f"{s}.x"].float(), t[f"{s}.y"].float()) for s in ("train", "test") if f"{s}.x" in t}
    splits = {s: v for s, v in splits.items() if v is not None}
    if limit is not None:
        x, y = splits["train"]
        splits["train"] = (x[:limit], y[:limit])
    return {s: (transform(x, info.get("preprocessing")), y) for s, (x, y) in splits.items()}


# ---- processes --------------------------------------------------------------------------------------


def start():
    """(rank, world size, device): several processes under torchrun (it sets WORLD_SIZE), else one."""
    if "WORLD_SIZE" not in os.environ:
        return 0, 1, torch.device("cpu")
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    device = torch.device("cuda", int(os.environ["LOCAL_RANK"])) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device


class GivenOrder(DistributedSampler):
    """DistributedSampler whose permutation of each epoch comes from a file (--order) instead of
    torch.randperm, so that a run can take the very batches of another (e.g. a backprop run)."""

    def __init__(self, dataset, orders, **kwargs):
        super().__init__(dataset, **kwargs)
        self.orders = orders

    def __iter__(self):
        order = self.orders[self.epoch % len(self.orders)]
        order = order + order[: self.total_size - len(order)]  # padded as DistributedSampler pads
        return iter(order[self.rank:self.total_size:self.num_replicas])


# ---- training ------------------------------------------------------------------------------------------


def load_network(model_path, device):
    metadata, tensors = read_safetensors(model_path)
    if metadata.get("format") != "backprop":
        sys.exit(f"{model_path}: not a backprop model file (no __metadata__.format \"backprop\")")
    net = network().to(dtype=DTYPE)  # before the copy: float64 weights must not pass through float32
    with torch.no_grad():
        for i, linear in enumerate(linears(net)):
            for kind in ("weight", "bias"):
                saved = tensors.get(f"layers.{i}.{kind}")
                ours = getattr(linear, kind)
                if saved is None or tuple(saved.shape) != tuple(ours.shape):
                    sys.exit(f"{model_path}: layers.{i}.{kind} should be {list(ours.shape)}; this train.py was written for another model")
                ours.copy_(saved)
    return net.to(device), metadata


def batch_cost(net, out, y):
    """The cost C of a batch, with the weight penalties: what backprop minimizes."""
    c = COST(out, y)
    for i, (l1, l2) in PENALTIES.items():
        W = linears(net)[int(i)].weight
        c = c + l1 * W.abs().sum() + l2 * (W * W).sum()
    return c


def clip(grads):
    """Each entry into ±CLIP_VALUE, then g ← g·CLIP_NORM/‖g‖ when the global norm ‖g‖ exceeds CLIP_NORM,
    as backprop clips. By hand: torch.nn.utils.clip_grad_norm_ divides by ‖g‖ + 1e-6."""
    if CLIP_VALUE is not None:
        for g in grads:
            g.clamp_(-CLIP_VALUE, CLIP_VALUE)
    if CLIP_NORM is not None:
        norm = torch.sqrt(sum((g * g).sum() for g in grads))
        if norm > CLIP_NORM:
            for g in grads:
                g.mul_(CLIP_NORM / norm)


def stop_early(watch, value, net):
    """Early stopping's rule, as backprop's: True once "patience" epochs in a row did not beat the best by more than minDelta."""
    higher = EARLY_STOPPING["monitor"] in ("accuracy", "valAccuracy")
    delta = EARLY_STOPPING["minDelta"]
    best = watch["best"]
    if best is None or (value > best + delta if higher else value < best - delta):
        watch["best"], watch["wait"] = value, 0
        if EARLY_STOPPING["restoreBest"]:
            watch["state"] = {k: v.detach().clone() for k, v in net.state_dict().items()}
        return False
    watch["wait"] += 1
    return watch["wait"] >= EARLY_STOPPING["patience"]


LABELS = {"loss": "loss", "accuracy": "accuracy", "valLoss": "val loss", "valAccuracy": "val accuracy"}


def correct(out, y):
    """Samples whose largest output is the target's largest (one output: both on the same side of ½)."""
    if out.shape[1] == 1:
        half = 0.0 if OUTPUT_IS_LOGITS else 0.5
        return int(((out[:, 0] >= half) == (y[:, 0] >= 0.5)).sum())
    return int((out.argmax(1) == y.argmax(1)).sum())


def evaluate(net, x, y, device):
    net.eval()
    with torch.no_grad():
        out = net(x.to(device, DTYPE))
        result = float(batch_cost(net, out, y.to(device, DTYPE))), correct(out, y.to(device)) / len(x)
    net.train()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=MODEL, help="backprop model file to start from")
    p.add_argument("--data", default=DATA, help="CSV file, directory of IDX files, or data tensors from backprop")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="global batch, split over the processes")
    p.add_argument("--lr", type=float, help="learning rate η (default: the recorded one)")
    p.add_argument("--limit", type=int, default=LIMIT, help="train on the first LIMIT samples only")
    p.add_argument("--validation-split", type=float, default=VALIDATION_SPLIT, help="hold out the last fraction of the samples")
    p.add_argument("--out", default=OUT, help="backprop model file to write ({rank} in the name: every process writes its own)")
    p.add_argument("--state-dict", help="also save the PyTorch state dict as safetensors")
    p.add_argument("--order", help="JSON file of one sample permutation per epoch, to take the batches of another run")
    args = p.parse_args()

    rank, world, device = start()
    if args.batch_size % world:
        sys.exit(f"--batch-size {args.batch_size} does not split evenly over {world} processes; use a multiple of {world}")
    net, metadata = load_network(args.model, device)
    info = json.loads(metadata["backprop"])
    outputs = linears(net)[-1].out_features
    data = load_data(args.data, info, outputs, args.limit)
    x, y = data["train"]
    if args.validation_split:
        cut = len(x) - int(len(x) * args.validation_split)  # the last samples, before any shuffling
        x, y, data["validation"] = x[:cut], y[:cut], (x[cut:], y[cut:])
    for monitor in (PLATEAU_MONITOR, EARLY_STOPPING and EARLY_STOPPING["monitor"]):
        if monitor and monitor.startswith("val") and "validation" not in data:
            sys.exit(f"{monitor} is watched but there is no validation set: give --validation-split FRACTION")

    dataset = TensorDataset(x.to(DTYPE), y.to(DTYPE))
    share = dict(num_replicas=world, rank=rank)
    if args.order:
        with open(args.order) as f:
            sampler = GivenOrder(dataset, json.load(f), shuffle=False, **share)
    else:
        sampler = DistributedSampler(dataset, shuffle=True, seed=SEED, **share)
    loader = DataLoader(dataset, batch_size=args.batch_size // world, sampler=sampler)

    # DDP averages the gradients of the processes' equal shares: the mean over the global batch.
    model = DistributedDataParallel(net) if world > 1 else net
    opt = optimizer(net)
    if args.lr is not None:
        for group in opt.param_groups:
            group["lr"] = args.lr
    scheduler = schedule(opt)
    if rank == 0:
        print(f"training {len(x)} samples on {world} process{'es' if world > 1 else ''} ({device.type}), "
              f"batch {args.batch_size} ({args.batch_size // world} per process), {type(opt).__name__}", flush=True)

    watch = {"best": None, "wait": 0, "state": None}  # early stopping's best value so far, epochs since, weights
    for epoch in range(args.epochs):
        started = time.time()
        rate = opt.param_groups[0]["lr"]  # this epoch's η, after the schedule
        sampler.set_epoch(epoch)
        totals = torch.zeros(3, dtype=torch.float64, device=device)  # Σ cost·n, Σ correct, Σ n over this process's batches (NCCL sums GPU tensors only)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            cost = batch_cost(net, out, yb)
            cost.backward()
            clip([p.grad for p in net.parameters()])
            if WEIGHT_DECAY:
                with torch.no_grad():
                    for group in opt.param_groups[:1]:  # the weights' group, not the biases'
                        for W in group["params"]:
                            W.mul_(1 - group["lr"] * WEIGHT_DECAY)
            opt.step()
            totals += torch.tensor([float(cost) * len(xb), correct(out.detach(), yb), len(xb)], dtype=torch.float64, device=device)
        if world > 1:
            dist.all_reduce(totals)
        logs = {"loss": float(totals[0] / totals[2]), "accuracy": float(totals[1] / totals[2])}
        if "validation" in data:
            logs["valLoss"], logs["valAccuracy"] = evaluate(net, *data["validation"], device)
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(logs[PLATEAU_MONITOR])
        elif scheduler is not None:
            scheduler.step()
        if rank == 0:
            shown = "  ".join(f"{LABELS[k]} {v:.4f}" for k, v in logs.items())
            print(f"epoch {epoch + 1}/{args.epochs}  {shown}  lr {rate:.8f}  {time.time() - started:.1f}s", flush=True)
        if EARLY_STOPPING and stop_early(watch, logs[EARLY_STOPPING["monitor"]], net):
            if rank == 0:
                print(f"early stopping after epoch {epoch + 1}: {EARLY_STOPPING['monitor']} has not improved for {EARLY_STOPPING['patience']} epochs", flush=True)
            break
    if watch["state"] is not None:
        net.load_state_dict(watch["state"])  # the best epoch's weights (restoreBest)

    if rank == 0 and "test" in data:
        loss, accuracy = evaluate(net, *data["test"], device)
        print(f"test: loss {loss:.4f}  accuracy {accuracy:.4f}  ({len(data['test'][0])} samples)", flush=True)
    if rank == 0 or "{rank}" in args.out:
        tensors = {}
        for i, linear in enumerate(linears(net)):
            tensors[f"layers.{i}.weight"] = linear.weight
            tensors[f"layers.{i}.bias"] = linear.bias
        keep = {k: v for k, v in metadata.items() if k != "checkpoint"}  # no optimizer state is written
        out = args.out.replace("{rank}", str(rank))
        write_safetensors(out, tensors, keep)
        if args.state_dict and rank == 0:
            write_safetensors(args.state_dict, dict(net.state_dict()), {"format": "pt"})
        if rank == 0:
            print(f"saved {out} (backprop model file)", flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
