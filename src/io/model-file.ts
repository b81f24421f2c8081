/**
 * Our model file: a safetensors file (see ./safetensors.ts) that any safetensors reader can open.
 *
 * Tensors, in this order:
 *   layers.{i}.weight  [units, inputs]   W(i+1), row-major, as the network holds it (no transpose)
 *   layers.{i}.bias    [units]           b(i+1)
 * F32 for float32 networks, F64 for float64 ones, so that a round trip is bit-exact either way.
 *
 * `__metadata__` (strings only, as safetensors requires):
 *   format:          "backprop"
 *   format_version:  "1"
 *   backprop:        JSON of ModelInfo: {inputs, layers, loss, dtype, preprocessing, classNames?,
 *                    task?, seed, createdAt, training?, extra?}
 * A layer is {units, activation, alpha?, dropout?, l1?, l2?}; a custom activation is stored by its
 * name only (its functions are code: loading needs them in LoadOptions.customActivations, as
 * Keras needs custom_objects). `training` (TrainingConfig) records how the model was trained:
 * {optimizer: {id, learningRate, ...hyper-parameters}, batchSize, epochs, schedule?,
 * earlyStopping?, clipNorm?, clipValue?}; the PyTorch export reads it.
 *
 * A checkpoint is the same file plus what resuming training needs:
 *   optimizer.{slot key}  one tensor per optimizer slot, shaped like its parameter, e.g.
 *                         optimizer.layers.0.weight.m [units, inputs] (Adam's first moment)
 *   best.layers.{i}.weight / .bias   early stopping's best weights (restoreBest), when kept
 *   checkpoint:           JSON {optimizer: {id, t, learningRate, ...hyper-parameters}, epoch, fitSeed,
 *                         state?: {baseLearningRate, plateau?, earlyStopping?}, extra?}
 * so a checkpoint also loads as a plain model (modelFromBytes ignores the training part).
 *
 * Everything here is browser-safe: bytes in, bytes out.
 */
import { ACTIVATIONS, type ActivationId, type CustomActivation } from '../activations/index.js';
import { BackpropError, DataError, FormatError, OptionError, ShapeError } from '../errors.js';
import { checkPreprocessing } from '../data/preprocess.js';
import type { Kernels } from '../kernels/types.js';
import { LOSSES, type LossId } from '../losses/index.js';
import type { DenseSpec } from '../nn/dense.js';
import { Network, type NetworkOptions } from '../network.js';
import { OPTIMIZERS, OPTIMIZER_SLOTS, optimizer as optimizerById, type Optimizer, type OptimizerId, type OptimizerOptions } from '../optimizers/index.js';
import type { DType, FloatArray } from '../tensor/matrix.js';
import type { FitOptions, TrainingState } from '../train/fit.js';
import { checkEarlyStopping, checkSchedule, type EarlyStopping, type Schedule, type Watch } from '../train/schedule.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';

/** The `format` metadata entry of a backprop model file. */
export const MODEL_FORMAT = 'backprop';
/** The `format_version` this library writes and reads. */
export const MODEL_FORMAT_VERSION = '1';

/**
 * Most layers a model file may describe. Every layer's tensors are checked against the file before
 * the network is built, so the weights cannot be larger than the file; this bound keeps the
 * per-layer overhead of a file of many tiny layers small too.
 */
export const MAX_LAYERS = 1000;

/** A JSON value: what a model file can keep in its metadata. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** What the caller adds to a saved model besides the network itself. */
export interface ModelInfoInput {
  /**
   * How raw inputs were transformed before training, e.g. {kind: 'standardize', mean, std} (see
   * data/preprocess.ts), so that prediction can apply the same transform. Checked on save and on
   * load: a known kind with finite statistics, one per input. Default null.
   */
  preprocessing?: JsonObject | null;
  /** Names of the output classes, one per output (or two for a single sigmoid output). */
  classNames?: string[];
  /** Free-form task label, e.g. 'classification' or 'regression'. */
  task?: string;
  /** ISO 8601 time of creation; default: now. */
  createdAt?: string;
  /** How the model was trained (see TrainingConfig); checked on save. */
  training?: TrainingConfig;
  /** Anything else the caller wants kept with the model (JSON). */
  extra?: JsonObject;
}

/** An optimizer's id, learning rate and hyper-parameters (what `optimizer(id, …)` takes). */
export type OptimizerSettings = {
  /** Which optimizer. */
  id: OptimizerId;
  /** η (the base rate η₀ of a schedule). */
  learningRate: number;
} & Omit<OptimizerOptions, 'learningRate'>;

/**
 * The `training` record of a model file: the settings of the run that trained it. The optimizer's
 * learningRate is the base rate η₀ that a schedule starts from.
 */
export interface TrainingConfig {
  /** The optimizer and its settings. */
  optimizer: OptimizerSettings;
  /** Samples per step. */
  batchSize: number;
  /** Epochs the run was asked for. */
  epochs: number;
  /** The learning-rate schedule, if any. */
  schedule?: Schedule;
  /** Early stopping, if any. */
  earlyStopping?: EarlyStopping;
  /** Global gradient-norm clipping, if any. */
  clipNorm?: number;
  /** Per-entry gradient clipping, if any. */
  clipValue?: number;
}

