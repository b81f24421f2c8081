import { OptionError, positiveInteger } from '../errors.js';
import type { Model } from '../nn/model.js';
import { optimizer as optimizerById, type Optimizer, type OptimizerId } from '../optimizers/index.js';
import { Random } from '../random.js';
import { Matrix, type FloatArray, type MatrixLike } from '../tensor/matrix.js';
import type { Batch } from './batch.js';
import { inputMatrix, range, targetMatrix, type TargetLike } from './data.js';
import { evaluate } from './evaluate.js';
import { checkEarlyStopping, checkSchedule, observe, scheduledRate, type EarlyStopping, type Monitor, type Schedule, type Watch } from './schedule.js';
import { Trainer, type StepOptions } from './trainer.js';

/** One epoch of a training run, as the history and `onEpochEnd` report it. */
export interface EpochLogs {
  /** 0-based epoch number */
  epoch: number;
  /** mean cost over the epoch's batches, each measured before its update (as Keras reports it) */
  loss: number;
  /** training accuracy over the same forward passes */
  accuracy: number;
  /** the cost over the validation set after the epoch (with validationData or validationSplit) */
  valLoss?: number;
  /** the accuracy over the validation set after the epoch */
  valAccuracy?: number;
  /** η of this epoch (after the schedule) */
  learningRate: number;
  /** wall-clock time of the epoch, validation included */
  seconds: number;
}

/**
 * Where a run stands between epochs, beyond the weights and the optimizer: what `fit` needs to
 * continue exactly (give it back as `FitOptions.state` with `initialEpoch`). Checkpoints store it.
 */
export interface TrainingState {
  /** η₀, the rate the schedule starts from */
  baseLearningRate: number;
  /** the plateau schedule's current rate and watch */
  plateau?: {
    /** η of the plateau schedule now (η₀ times its drops so far) */
    learningRate: number;
  } & Watch;
  /** early stopping's watch, and the best epoch's weights (W(1), b(1), W(2), …) when restoreBest */
  earlyStopping?: Watch & {
    /** W(1), b(1), W(2), … of the best epoch so far (with restoreBest) */
    weights?: FloatArray[];
  };
}

/** One batch of a training run, as `onBatchEnd` reports it. */
export interface BatchLogs {
  /** 0-based epoch number */
  epoch: number;
  /** 0-based batch number within the epoch */
  batch: number;
  /** batches in the epoch */
  batches: number;
  /** samples in this batch (the last one may be smaller) */
  size: number;
  /** the batch's cost, before its update */
  loss: number;
}

/**
 * How {@link Network.fit} trains: epochs and batches, the optimizer and its rate, the schedule,
 * early stopping, validation, clipping (from {@link StepOptions}) and callbacks. Every field has a
 * default.
 */
export interface FitOptions extends StepOptions {
  /** Passes over the training set (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32); the gradient is averaged over them. */
  batchSize?: number;
  /** 'sgd' (default), 'momentum', 'adam', 'rmsprop', or an optimizer object (keeps its state across calls). */
  optimizer?: OptimizerId | Optimizer;
  /** η (η₀ of a schedule); default depends on the optimizer (sgd 0.01, adam 0.001), or the optimizer object's own rate. */
  learningRate?: number;
  /** The learning rate of each epoch; see Schedule. The rate of each epoch is in the history. */
  schedule?: Schedule;
  /** Stop when a monitored quantity stops improving; see EarlyStopping. */
  earlyStopping?: EarlyStopping;
  /** Shuffle the samples before each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling and the dropout masks; default: the network's seed. Epoch e's order depends only on (seed, e). */
  seed?: number;
  /** First epoch number, to resume a run: epochs run from initialEpoch to epochs − 1. */
  initialEpoch?: number;
  /** The run's state when resuming (from a checkpoint: see TrainingState). */
  state?: TrainingState;
  /** A validation set [x, y], measured after each epoch (valLoss, valAccuracy). */
  validationData?: readonly [MatrixLike, TargetLike];
  /**
   * Hold out this fraction of the samples for validation: the last ones, taken before any
   * shuffling (as Keras does), so shuffle your data first if it is sorted. Not with validationData.
   */
  validationSplit?: number;
  /** Before each epoch (0-based), with the number of batches it will run. */
  onEpochBegin?(epoch: number, batches: number): void;
  /** After each batch's update. */
  onBatchEnd?(logs: BatchLogs): void;
  /** After each epoch; `state` is what a checkpoint needs to resume after this epoch. */
  onEpochEnd?(logs: EpochLogs, state: TrainingState): void | Promise<void>;
  /** Polled after every batch; returning true ends training there (e.g. on Ctrl-C). */
  shouldStop?(): boolean;
}

