/** Messages between the page and the training worker. */
import type { LayerWeights, ModelConfig } from './model.js';
import type { BackendName, OptimizerName, ScheduleName } from './state.js';

/**
 * The settings that apply to a running network without a reset (as TF Playground's η does): the
 * epoch and the weights go on.
 */
export interface LiveSettings {
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  schedule: ScheduleName;
  /** early stopping's patience (0: off) */
  patience: number;
  /** the penalties (the worker rebuilds the network around the same weights) */
  l1: number;
  l2: number;
  /** the optimizer's decoupled weight decay (a change makes a fresh optimizer) */
  weightDecay: number;
  /** the gradient's global L2 norm limit (0: off) */
  clipNorm: number;
}

export interface TrainSetup extends LiveSettings {
  model: ModelConfig;
  /** shuffle seed of fit */
  seed: number;
  xTrain: number[][];
  yTrain: number[][];
  xTest: number[][];
  yTest: number[][];
  /** network inputs of the heat-map grid, GRID² rows */
  grid: number[][];
  /** the kernels to train on */
  backend: BackendName;
  /** start from these weights at this epoch instead of the seed's initial weights at 0 (a preset, a link) */
  start: { weights: LayerWeights[]; epoch: number } | null;
}

/** The kernels the worker trains on, as the library made them. */
export interface KernelInfo {
  /** what the state asked for */
  requested: BackendName;
  /** 'wasm' or 'js' */
  backend: string;
  /** threads sharing the large products (the worker's own included) */
  threads: number;
  /** whether the wasm memory is shared (SharedArrayBuffer: needs a cross-origin-isolated page) */
  shared: boolean;
  crossOriginIsolated: boolean;
  /** why the kernels differ from the request, if they do */
  note: string | null;
}

/** A one-neuron-per-layer chain of the chain view (float64, MSE). */
export interface ChainRequest {
  activation: string;
  x: number;
  y: number;
  w: number[];
  b: number[];
  /** which w(k) the cost curve varies (1-based), over this range */
  vary: number;
  range: number;
}

/**
 * Requests answered with a `reply` of the same `req` number. The page never builds a network itself
 * (that would load the library's WebAssembly on the page too): explain() and the exports run here.
 */
export type Request =
  | { kind: 'explain'; model: ModelConfig; weights: LayerWeights[]; x: number[][]; y: number[][]; learningRate: number; clipNorm: number }
  | { kind: 'export'; format: 'model' | 'onnx' | 'tfjs'; model: ModelConfig; weights: LayerWeights[]; info: ExportInfo }
  | { kind: 'chain'; chain: ChainRequest };

export interface ExportInfo {
  task: 'classification' | 'regression';
  classes: number;
  features: string[];
  link: string;
  epoch: number;
}

export type ToWorker =
  | { type: 'setup'; id: number; setup: TrainSetup }
  /** train until paused; epochsPerFrame 0 means as many as fit in a frame; stopAt > 0 pauses there */
  | { type: 'play'; epochsPerFrame: number; stopAt: number }
  | { type: 'pause' }
  /** train this many epochs, then pause */
  | { type: 'step'; epochs: number }
  | { type: 'setWeights'; weights: LayerWeights[] }
  | { type: 'live'; settings: LiveSettings }
  | { type: 'request'; req: number; request: Request };

export interface EpochPoint {
  epoch: number;
  /** η of the epoch (after the schedule) */
  learningRate: number;
  trainLoss: number;
  testLoss: number | null;
  /** classification only */
  trainAccuracy: number | null;
  testAccuracy: number | null;
}

/** Per-layer size of the gradients on the training set: mean |δ(l)| and mean |∂C/∂W(l)|. */
export interface FlowPoint {
  epoch: number;
  delta: number[];
  dW: number[];
}

export interface Snapshot {
  type: 'snapshot';
  /** the setup this snapshot belongs to (older ones are dropped by the page) */
  id: number;
  epoch: number;
  playing: boolean;
  trainLoss: number;
  testLoss: number | null;
  trainAccuracy: number;
  testAccuracy: number | null;
  /** losses of the epochs since the previous snapshot */
  history: EpochPoint[];
  /** the gradients' sizes at this snapshot's epoch */
  flow: FlowPoint;
  /** why training paused by itself (early stopping), if it did */
  stopped: string | null;
  weights: LayerWeights[];
  /** a(l) of every unit of every layer on the grid: neurons[l][unit] has GRID² values */
  neurons: Float32Array[][];
  kernels: KernelInfo;
}

export type FromWorker =
  | Snapshot
  | { type: 'error'; id: number; message: string }
  | { type: 'reply'; req: number; ok: true; value: unknown }
  | { type: 'reply'; req: number; ok: false; message: string };
