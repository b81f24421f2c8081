/**
 * The core library: networks of dense layers, their training (optimizers, schedules, early
 * stopping, regularisation), `explain` and `gradientCheck`, the kernels, toy data sets and the
 * model file as bytes. No runtime dependencies, no Node API: it runs in Node and in browsers.
 *
 * ```ts
 * import { network, toyDataset } from 'backprop';
 * ```
 *
 * @packageDocumentation
 * @module backprop
 */
export { Matrix, type DType, type FloatArray, type MatrixLike } from './tensor/matrix.js';
export { Random } from './random.js';
export {
  BackpropError,
  ShapeError,
  DataError,
  OptionError,
  DivergenceError,
  FormatError,
  PathError,
} from './errors.js';
export {
  ACTIVATIONS,
  activation,
  type Activation,
  type ActivationId,
  type CustomActivation,
  type ElementwiseActivation,
  type SoftmaxActivation,
} from './activations/index.js';
export { LOSSES, loss, type Loss, type LossId, type CustomLoss } from './losses/index.js';
export {
  OPTIMIZERS,
  optimizer,
  sgd,
  momentum,
  adam,
  rmsprop,
  type Optimizer,
  type OptimizerId,
  type OptimizerOptions,
  type OptimizerState,
  type Parameter,
} from './optimizers/index.js';
export { INITIALIZERS, type InitId } from './nn/init.js';
export { dense, Dense, type DenseSpec } from './nn/dense.js';
export type { Model, ModelOptions } from './nn/model.js';
export type { Trainer } from './train/trainer.js';
export {
  Network,
  network,
  sequential,
  type NetworkOptions,
  type NetworkSpec,
  type Evaluation,
  type Gradients,
  type LayerGradients,
  type LayerWeights,
  type LayerWeightsLike,
} from './network.js';
export type { TargetLike } from './train/data.js';
export type { FitOptions, History, EpochLogs, BatchLogs, TrainingState } from './train/fit.js';
export type { Schedule, EarlyStopping, Monitor, Watch } from './train/schedule.js';
export type { StepOptions } from './train/trainer.js';
export { gradientCheck, type Checkable, type GradientCheckOptions, type GradientCheckResult } from './train/gradient-check.js';
export type { Explanation, LayerExplanation, ExplainOptions } from './train/explain.js';
export type { ForwardLayer, Kernels, SparseColumns } from './kernels/types.js';
export {
  BACKENDS,
  createKernels,
  createKernelsSync,
  defaultBackend,
  jsKernels,
  wasmSimdSupported,
  type Backend,
  type KernelOptions,
  type WasmKernels,
} from './kernels/index.js';
export { TOY_DATASETS, toyDataset, type ToyName, type ToyOptions } from './data/toy.js';
export {
  PREPROCESSINGS,
  fitPreprocessing,
  applyPreprocessing,
  oneHot,
  shuffleDataset,
  trainValidationSplit,
  type Preprocessing,
  type PreprocessingKind,
} from './data/preprocess.js';
export { TASKS, labelsOf, subset, type Dataset, type Task, type TrainTest } from './data/dataset.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  type SafetensorsTensor,
  type SafetensorsDType,
  type DecodedSafetensors,
} from './io/safetensors.js';
export {
  modelToBytes,
  modelFromBytes,
  checkpointToBytes,
  checkpointFromBytes,
  optimizerConfig,
  optimizerSettings,
  resumeOptions,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelInfo,
  type ModelInfoInput,
  type LoadedModel,
  type LoadOptions,
  type CheckpointState,
  type LoadedCheckpoint,
  type OptimizerConfig,
  type OptimizerSettings,
  type TrainingConfig,
  type Json,
  type JsonObject,
} from './io/model-file.js';