/** What {@link Network.fit} returns: every epoch's logs and how the run ended. */
export interface History {
  /** One entry per epoch run, in order. */
  epochs: EpochLogs[];
  /** true when shouldStop ended training before the last epoch finished */
  stopped: boolean;
  /** The 0-based epoch after which early stopping ended training, if it did. */
  stoppedEpoch?: number;
  /** With early stopping: the 0-based epoch whose weights the network holds at the end (restoreBest), or the best epoch seen. */
  bestEpoch?: number;
  /** Whether the weights of bestEpoch were put back at the end. */
  restoredBest?: boolean;
  /** The optimizer used, with its state: pass it to the next `fit` to continue. */
  optimizer: Optimizer;
  /** The run's state after the last epoch (for `initialEpoch` + `state`). */
  state: TrainingState;
}

/** Longest stretch of synchronous training before fit yields to the event loop (keeps UIs and Ctrl-C alive). */
const YIELD_MS = 25;

/**
 * Mini-batch gradient descent: for each epoch, shuffle, then for each batch run forward, cost,
 * backward (gradients averaged over the batch) and one optimizer step.
 */
export async function fit(net: Model, batch: Batch, x: MatrixLike, y: TargetLike, options: FitOptions = {}): Promise<History> {
  const epochs = positiveInteger('epochs', options.epochs ?? 1);
  const batchSize = positiveInteger('batch size', options.batchSize ?? 32);
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new OptionError(`initialEpoch must be an integer ≥ 0, got ${initialEpoch}`);
  const opt =
    typeof options.optimizer === 'object'
      ? options.optimizer
      : optimizerById(options.optimizer ?? 'sgd', { learningRate: options.learningRate });
  const schedule = options.schedule && checkSchedule(options.schedule);
  const stopping = options.earlyStopping && checkEarlyStopping(options.earlyStopping);
  const givenX = inputMatrix(x, net.inputs, net.dtype);
  const givenY = targetMatrix(y, givenX.rows, net.outputs, net.dtype);
  const { train, validation } = holdOut(givenX, givenY, options, net);
  const seed = options.seed ?? net.seed;
  const trainer = new Trainer(net, batch, train.X, train.Y, opt, { clipNorm: options.clipNorm, clipValue: options.clipValue, seed, sparseInput: options.sparseInput });
  const shuffle = options.shuffle ?? true;
  const samples = trainer.samples;
  const order = range(samples);
  const batches = Math.ceil(samples / batchSize);
  const state: TrainingState = copyState(options.state) ?? { baseLearningRate: options.learningRate ?? opt.learningRate };
  if (schedule?.kind === 'plateau') state.plateau ??= { learningRate: state.baseLearningRate, best: null, bestEpoch: -1, wait: 0 };
  if (stopping) state.earlyStopping ??= { best: null, bestEpoch: -1, wait: 0 };
  const history: History = { epochs: [], stopped: false, optimizer: opt, state };
  let lastYield = Date.now();

  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    const started = Date.now();
    if (schedule) opt.learningRate = scheduledRate(schedule, state.baseLearningRate, epoch, epochs, state.plateau?.learningRate ?? state.baseLearningRate);
    options.onEpochBegin?.(epoch, batches);
    if (shuffle) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      new Random(epochSeed(seed, epoch)).shuffle(order);
    }
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const n = Math.min(batchSize, samples - start);
      const loss = trainer.step(order, start, n, epoch + 1, b + 1);
      correct += trainer.correct();
      lossSum += loss * n;
      seen += n;
      options.onBatchEnd?.({ epoch, batch: b, batches, size: n, loss });
      if (options.shouldStop?.()) {
        history.stopped = true;
        return finish(history, net, stopping);
      }
      if (Date.now() - lastYield > YIELD_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
        if (options.shouldStop?.()) {
          history.stopped = true;
          return finish(history, net, stopping);
        }
      }
    }
    const logs: EpochLogs = { epoch, loss: lossSum / seen, accuracy: correct / seen, learningRate: opt.learningRate, seconds: 0 };
    if (validation) {
      const v = evaluate(net, batch, validation.X, validation.Y, null, options.sparseInput);
      logs.valLoss = v.loss;
      logs.valAccuracy = v.accuracy;
    }
    logs.seconds = (Date.now() - started) / 1000;
    history.epochs.push(logs);
    if (schedule?.kind === 'plateau') {
      const monitor = schedule.monitor ?? 'valLoss';
      const p = state.plateau!;
      if (!observe(p, monitored(logs, monitor), epoch, monitor, schedule.minDelta ?? 0) && p.wait >= schedule.patience) {
        p.learningRate = Math.max(schedule.minLearningRate ?? 0, p.learningRate * schedule.factor);
        p.wait = 0;
      }
    }
    let stop = false;
    if (stopping) {
      const monitor = stopping.monitor ?? 'valLoss';
      const w = state.earlyStopping!;
      if (observe(w, monitored(logs, monitor), epoch, monitor, stopping.minDelta ?? 0)) {
        if (stopping.restoreBest ?? true) w.weights = net.parameters().map((p) => p.value.slice());
      } else if (w.wait >= stopping.patience) {
        stop = true;
      }
    }
    await options.onEpochEnd?.(logs, state);
    if (stop) {
      history.stoppedEpoch = epoch;
      break;
    }
  }
  return finish(history, net, stopping);
}