/** The `backprop` metadata of a model file: the architecture plus the caller's information. */
export interface ModelInfo {
  /** n_0, the input features. */
  inputs: number;
  /** The layers' specs (units, activation, alpha, dropout, penalties). */
  layers: DenseSpec[];
  /** The cost the network was built with. */
  loss: LossId;
  /** The precision of the stored tensors. */
  dtype: DType;
  /** The input transform to apply before predicting (null: none); see {@link applyPreprocessing}. */
  preprocessing: JsonObject | null;
  /** Names of the output classes. */
  classNames?: string[];
  /** Free-form task label, e.g. 'classification'. */
  task?: string;
  /** The network's seed (initial weights and default shuffling seed). */
  seed: number;
  /** ISO 8601 time of saving. */
  createdAt: string;
  /** How the model was trained, when recorded. */
  training?: TrainingConfig;
  /** The caller's own JSON. */
  extra?: JsonObject;
}

/** A model file read back: the rebuilt network and its metadata. */
export interface LoadedModel {
  /** The network, with the saved weights. */
  network: Network;
  /** The metadata stored with it. */
  info: ModelInfo;
}

/** How a model file's network is rebuilt. */
export interface LoadOptions {
  /** Kernels for the rebuilt network (default: chosen by `backend`, `threads` and `deterministic`, as for any network). */
  kernels?: Kernels;
  /** As {@link ModelOptions.backend} (default 'auto'). */
  backend?: NetworkOptions['backend'];
  /** As {@link ModelOptions.threads} (default 'auto'). */
  threads?: NetworkOptions['threads'];
  /** As {@link ModelOptions.deterministic} (default false: FMA where the runtime has it). */
  deterministic?: NetworkOptions['deterministic'];
  /**
   * The functions of the custom activations a file names (a file stores only the name), e.g.
   * `{mish: {f: (z) => …, df: (z, a) => …}}`, as Keras' custom_objects.
   */
  customActivations?: Record<string, Pick<CustomActivation, 'f' | 'df'>>;
}

/** An optimizer's configuration as a checkpoint stores it (the slot buffers go in tensors). */
export interface OptimizerConfig extends OptimizerSettings {
  /** Steps taken so far. */
  t: number;
}

/** What a checkpoint adds to a model so that `fit` can continue exactly where it stopped. */
export interface CheckpointState {
  /** The optimizer object of the run: its hyper-parameters, step count and slot buffers are saved. */
  optimizer: Optimizer;
  /** Epochs completed; resume with `fit(..., {initialEpoch: epoch, seed: fitSeed, optimizer})`. */
  epoch: number;
  /** The run's shuffle seed (`FitOptions.seed ?? network.seed`): epoch e's order depends on it and e only. */
  fitSeed: number;
  /**
   * fit's TrainingState after that epoch (the `state` of onEpochEnd): the schedule's base rate,
   * the plateau and early-stopping watches, the best weights. Needed to resume a run that has a
   * schedule or early stopping exactly.
   */
  state?: TrainingState;
  /** Anything else the resuming program needs (batch size, target epochs, data set path...). */
  extra?: JsonObject;
}

/** A checkpoint read back: the model plus what `fit` needs to continue (see {@link resumeOptions}). */
export interface LoadedCheckpoint extends LoadedModel {
  /** A fresh optimizer with the saved hyper-parameters and state loaded. */
  optimizer: Optimizer;
  /** The optimizer's record as stored. */
  optimizerConfig: OptimizerConfig;
  /** Epochs completed: the `initialEpoch` to resume at. */
  epoch: number;
  /** The run's shuffle seed. */
  fitSeed: number;
  /** fit's TrainingState after that epoch, when saved. */
  state?: TrainingState;
  /** The caller's own JSON, as saved. */
  extra?: JsonObject;
}

/**
 * Serialises a network and its information into our model file (safetensors bytes): W(l) and
 * b(l) as tensors `layers.{i}.weight` / `layers.{i}.bias`, the architecture as metadata.
 *
 * @example
 * ```ts
 * import { modelFromBytes, modelToBytes, network } from 'backprop';
 *
 * const net = network([2, 3, 1], { seed: 1 });
 * const bytes = modelToBytes(net, { task: 'classification', classNames: ['no', 'yes'] });
 * const { network: copy, info } = modelFromBytes(bytes);
 * console.log(info.classNames, copy.predict([[1, 2]]).get(0, 0) === net.predict([[1, 2]]).get(0, 0));   // [ 'no', 'yes' ] true
 * ```
 */
export function modelToBytes(net: Network, info: ModelInfoInput = {}): Uint8Array {
  const tensors = layerTensors(net);
  refuseNonFinite(tensors);
  return encodeSafetensors(tensors, modelMetadata(net, info));
}

/**
 * Rebuilds the network a model file describes. `name` (the file name) appears in every error.
 * Predictions of the result are bit-identical to those of the saved network.
 * Throws a FormatError for anything that is not a model file of this format version.
 *
 * @example
 * ```ts
 * import { modelFromBytes, modelToBytes, network } from 'backprop';
 *
 * const bytes = modelToBytes(network([4, 8, 3], { seed: 1 }));
 * const { network: net, info } = modelFromBytes(bytes, 'iris.safetensors');
 * console.log(info.inputs, info.layers.length, net.outputs);   // 4 2 3
 * ```
 */
