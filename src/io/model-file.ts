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
 *                    task?, seed, createdAt, extra?}
 *
 * A checkpoint is the same file plus what resuming training needs:
 *   optimizer.{slot key}  one tensor per optimizer slot, shaped like its parameter, e.g.
 *                         optimizer.layers.0.weight.m [units, inputs] (Adam's first moment)
 *   checkpoint:           JSON {optimizer: {id, t, learningRate, ...hyper-parameters}, epoch, fitSeed, extra?}
 * so a checkpoint also loads as a plain model (modelFromBytes ignores the optimizer part).
 *
 * Everything here is browser-safe: bytes in, bytes out.
 */
import { ACTIVATIONS, type ActivationId } from '../activations/index.js';
import { BackpropError, DataError, FormatError, OptionError, ShapeError } from '../errors.js';
import { checkPreprocessing } from '../data/preprocess.js';
import type { Kernels } from '../kernels/types.js';
import { LOSSES, type LossId } from '../losses/index.js';
import type { DenseSpec } from '../nn/dense.js';
import { Network, type NetworkOptions } from '../network.js';
import { OPTIMIZERS, optimizer as optimizerById, type Optimizer, type OptimizerId } from '../optimizers/index.js';
import type { DType, FloatArray } from '../tensor/matrix.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';

export const MODEL_FORMAT = 'backprop';
export const MODEL_FORMAT_VERSION = '1';

/**
 * Most layers a model file may describe. Every layer's tensors are checked against the file before
 * the network is built, so the weights cannot be larger than the file; this bound keeps the
 * per-layer overhead of a file of many tiny layers small too.
 */
export const MAX_LAYERS = 1000;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
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
  /** Anything else the caller wants kept with the model (JSON). */
  extra?: JsonObject;
}

/** The `backprop` metadata of a model file: the architecture plus the caller's information. */
export interface ModelInfo {
  inputs: number;
  layers: DenseSpec[];
  loss: LossId;
  dtype: DType;
  preprocessing: JsonObject | null;
  classNames?: string[];
  task?: string;
  /** The network's seed (initial weights and default shuffling seed). */
  seed: number;
  createdAt: string;
  extra?: JsonObject;
}

export interface LoadedModel {
  network: Network;
  info: ModelInfo;
}

export interface LoadOptions {
  /** Kernels for the rebuilt network (default: chosen by `backend` and `threads`, as for any network). */
  kernels?: Kernels;
  backend?: NetworkOptions['backend'];
  threads?: NetworkOptions['threads'];
}

/** An optimizer's configuration as a checkpoint stores it (the slot buffers go in tensors). */
export interface OptimizerConfig {
  id: OptimizerId;
  /** Steps taken so far. */
  t: number;
  learningRate: number;
  /** momentum: μ */
  momentum?: number;
  /** adam: β1, β2, ε */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** What a checkpoint adds to a model so that `fit` can continue exactly where it stopped. */
export interface CheckpointState {
  /** The optimizer object of the run: its hyper-parameters, step count and slot buffers are saved. */
  optimizer: Optimizer;
  /** Epochs completed; resume with `fit(..., {initialEpoch: epoch, seed: fitSeed, optimizer})`. */
  epoch: number;
  /** The run's shuffle seed (`FitOptions.seed ?? network.seed`): epoch e's order depends on it and e only. */
  fitSeed: number;
  /** Anything else the resuming program needs (batch size, target epochs, data set path...). */
  extra?: JsonObject;
}

export interface LoadedCheckpoint extends LoadedModel {
  /** A fresh optimizer with the saved hyper-parameters and state loaded. */
  optimizer: Optimizer;
  optimizerConfig: OptimizerConfig;
  epoch: number;
  fitSeed: number;
  extra?: JsonObject;
}

/** Serialises a network and its information into our model file (safetensors bytes). */
export function modelToBytes(net: Network, info: ModelInfoInput = {}): Uint8Array {
  const tensors = layerTensors(net);
  refuseNonFinite(tensors);
  return encodeSafetensors(tensors, modelMetadata(net, info));
}

/**
 * Rebuilds the network a model file describes. `name` (the file name) appears in every error.
 * Predictions of the result are bit-identical to those of the saved network.
 * Throws a FormatError for anything that is not a model file of this format version.
 */
export function modelFromBytes(bytes: Uint8Array, name = 'model data', options: LoadOptions = {}): LoadedModel {
  const file = decodeSafetensors(bytes, name);
  const loaded = readModel(file.tensors, file.metadata, name, options);
  // optimizer.* tensors belong to checkpoints; anywhere else they are unexpected.
  const allowOptimizer = file.metadata['checkpoint'] !== undefined;
  const params = parameterShapes(loaded.network);
  for (const t of Object.keys(file.tensors)) {
    if (!params.has(t) && !(allowOptimizer && t.startsWith('optimizer.'))) {
      throw new FormatError(
        `${name}: unexpected tensor "${t}"; this ${params.size / 2}-layer model holds only layers.{i}.weight and layers.{i}.bias for i < ${params.size / 2}`,
      );
    }
  }
  return loaded;
}

/** A model file plus the optimizer state and training position needed to resume `fit` exactly. */
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
  refuseNonFinite(tensors);
  const metadata = modelMetadata(net, info);
  const checkpoint: { optimizer: OptimizerConfig; epoch: number; fitSeed: number; extra?: JsonObject } = {
    optimizer: config,
    epoch: state.epoch,
    fitSeed: state.fitSeed,
  };
  if (state.extra !== undefined) checkpoint.extra = state.extra;
  metadata['checkpoint'] = JSON.stringify(checkpoint);
  return encodeSafetensors(tensors, metadata);
}