/** Early stopping's end: the best epoch named, and with restoreBest its weights put back. */
function finish(history: History, net: Model, stopping: EarlyStopping | undefined): History {
  const w = history.state.earlyStopping;
  if (!stopping || !w || w.bestEpoch < 0) return history;
  history.bestEpoch = w.bestEpoch;
  if ((stopping.restoreBest ?? true) && w.weights) {
    net.parameters().forEach((p, i) => p.value.set(w.weights![i]!));
    net.weightsChanged();
    history.restoredBest = true;
  }
  return history;
}

function monitored(logs: EpochLogs, monitor: Monitor): number {
  const v = logs[monitor];
  if (v === undefined) throw new OptionError(`cannot monitor '${monitor}' without validation data: give validationData or validationSplit, or monitor 'loss'`);
  return v;
}

/** The training and validation matrices: validationData as given, or the last validationSplit of the samples. */
function holdOut(X: Matrix, Y: Matrix, options: FitOptions, net: Model): { train: { X: Matrix; Y: Matrix }; validation: { X: Matrix; Y: Matrix } | null } {
  const split = options.validationSplit;
  if (split !== undefined) {
    if (options.validationData) throw new OptionError('give validationData or validationSplit, not both');
    if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new OptionError(`validationSplit must be in (0, 1), got ${String(split)}`);
    const held = Math.floor(X.rows * split);
    if (held < 1 || held >= X.rows) throw new OptionError(`validationSplit ${split} of ${X.rows} samples leaves ${held} for validation and ${X.rows - held} for training; both need at least one`);
    const cut = X.rows - held;
    const rows = (m: Matrix, from: number, to: number) => new Matrix(to - from, m.cols, m.data.slice(from * m.cols, to * m.cols));
    return { train: { X: rows(X, 0, cut), Y: rows(Y, 0, cut) }, validation: { X: rows(X, cut, X.rows), Y: rows(Y, cut, X.rows) } };
  }
  if (!options.validationData) return { train: { X, Y }, validation: null };
  const vx = inputMatrix(options.validationData[0], net.inputs, net.dtype, 'validation x');
  return { train: { X, Y }, validation: { X: vx, Y: targetMatrix(options.validationData[1], vx.rows, net.outputs, net.dtype, 'validation y') } };
}

/** A copy of a given state, so that fit's updates never change the caller's object. */
function copyState(s: TrainingState | undefined): TrainingState | undefined {
  if (!s) return undefined;
  const out: TrainingState = { baseLearningRate: s.baseLearningRate };
  if (s.plateau) out.plateau = { ...s.plateau };
  if (s.earlyStopping) out.earlyStopping = { ...s.earlyStopping, ...(s.earlyStopping.weights ? { weights: s.earlyStopping.weights.map((w) => w.slice()) } : {}) };
  return out;
}

/** The shuffle seed of one epoch, so that resuming at epoch e reproduces the uninterrupted order. */
function epochSeed(seed: number, epoch: number): number {
  return (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