export function modelFromBytes(bytes: Uint8Array, name = 'model data', options: LoadOptions = {}): LoadedModel {
  const file = decodeSafetensors(bytes, name);
  const loaded = readModel(file.tensors, file.metadata, name, options);
  // optimizer.* and best.* tensors belong to checkpoints; anywhere else they are unexpected.
  const allowTraining = file.metadata['checkpoint'] !== undefined;
  const params = parameterShapes(loaded.network);
  for (const t of Object.keys(file.tensors)) {
    if (!params.has(t) && !(allowTraining && (t.startsWith('optimizer.') || t.startsWith(BEST)))) {
      throw new FormatError(
        `${name}: unexpected tensor "${t}"; this ${params.size / 2}-layer model holds only layers.{i}.weight and layers.{i}.bias for i < ${params.size / 2}`,
      );
    }
  }
  return loaded;
}

/**
 * A model file plus the optimizer state and training position needed to resume `fit` exactly.
 *
 * @example
 * ```ts
 * import { adam, checkpointToBytes, network, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('moons', { samples: 200, seed: 1 });
 * const net = network([2, 8, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * const optimizer = adam({ learningRate: 0.01 });
 * let bytes: Uint8Array = new Uint8Array();
 * await net.fit(x, y, {
 *   epochs: 5, optimizer,
 *   onEpochEnd: (logs, state) => {
 *     bytes = checkpointToBytes(net, {}, { optimizer, epoch: logs.epoch + 1, fitSeed: net.seed, state });
 *   },
 * });
 * ```
 */
export function checkpointToBytes(net: Network, info: ModelInfoInput, state: CheckpointState): Uint8Array {
  if (!Number.isInteger(state.epoch) || state.epoch < 0) throw new OptionError(`checkpoint epoch must be an integer ≥ 0, got ${state.epoch}`);
  if (!Number.isInteger(state.fitSeed)) throw new OptionError(`checkpoint fitSeed must be an integer, got ${state.fitSeed}`);
  const opt = state.optimizer.state();
  const config = optimizerConfig(state.optimizer);
  const tensors = layerTensors(net);
  const shapes = parameterShapes(net);
  for (const [key, data] of Object.entries(opt.slots)) {
    const shape = shapes.get(parameterOfSlot(key));
    if (!shape || shape.reduce((p, d) => p * d, 1) !== data.length) {
      throw new ShapeError(`optimizer slot "${key}" does not belong to a parameter of this network (was the optimizer used on another one?)`);
    }
    tensors[`optimizer.${key}`] = tensor(shape, data, net.dtype);
  }
  const weights = state.state?.earlyStopping?.weights;
  if (weights) {
    const params = net.parameters();
    if (weights.length !== params.length || weights.some((w, i) => w.length !== params[i]!.value.length)) {
      throw new ShapeError(`the early-stopping weights of the training state do not fit this network (${weights.length} arrays for ${params.length} parameters)`);
    }
    params.forEach((p, i) => (tensors[BEST + p.name] = tensor(shapes.get(p.name)!, weights[i]!, net.dtype)));
  }
  refuseNonFinite(tensors);
  const metadata = modelMetadata(net, info);
  const checkpoint: { optimizer: OptimizerConfig; epoch: number; fitSeed: number; state?: Json; extra?: JsonObject } = {
    optimizer: config,
    epoch: state.epoch,
    fitSeed: state.fitSeed,
  };
  if (state.state) checkpoint.state = stateJson(state.state);
  if (state.extra !== undefined) checkpoint.extra = state.extra;
  metadata['checkpoint'] = JSON.stringify(checkpoint);
  return encodeSafetensors(tensors, metadata);
}

/**
 * Reads a checkpoint: the network, a fresh optimizer holding the saved state, and where to resume.
 *
 * @example
 * ```ts
 * import { adam, checkpointFromBytes, checkpointToBytes, network, resumeOptions, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('moons', { samples: 200, seed: 1 });
 * const net = network([2, 8, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * const optimizer = adam({ learningRate: 0.01 });
 * const history = await net.fit(x, y, { epochs: 3, optimizer });
 * const bytes = checkpointToBytes(net, {}, { optimizer, epoch: 3, fitSeed: net.seed, state: history.state });
 *
 * const checkpoint = checkpointFromBytes(bytes);
 * console.log(checkpoint.epoch, checkpoint.optimizer.t);   // 3 21
 * await checkpoint.network.fit(x, y, { ...resumeOptions(checkpoint), epochs: 6 });   // epochs 3, 4 and 5
 * ```
 */