/** Reads a checkpoint: the network, a fresh optimizer holding the saved state, and where to resume. */
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
  if (!(OPTIMIZERS as readonly unknown[]).includes(config.id)) fail(`has optimizer id ${JSON.stringify(config.id)}; valid: ${OPTIMIZERS.join(', ')}`);
  if (!Number.isSafeInteger(config.t) || config.t < 0) fail(`has optimizer step count t = ${JSON.stringify(config.t)}; expected an integer ≥ 0`);
  for (const k of ['learningRate', 'momentum', 'beta1', 'beta2', 'epsilon'] as const) {
    const v = config[k];
    if ((k === 'learningRate' || v !== undefined) && (typeof v !== 'number' || !Number.isFinite(v))) {
      fail(`has optimizer ${k} = ${JSON.stringify(v)}; expected a finite number`);
    }
  }
  let opt: Optimizer;
  try {
    const { learningRate, momentum, beta1, beta2, epsilon } = config;
    opt = optimizerById(config.id, { learningRate, momentum, beta1, beta2, epsilon });
  } catch (e) {
    if (e instanceof BackpropError) fail(`describes an invalid optimizer: ${e.message}`);
    throw e;
  }

  // Slot tensors: each optimizer.{param}.{slot} shaped like its parameter, in the network's dtype;
  // once the optimizer has stepped (t > 0) every parameter has every slot of its kind.
  const slotNames = SLOTS[config.id];
  const shapes = parameterShapes(network);
  const dtype = network.dtype === 'float64' ? 'F64' : 'F32';
  const slots: Record<string, FloatArray> = {};
  for (const [key, t] of Object.entries(file.tensors)) {
    if (shapes.has(key)) continue;
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
  if (c['extra'] !== undefined) out.extra = c['extra'] as JsonObject;
  return out;
}

/** What a checkpoint records of an optimizer besides its slot buffers. */
export function optimizerConfig(opt: Optimizer): OptimizerConfig {
  return { id: opt.id, t: opt.t, learningRate: opt.learningRate, ...opt.hyperParameters() };
}

/** The per-parameter buffers each optimizer keeps (see src/optimizers). */
const SLOTS: Record<OptimizerId, readonly string[]> = { sgd: [], momentum: ['v'], adam: ['m', 'v'], rmsprop: ['v'] };

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
  const info: ModelInfo = {
    inputs: net.inputs,
    layers: net.specs,
    loss: loss as LossId,
    dtype: net.dtype,
    preprocessing: input.preprocessing ?? null,
    seed: net.seed,
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
  if (input.classNames !== undefined) info.classNames = [...input.classNames];
  if (input.task !== undefined) info.task = input.task;
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
  const info = parseInfo(parseJsonObject(metadata['backprop'], `${name}: the "backprop" metadata`), name);

  checkLayerTensors(info, tensors, name);

  let network: Network;
  try {
    // 'zeros': the saved weights replace the initial ones anyway; no need to draw random numbers.
    network = new Network(info.inputs, info.layers, { loss: info.loss, seed: info.seed, dtype: info.dtype, init: 'zeros', kernels: options.kernels, backend: options.backend, threads: options.threads });
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
function parseInfo(o: Record<string, unknown>, name: string): ModelInfo {
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
    if (!(ACTIVATIONS as readonly unknown[]).includes(s['activation'])) {
      fail(`layer ${i + 1} has activation ${JSON.stringify(s['activation'])}; valid: ${ACTIVATIONS.join(', ')}`);
    }
    const spec: DenseSpec = { units: s['units'] as number, activation: s['activation'] as ActivationId };
    if (s['alpha'] !== undefined) {
      if (typeof s['alpha'] !== 'number' || !Number.isFinite(s['alpha'])) fail(`layer ${i + 1} has alpha ${JSON.stringify(s['alpha'])}; expected a finite number`);
      spec.alpha = s['alpha'] as number;
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
