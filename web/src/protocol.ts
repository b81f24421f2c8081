/** Messages between the page and the training worker. */
import type { LayerWeights, ModelConfig } from './model.js';
import type { OptimizerName } from './state.js';

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
}

export type FromWorker = Snapshot | { type: 'error'; id: number; message: string };