export function checkpointFromBytes(bytes: Uint8Array, name = 'checkpoint data', options: LoadOptions = {}): LoadedCheckpoint {
  const file = decodeSafetensors(bytes, name);
  const { network, info } = readModel(file.tensors, file.metadata, name, options);
  const raw = file.metadata['checkpoint'];
  if (raw === undefined) throw new FormatError(`${name} is a backprop model but not a checkpoint (no "checkpoint" metadata): it cannot resume training`);
  const c = parseJsonObject(raw, `${name}: the "checkpoint" metadata`);
  function fail(what: string): never {
    throw new FormatError(`${name}: the "checkpoint" metadata ${what}`);
  }
  if (!Number.isSafeInteger(c['epoch']) || (c['epoch'] as number) < 0) fail(`needs "epoch", an integer ≥ 0 (got ${JSON.stringify(c['epoch'])})`);
  if (!Number.isSafeInteger(c['fitSeed'])) fail(`needs "fitSeed", an integer (got ${JSON.stringify(c['fitSeed'])})`);
  if (c['extra'] !== undefined && !isJsonObject(c['extra'])) fail('has an "extra" that is not an object');
  const o = c['optimizer'];
  if (!isJsonObject(o)) fail('needs "optimizer", an object {id, t, learningRate, ...}');
  const config = o as unknown as OptimizerConfig;
  const opt = readOptimizer(config, fail);
  if (!Number.isSafeInteger(config.t) || config.t < 0) fail(`has optimizer step count t = ${JSON.stringify(config.t)}; expected an integer ≥ 0`);

  // Slot tensors: each optimizer.{param}.{slot} shaped like its parameter, in the network's dtype;
  // once the optimizer has stepped (t > 0) every parameter has every slot of its kind.
  const slotNames = OPTIMIZER_SLOTS[config.id];
  const shapes = parameterShapes(network);
  const dtype = network.dtype === 'float64' ? 'F64' : 'F32';
  const slots: Record<string, FloatArray> = {};
  for (const [key, t] of Object.entries(file.tensors)) {
    if (shapes.has(key) || key.startsWith(BEST)) continue;
    if (!key.startsWith('optimizer.')) throw new FormatError(`${name}: unexpected tensor "${key}"`);
    const slotKey = key.slice('optimizer.'.length);
    const param = parameterOfSlot(slotKey);
    const shape = shapes.get(param);
    const slot = slotKey.slice(param.length + 1);
    if (!shape || !slotNames.includes(slot)) {
      throw new FormatError(`${name}: tensor "${key}" is not a slot of a ${config.id} optimizer for this network (slots: ${slotNames.join(', ') || 'none'})`);
    }
    if (t.dtype !== dtype || !sameShape(t.shape, shape)) {
      throw new FormatError(`${name}: tensor "${key}" is ${t.dtype} [${t.shape.join(', ')}], expected ${dtype} [${shape.join(', ')}] like ${param}`);
    }
    refuseNonFiniteTensor(key, t, name);
    slots[slotKey] = t.data;
  }
  if (config.t > 0) {
    for (const param of shapes.keys()) {
      for (const slot of slotNames) {
        if (!(`${param}.${slot}` in slots)) throw new FormatError(`${name}: tensor "optimizer.${param}.${slot}" is missing (the optimizer has taken ${config.t} steps)`);
      }
    }
  }
  opt.loadState({ id: config.id, t: config.t, slots });

  const out: LoadedCheckpoint = {
    network,
    info,
    optimizer: opt,
    optimizerConfig: { ...config },
    epoch: c['epoch'] as number,
    fitSeed: c['fitSeed'] as number,
  };
  if (c['state'] !== undefined) out.state = readState(c['state'], network, file.tensors, name, fail);
  if (c['extra'] !== undefined) out.extra = c['extra'] as JsonObject;
  return out;
}

/**
 * The options that continue a checkpoint's run with `fit`: its optimizer, position, shuffle seed
 * and training state, and the settings of its `training` record (epochs, batch size, schedule,
 * early stopping, clipping). `fit(x, y, {...resumeOptions(c), ...more})` ends bit-identical to the
 * uninterrupted run on the same data.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, resumeOptions, toyDataset } from 'backprop/node';
 *
 * const { x, y } = toyDataset('moons', { samples: 200, seed: 1 });
 * const checkpoint = await loadCheckpoint('run.ckpt.safetensors');   // written by saveCheckpoint or `backprop train --checkpoint-every`
 * await checkpoint.network.fit(x, y, resumeOptions(checkpoint));
 * ```
 */
export function resumeOptions(c: LoadedCheckpoint): FitOptions {
  const out: FitOptions = { optimizer: c.optimizer, initialEpoch: c.epoch, seed: c.fitSeed };
  if (c.state) out.state = c.state;
  const t = c.info.training;
  if (t) {
    out.epochs = t.epochs;
    out.batchSize = t.batchSize;
    if (t.schedule) out.schedule = t.schedule;
    if (t.earlyStopping) out.earlyStopping = t.earlyStopping;
    if (t.clipNorm !== undefined) out.clipNorm = t.clipNorm;
    if (t.clipValue !== undefined) out.clipValue = t.clipValue;
  }
  return out;
}

/** Tensor names of early stopping's best weights in a checkpoint: `best.layers.{i}.weight`. */
const BEST = 'best.';

/** The optimizer settings' fields and what each must be; `id` and `learningRate` are required. */
const OPTIMIZER_FIELDS = ['learningRate', 'momentum', 'beta1', 'beta2', 'epsilon', 'rho', 'weightDecay'] as const;

