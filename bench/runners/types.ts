import type { BatchOrder } from '../batches.js';
import type { BenchData } from '../data.js';
import type { NetSpec } from '../nets.js';
import type { Job } from '../protocol.js';
import type { InitialWeights } from '../weights.js';

/**
 * One library's training loop for one net, written the way a user of that library would write it
 * for speed. The benchmark harness drives it; the runner never times anything itself.
 */
export interface Trainer {
  /** The backend and thread count actually in use (may differ from what the job asked for). */
  readonly backend: string;
  readonly threads: number;
  /** One line saying how the loop is written, stored with the result. */
  readonly loop: string;
  readonly versions?: Record<string, string>;
  /**
   * An inference engine (onnxruntime): no training rate is measured. Its `train` still trains the
   * net (with backprop) for the accuracy run, so that the test accuracy checks the engine's outputs.
   */
  readonly inferenceOnly?: boolean;
  /**
   * Runs `steps` optimizer steps on the next batches of `batches` (full-size ones only when
   * `fullOnly`), resolving once all the work is finished.
   */
  train(batches: BatchOrder, steps: number, fullOnly: boolean): Promise<void>;
  /**
   * Called before each epoch of the accuracy run (0-based, of `epochs`) by runners of a net with a
   * learning-rate schedule: sets that epoch's η, as `fit` does. The throughput segments never call it.
   */
  startEpoch?(epoch: number, epochs: number): void;
  /** The outputs (rows × outputs, row-major) for x (rows × inputs), read back into JavaScript. */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  /** Back to the initial weights with a fresh optimizer, for the accuracy run. */
  reset(): Promise<void>;
  dispose(): void;
}

export interface TrainerContext {
  spec: NetSpec;
  data: BenchData;
  init: InitialWeights;
  job: Job;
  /** What the runner's `prepare` made before the data set was loaded (backprop: its kernels). */
  prepared?: unknown;
}

export type CreateTrainer = ((ctx: TrainerContext) => Promise<Trainer>) & {
  /**
   * Optional, called before the data set is loaded: storage for the training set's features in the
   * library's own memory (the loader writes them there, so the library need not copy them), and
   * what the runner needs later to use that memory.
   */
  prepare?(job: Job): { alloc: (length: number) => Float32Array; prepared: unknown } | undefined;
};
