import { OptionError, positiveInteger } from '../errors.js';
import type { Model } from '../nn/model.js';
import { optimizer as optimizerById, type Optimizer, type OptimizerId } from '../optimizers/index.js';
import { Random } from '../random.js';
import type { MatrixLike } from '../tensor/matrix.js';
import type { Batch } from './batch.js';
import { inputMatrix, range, targetMatrix, type TargetLike } from './data.js';
import { evaluate } from './evaluate.js';
import { Trainer } from './trainer.js';

export interface EpochLogs {
  /** 0-based epoch number */
  epoch: number;
  /** mean cost over the epoch's batches, each measured before its update (as Keras reports it) */
  loss: number;
  /** training accuracy over the same forward passes */
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

export interface BatchLogs {
  epoch: number;
  /** 0-based batch number within the epoch */
  batch: number;
  batches: number;
  size: number;
  loss: number;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** 'sgd' (default), 'momentum', 'adam', or an optimizer object (keeps its state across calls). */
  optimizer?: OptimizerId | Optimizer;
  /** η; default depends on the optimizer (sgd 0.01, adam 0.001). Ignored when `optimizer` is an object. */
  learningRate?: number;
  shuffle?: boolean;
  /** Seed of the shuffling; default: the network's seed. Epoch e's order depends only on (seed, e). */
  seed?: number;
  /** First epoch number, to resume a run: epochs run from initialEpoch to epochs − 1. */
  initialEpoch?: number;
  validationData?: readonly [MatrixLike, TargetLike];
  onEpochBegin?(epoch: number, batches: number): void;
  onBatchEnd?(logs: BatchLogs): void;
  onEpochEnd?(logs: EpochLogs): void | Promise<void>;
  /** Polled after every batch; returning true ends training there (e.g. on Ctrl-C). */
  shouldStop?(): boolean;
}

export interface History {
  epochs: EpochLogs[];
  /** true when shouldStop ended training before the last epoch finished */
  stopped: boolean;
  optimizer: Optimizer;
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
  const X = inputMatrix(x, net.inputs, net.dtype);
  const trainer = new Trainer(net, batch, X, targetMatrix(y, X.rows, net.outputs, net.dtype), opt);
  const validation = options.validationData
    ? (() => {
        const vx = inputMatrix(options.validationData[0], net.inputs, net.dtype, 'validation x');
        return { X: vx, Y: targetMatrix(options.validationData[1], vx.rows, net.outputs, net.dtype, 'validation y') };
      })()
    : null;
  const seed = options.seed ?? net.seed;
  const shuffle = options.shuffle ?? true;
  const order = range(X.rows);
  const batches = Math.ceil(X.rows / batchSize);
  const history: History = { epochs: [], stopped: false, optimizer: opt };
  let lastYield = Date.now();

  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    const started = Date.now();
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
      const n = Math.min(batchSize, X.rows - start);
      const loss = trainer.step(order, start, n, epoch + 1, b + 1);
      correct += trainer.correct;
      lossSum += loss * n;
      seen += n;
      options.onBatchEnd?.({ epoch, batch: b, batches, size: n, loss });
      if (options.shouldStop?.()) {
        history.stopped = true;
        return history;
      }
      if (Date.now() - lastYield > YIELD_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
        if (options.shouldStop?.()) {
          history.stopped = true;
          return history;
        }
      }
    }
    const logs: EpochLogs = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: (Date.now() - started) / 1000 };
    if (validation) {
      const v = evaluate(net, batch, validation.X, validation.Y);
      logs.valLoss = v.loss;
      logs.valAccuracy = v.accuracy;
    }
    history.epochs.push(logs);
    await options.onEpochEnd?.(logs);
  }
  return history;
}

/** The shuffle seed of one epoch, so that resuming at epoch e reproduces the uninterrupted order. */
function epochSeed(seed: number, epoch: number): number {
  return (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