/** Checks optimizer settings read from a file and builds the optimizer they describe (its own checks name a bad range). */
function readOptimizer(s: OptimizerSettings, fail: (what: string) => never): Optimizer {
  if (!(OPTIMIZERS as readonly unknown[]).includes(s.id)) fail(`has optimizer id ${JSON.stringify(s.id)}; valid: ${OPTIMIZERS.join(', ')}`);
  for (const k of OPTIMIZER_FIELDS) {
    const v = s[k];
    if ((k === 'learningRate' || v !== undefined) && (typeof v !== 'number' || !Number.isFinite(v))) {
      fail(`has optimizer ${k} = ${JSON.stringify(v)}; expected a finite number`);
    }
  }
  if (s.nesterov !== undefined && typeof s.nesterov !== 'boolean') fail(`has optimizer nesterov = ${JSON.stringify(s.nesterov)}; expected true or false`);
  try {
    const { learningRate, momentum, nesterov, beta1, beta2, epsilon, rho, weightDecay } = s;
    return optimizerById(s.id, { learningRate, momentum, nesterov, beta1, beta2, epsilon, rho, weightDecay });
  } catch (e) {
    if (e instanceof BackpropError) fail(`describes an invalid optimizer: ${e.message}`);
    throw e;
  }
}

/** A training state as checkpoint JSON (the best weights go in tensors). */
function stateJson(s: TrainingState): Json {
  const finite = (what: string, v: number | null) => {
    if (v !== null && !Number.isFinite(v)) throw new OptionError(`cannot checkpoint a training state whose ${what} is ${v}`);
    return v;
  };
  const watch = (what: string, w: Watch): JsonObject => ({ best: finite(`${what} best`, w.best), bestEpoch: w.bestEpoch, wait: w.wait });
  const out: JsonObject = { baseLearningRate: finite('baseLearningRate', s.baseLearningRate) };
  if (s.plateau) out['plateau'] = { learningRate: finite('plateau learningRate', s.plateau.learningRate), ...watch('plateau', s.plateau) };
  if (s.earlyStopping) out['earlyStopping'] = watch('earlyStopping', s.earlyStopping);
  return out;
}

/** Reads a checkpoint's training state, with early stopping's best weights from the best.* tensors. */
function readState(
  raw: unknown,
  net: Network,
  tensors: Record<string, SafetensorsTensor>,
  name: string,
  fail: (what: string) => never,
): TrainingState {
  if (!isJsonObject(raw)) fail('has a "state" that is not an object {baseLearningRate, plateau?, earlyStopping?}');
  const s = raw as Record<string, unknown>;
  const rate = (what: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`has state ${what} = ${JSON.stringify(v)}; expected a finite number ≥ 0`);
    return v;
  };
  const watch = (what: string, v: unknown): Watch => {
    if (!isJsonObject(v)) fail(`has a state ${what} that is not an object {best, bestEpoch, wait}`);
    const w = v as Record<string, unknown>;
    if (w['best'] !== null && (typeof w['best'] !== 'number' || !Number.isFinite(w['best']))) fail(`has state ${what}.best = ${JSON.stringify(w['best'])}; expected a finite number or null`);
    if (!Number.isInteger(w['bestEpoch']) || (w['bestEpoch'] as number) < -1) fail(`has state ${what}.bestEpoch = ${JSON.stringify(w['bestEpoch'])}; expected an integer ≥ -1`);
    if (!Number.isInteger(w['wait']) || (w['wait'] as number) < 0) fail(`has state ${what}.wait = ${JSON.stringify(w['wait'])}; expected an integer ≥ 0`);
    return { best: w['best'] as number | null, bestEpoch: w['bestEpoch'] as number, wait: w['wait'] as number };
  };
  const state: TrainingState = { baseLearningRate: rate('baseLearningRate', s['baseLearningRate']) };
  if (s['plateau'] !== undefined) {
    state.plateau = { learningRate: rate('plateau.learningRate', (s['plateau'] as Record<string, unknown> | null)?.['learningRate']), ...watch('plateau', s['plateau']) };
  }
  if (s['earlyStopping'] !== undefined) state.earlyStopping = watch('earlyStopping', s['earlyStopping']);

  // Best weights: all of them or none, each like its parameter.
  const dtype = net.dtype === 'float64' ? 'F64' : 'F32';
  const shapes = parameterShapes(net);
  const best = Object.keys(tensors).filter((k) => k.startsWith(BEST));
  for (const key of best) {
    const shape = shapes.get(key.slice(BEST.length));
    if (!shape) throw new FormatError(`${name}: tensor "${key}" is not the best weights of a parameter of this network`);
    const t = tensors[key]!;
    if (t.dtype !== dtype || !sameShape(t.shape, shape)) {
      throw new FormatError(`${name}: tensor "${key}" is ${t.dtype} [${t.shape.join(', ')}], expected ${dtype} [${shape.join(', ')}] like ${key.slice(BEST.length)}`);
    }
    refuseNonFiniteTensor(key, t, name);
  }
  if (best.length > 0) {
    if (!state.earlyStopping) throw new FormatError(`${name}: tensor "${best[0]}" holds early stopping's best weights but the state has no earlyStopping`);
    state.earlyStopping.weights = net.parameters().map((p) => {
      const t = tensors[BEST + p.name];
      if (!t) throw new FormatError(`${name}: tensor "${BEST + p.name}" is missing (the checkpoint holds early stopping's best weights)`);
      return t.data.slice();
    });
  }
  return state;
}

