/** Messages between the page and the training worker. */
import type { LayerWeights, ModelConfig } from './model.js';
import type { BackendName, OptimizerName } from './state.js';

export interface TrainSetup {
  model: ModelConfig;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
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

export type ToWorker =
  | { type: 'setup'; id: number; setup: TrainSetup }
  /** train until paused; epochsPerFrame 0 means as many as fit in a frame */
  | { type: 'play'; epochsPerFrame: number }
  | { type: 'pause' }
  /** train this many epochs, then pause */
  | { type: 'step'; epochs: number }
  | { type: 'setWeights'; weights: LayerWeights[] };

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  testLoss: number | null;
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
  weights: LayerWeights[];
  /** a(l) of every unit of every layer on the grid: neurons[l][unit] has GRID² values */
  neurons: Float32Array[][];
  kernels: KernelInfo;
}

export type FromWorker = Snapshot | { type: 'error'; id: number; message: string };