/**
 * An optimizer's id, learning rate and hyper-parameters, as a training record stores them.
 *
 * @example
 * ```ts
 * import { adam, optimizerSettings } from 'backprop';
 *
 * console.log(optimizerSettings(adam({ learningRate: 0.01 })));   // { id: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
 * ```
 */
export function optimizerSettings(opt: Optimizer): OptimizerSettings {
  return { id: opt.id, learningRate: opt.learningRate, ...opt.hyperParameters() };
}

/**
 * What a checkpoint records of an optimizer besides its slot buffers: its settings and t, the
 * steps taken.
 *
 * @example
 * ```ts
 * import { optimizerConfig, sgd } from 'backprop';
 *
 * console.log(optimizerConfig(sgd()));   // { id: 'sgd', t: 0, learningRate: 0.01 }
 * ```
 */
export function optimizerConfig(opt: Optimizer): OptimizerConfig {
  return { id: opt.id, t: opt.t, learningRate: opt.learningRate, ...opt.hyperParameters() };
}


function tensor(shape: number[], data: FloatArray, dtype: DType): SafetensorsTensor {
  // Copies: the encoder must see exactly the values of this instant, and slots may be Float64.
  return dtype === 'float64'
    ? { dtype: 'F64', shape, data: Float64Array.from(data) }
    : { dtype: 'F32', shape, data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

function layerTensors(net: Network): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  net.layers.forEach((l, i) => {
    out[`layers.${i}.weight`] = tensor([l.units, l.inputs], l.W, net.dtype);
    out[`layers.${i}.bias`] = tensor([l.units], l.b, net.dtype);
  });
  return out;
}

function parameterShapes(net: Network): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  net.layers.forEach((l, i) => {
    shapes.set(`layers.${i}.weight`, [l.units, l.inputs]);
    shapes.set(`layers.${i}.bias`, [l.units]);
  });
  return shapes;
}

/** `layers.0.weight.m` → `layers.0.weight` (slot keys are `${parameter}.${slot}`). */
function parameterOfSlot(key: string): string {
  return key.slice(0, Math.max(0, key.lastIndexOf('.')));
}

function modelMetadata(net: Network, input: ModelInfoInput): Record<string, string> {
  const loss = net.cost.id;
  if (!(LOSSES as readonly string[]).includes(loss)) throw new OptionError(`cannot save a model trained with the custom cost "${loss}": model files name built-in costs only (${LOSSES.join(', ')})`);
  // What loading would refuse is refused here, so that no unloadable file is ever written.
  if (input.preprocessing) checkPreprocessing(input.preprocessing, net.inputs);
  if (input.classNames !== undefined && !classNamesFit(input.classNames.length, net.outputs)) {
    throw new OptionError(`${input.classNames.length} class names for ${net.outputs} outputs; expected one per output (two for a single output)`);
  }
  if (input.training !== undefined) parseTraining(input.training, (what) => {
    throw new OptionError(`training record ${what}`);
  });
  const info: ModelInfo = {
    inputs: net.inputs,
    // a custom activation is stored by its name: its functions are code, given again on load
    layers: net.specs.map((s) => (typeof s.activation === 'object' ? { ...s, activation: s.activation.name as ActivationId } : s)),
    loss: loss as LossId,
    dtype: net.dtype,
    preprocessing: input.preprocessing ?? null,
    seed: net.seed,
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
  if (input.classNames !== undefined) info.classNames = [...input.classNames];
  if (input.task !== undefined) info.task = input.task;
  if (input.training !== undefined) info.training = input.training;
  if (input.extra !== undefined) info.extra = input.extra;
  return { format: MODEL_FORMAT, format_version: MODEL_FORMAT_VERSION, backprop: JSON.stringify(info) };
}

function readModel(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string>,
  name: string,
  options: LoadOptions,
): LoadedModel {
  if (metadata['format'] !== MODEL_FORMAT) {
    const names = Object.keys(tensors);
    const list = names.slice(0, 5).map((t) => `"${t}"`).join(', ') + (names.length > 5 ? ', ...' : '');
    const why = metadata['format'] === undefined ? 'no __metadata__.format' : `__metadata__.format is ${JSON.stringify(metadata['format'])}`;
    throw new FormatError(
      `${name} is a safetensors file without backprop metadata (${why}; expected "${MODEL_FORMAT}"). ` +
        `It holds ${names.length} tensor${names.length === 1 ? '' : 's'}${names.length ? ` (${list})` : ''}; ` +
        'it was probably written by another library.',
    );
  }
  const version = metadata['format_version'];
  if (version !== MODEL_FORMAT_VERSION) {
    throw new FormatError(
      `${name} is a backprop model of format_version ${JSON.stringify(version ?? null)}; this version of backprop reads format_version "${MODEL_FORMAT_VERSION}"` +
        (version !== undefined && Number(version) > Number(MODEL_FORMAT_VERSION) ? ' (the file was written by a newer backprop: upgrade)' : ''),
    );
  }
  if (metadata['backprop'] === undefined) throw new FormatError(`${name}: the "backprop" metadata (architecture) is missing`);
  const info = parseInfo(parseJsonObject(metadata['backprop'], `${name}: the "backprop" metadata`), name, options.customActivations ?? {});

  checkLayerTensors(info, tensors, name);

  let network: Network;
  try {
    // 'zeros': the saved weights replace the initial ones anyway; no need to draw random numbers.
    network = new Network(info.inputs, info.layers, { loss: info.loss, seed: info.seed, dtype: info.dtype, init: 'zeros', kernels: options.kernels, backend: options.backend, threads: options.threads, deterministic: options.deterministic });
  } catch (e) {
    if (e instanceof BackpropError) throw new FormatError(`${name}: cannot build the network the file describes: ${e.message}`);
    throw e;
  }
  network.layers.forEach((layer, i) => {
    layer.W.set(tensors[`layers.${i}.weight`]!.data);
    layer.b.set(tensors[`layers.${i}.bias`]!.data);
  });
  return { network, info };
}

/**
 * Every layer's weight and bias must be in the file, of the model's dtype, shaped as the
 * architecture says and finite. Checked before the network is built, so that metadata claiming a
 * huge layer fails here, against tensors the file really holds, instead of allocating it.
 */
function checkLayerTensors(info: ModelInfo, tensors: Record<string, SafetensorsTensor>, name: string): void {
  const dtype = info.dtype === 'float64' ? 'F64' : 'F32';
  let inputs = info.inputs;
  info.layers.forEach(({ units }, i) => {
    for (const [kind, shape] of [
      ['weight', [units, inputs]],
      ['bias', [units]],
    ] as const) {
      const key = `layers.${i}.${kind}`;
      const t = tensors[key];
      if (!t) throw new FormatError(`${name}: tensor "${key}" is missing (layer ${i + 1} of ${info.layers.length})`);
      if (t.dtype !== dtype) throw new FormatError(`${name}: tensor "${key}" is ${t.dtype} but the model's dtype ${info.dtype} needs ${dtype}`);
      if (!sameShape(t.shape, shape)) {
        throw new FormatError(`${name}: tensor "${key}" has shape [${t.shape.join(', ')}] but layer ${i + 1} (${inputs} inputs → ${units} units) needs [${shape.join(', ')}]`);
      }
      refuseNonFiniteTensor(key, t, name);
    }
    inputs = units;
  });
}

/** A FormatError naming the tensor and its first NaN or ±Infinity, if it holds one. */
function refuseNonFiniteTensor(key: string, t: SafetensorsTensor, name: string): void {
  const i = firstNonFinite(t.data);
  if (i >= 0) throw new FormatError(`${name}: tensor "${key}" holds ${t.data[i]} at ${position(t.shape, i)}; every value must be finite`);
}

/** Saving refuses non-finite values: a file holding them would load as a model that predicts NaN. */
function refuseNonFinite(tensors: Record<string, SafetensorsTensor>): void {
  for (const [key, t] of Object.entries(tensors)) {
    const i = firstNonFinite(t.data);
    if (i >= 0) {
      throw new DataError(`cannot save a model whose tensor "${key}" holds ${t.data[i]} at ${position(t.shape, i)}; every value must be finite (did training diverge?)`);
    }
  }
}

function firstNonFinite(data: Float32Array | Float64Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** "index 5 (row 1, column 2)" for a matrix, "index 5" for a vector. */
function position(shape: readonly number[], i: number): string {
  return shape.length === 2 ? `index ${i} (row ${Math.floor(i / shape[1]!)}, column ${i % shape[1]!})` : `index ${i}`;
}

/** Validates the `backprop` JSON field by field, so that a bad file says which field is wrong. */
function parseInfo(o: Record<string, unknown>, name: string, customs: NonNullable<LoadOptions['customActivations']>): ModelInfo {
  function fail(what: string): never {
    throw new FormatError(`${name}: the "backprop" metadata ${what}`);
  }
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
  if (!count(o['inputs'])) fail(`needs "inputs", an integer ≥ 1 (got ${JSON.stringify(o['inputs'])})`);
  if (!Array.isArray(o['layers']) || o['layers'].length === 0) fail('needs "layers", a non-empty array of layer specs');
  if (o['layers'].length > MAX_LAYERS) fail(`has ${o['layers'].length} layers, more than the ${MAX_LAYERS} a model may have (MAX_LAYERS)`);
  const layers = (o['layers'] as unknown[]).map((l, i): DenseSpec => {
    if (!isJsonObject(l)) fail(`layer ${i + 1} is not an object {units, activation}`);
    const s = l as Record<string, unknown>;
    if (!count(s['units'])) fail(`layer ${i + 1} needs "units", an integer ≥ 1 (got ${JSON.stringify(s['units'])})`);
    const act = s['activation'];
    const builtIn = (ACTIVATIONS as readonly unknown[]).includes(act);
    const custom = !builtIn && typeof act === 'string' && Object.hasOwn(customs, act) ? customs[act]! : undefined;
    if (!builtIn && !custom) {
      fail(
        `layer ${i + 1} has activation ${JSON.stringify(act)}; valid: ${ACTIVATIONS.join(', ')}` +
          (typeof act === 'string' && act !== '' ? `, or a custom activation whose functions are given on load: customActivations: {${JSON.stringify(act)}: {f, df}}` : ''),
      );
    }
    if (custom && (typeof custom.f !== 'function' || typeof custom.df !== 'function')) {
      throw new OptionError(`customActivations.${act as string} must be {f(z), df(z, a)}, two functions`);
    }
    const spec: DenseSpec = { units: s['units'] as number, activation: custom ? { name: act as string, f: custom.f, df: custom.df } : (act as ActivationId) };
    for (const key of ['alpha', 'dropout', 'l1', 'l2'] as const) {
      const v = s[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`layer ${i + 1} has ${key} ${JSON.stringify(v)}; expected a finite number`);
      if (key === 'dropout' && !(v >= 0 && v < 1)) fail(`layer ${i + 1} has dropout ${v}; expected a rate in [0, 1)`);
      if ((key === 'l1' || key === 'l2') && v < 0) fail(`layer ${i + 1} has ${key} ${v}; expected a number ≥ 0`);
      spec[key] = v;
    }
    return spec;
  });
  if (!(LOSSES as readonly unknown[]).includes(o['loss'])) fail(`has loss ${JSON.stringify(o['loss'])}; valid: ${LOSSES.join(', ')}`);
  if (o['dtype'] !== 'float32' && o['dtype'] !== 'float64') fail(`has dtype ${JSON.stringify(o['dtype'])}; valid: float32, float64`);
  if (!Number.isSafeInteger(o['seed'])) fail(`needs "seed", an integer (got ${JSON.stringify(o['seed'])})`);
  if (typeof o['createdAt'] !== 'string') fail('needs "createdAt", a string');
  const pre = o['preprocessing'] ?? null;
  if (pre !== null) {
    try {
      checkPreprocessing(pre, o['inputs'] as number);
    } catch (e) {
      if (e instanceof BackpropError) fail(`has a "preprocessing" that is not usable: ${e.message}`);
      throw e;
    }
  }
  const info: ModelInfo = {
    inputs: o['inputs'] as number,
    layers,
    loss: o['loss'] as LossId,
    dtype: o['dtype'] as DType,
    preprocessing: pre as JsonObject | null,
    seed: o['seed'] as number,
    createdAt: o['createdAt'] as string,
  };
  if (o['classNames'] !== undefined) {
    const names = o['classNames'];
    if (!Array.isArray(names) || !names.every((c) => typeof c === 'string')) fail('has "classNames" that are not an array of strings');
    const outputs = layers.at(-1)!.units;
    if (!classNamesFit(names.length, outputs)) {
      fail(`has ${names.length} "classNames" for ${outputs} outputs; expected one per output (two for a single output)`);
    }
    info.classNames = [...(names as string[])];
  }
  if (o['task'] !== undefined) {
    if (typeof o['task'] !== 'string') fail('has a "task" that is not a string');
    info.task = o['task'] as string;
  }
  if (o['training'] !== undefined) info.training = parseTraining(o['training'], (what) => fail(`has a "training" record that ${what}`));
  if (o['extra'] !== undefined) {
    if (!isJsonObject(o['extra'])) fail('has an "extra" that is not an object');
    info.extra = o['extra'] as JsonObject;
  }
  return info;
}

/** One name per output, or two for a single sigmoid output (P(class 1)). */
function classNamesFit(names: number, outputs: number): boolean {
  return names === outputs || (outputs === 1 && names === 2);
}

/** Validates a `training` record, field by field (`fail` gets "… that" completed by the problem). */
function parseTraining(raw: unknown, fail: (what: string) => never): TrainingConfig {
  if (!isJsonObject(raw)) fail('is not an object {optimizer, batchSize, epochs, ...}');
  const t = raw as Record<string, unknown>;
  if (!isJsonObject(t['optimizer'])) fail('needs "optimizer", an object {id, learningRate, ...}');
  readOptimizer(t['optimizer'] as unknown as OptimizerSettings, fail);
  for (const key of ['batchSize', 'epochs'] as const) {
    if (!Number.isSafeInteger(t[key]) || (t[key] as number) < 1) fail(`has ${key} ${JSON.stringify(t[key])}; expected an integer ≥ 1`);
  }
  for (const key of ['clipNorm', 'clipValue'] as const) {
    const v = t[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) fail(`has ${key} ${JSON.stringify(v)}; expected a finite number > 0`);
  }
  // the library's own checks name the bad field of a schedule or of early stopping
  const check = (key: 'schedule' | 'earlyStopping', fn: (v: never) => unknown) => {
    if (t[key] === undefined) return;
    try {
      fn(t[key] as never);
    } catch (e) {
      if (e instanceof BackpropError) fail(`has an invalid ${key}: ${e.message}`);
      throw e;
    }
  };
  check('schedule', checkSchedule);
  check('earlyStopping', checkEarlyStopping);
  return raw as unknown as TrainingConfig;
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${what} is not valid JSON (${(e as Error).message})`);
  }
  if (!isJsonObject(v)) throw new FormatError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function isJsonObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
