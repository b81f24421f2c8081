import { OptionError, positiveInteger } from '../errors.js';

/** What a plateau schedule or early stopping watches at the end of each epoch. */
export type Monitor = 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy';
const MONITORS: readonly Monitor[] = ['loss', 'valLoss', 'accuracy', 'valAccuracy'];

/**
 * The learning rate of each epoch, from the base rate η₀. Any kind may start with `warmupEpochs`
 * epochs of η₀·(e+1)/W; the formulas then count epochs e from the end of the warm-up.
 * - step: η₀·factor^⌊e/every⌋
 * - exponential: η₀·factor^e
 * - cosine: η_min + (η₀ − η_min)·(1 + cos(π·e/E))/2 over the E epochs after the warm-up
 * - plateau: η is multiplied by `factor` when `monitor` (default valLoss) has not improved by more
 *   than `minDelta` for `patience` epochs (Keras' ReduceLROnPlateau)
 *
 * @example
 * ```ts
 * import { network, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('spirals', { samples: 300, seed: 1 });
 * const net = network([2, { units: 32, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * const history = await net.fit(x, y, {
 *   epochs: 10, optimizer: 'adam', learningRate: 0.01,
 *   schedule: { kind: 'cosine', minLearningRate: 1e-4, warmupEpochs: 2 },
 * });
 * console.log(history.epochs.map((e) => e.learningRate));   // 0.005, 0.01, then the cosine down towards 1e-4
 * ```
 */
export type Schedule =
  | {
      /** η₀·factor^⌊e/every⌋ */
      kind: 'step';
      /** Epochs between two drops. */
      every: number;
      /** The multiplier of each drop, in (0, 1]. */
      factor: number;
      /** Epochs of linear warm-up η₀·(e+1)/W before the schedule starts (default 0). */
      warmupEpochs?: number;
    }
  | {
      /** η₀·factor^e */
      kind: 'exponential';
      /** The multiplier per epoch, in (0, 1]. */
      factor: number;
      /** Epochs of linear warm-up η₀·(e+1)/W before the schedule starts (default 0). */
      warmupEpochs?: number;
    }
  | {
      /** η_min + (η₀ − η_min)·(1 + cos(π·e/E))/2 */
      kind: 'cosine';
      /** η_min, the rate at the last epoch (default 0). */
      minLearningRate?: number;
      /** Epochs of linear warm-up η₀·(e+1)/W before the schedule starts (default 0). */
      warmupEpochs?: number;
    }
  | {
      /** η·factor after `patience` epochs without improvement (Keras' ReduceLROnPlateau). */
      kind: 'plateau';
      /** Epochs without improvement before the rate drops. */
      patience: number;
      /** The multiplier of each drop, in (0, 1]. */
      factor: number;
      /** What must improve (default 'valLoss'). */
      monitor?: Monitor;
      /** How much better than the best counts as an improvement (default 0). */
      minDelta?: number;
      /** The rate never drops below this (default 0). */
      minLearningRate?: number;
      /** Epochs of linear warm-up η₀·(e+1)/W before the schedule starts (default 0). */
      warmupEpochs?: number;
    };

export const SCHEDULES = ['step', 'exponential', 'cosine', 'plateau'] as const;

/** Early stopping: end training when `monitor` has not improved by more than `minDelta` for `patience` epochs. */
export interface EarlyStopping {
  /** 'valLoss' (default) or 'valAccuracy' (or the training set's 'loss' / 'accuracy') */
  monitor?: Monitor;
  /** Epochs without improvement after which training ends. */
  patience: number;
  /** How much better than the best counts as an improvement (default 0). */
  minDelta?: number;
  /** At the end, put back the weights of the best epoch (default true). */
  restoreBest?: boolean;
}

/** Where a watched quantity stands: its best value so far, that epoch, and epochs without improvement since. */
export interface Watch {
  /** The best value so far (null before the first epoch). */
  best: number | null;
  /** The 0-based epoch of that value (−1 before the first). */
  bestEpoch: number;
  /** Epochs since then without an improvement. */
  wait: number;
}

/** Checks a schedule's fields, throwing an OptionError that names the bad one. */
export function checkSchedule(s: Schedule): Schedule {
  if (s === null || typeof s !== 'object' || !(SCHEDULES as readonly string[]).includes((s as { kind: string }).kind)) {
    throw new OptionError(`schedule needs a kind: ${SCHEDULES.join(', ')}`);
  }
  if (s.warmupEpochs !== undefined && !(Number.isInteger(s.warmupEpochs) && s.warmupEpochs >= 0)) {
    throw new OptionError(`schedule warmupEpochs must be an integer ≥ 0, got ${s.warmupEpochs}`);
  }
  const factor = (f: unknown) => {
    if (typeof f !== 'number' || !(f > 0 && f <= 1)) throw new OptionError(`schedule factor must be in (0, 1], got ${String(f)}`);
  };
  switch (s.kind) {
    case 'step':
      positiveInteger('schedule every', s.every);
      factor(s.factor);
      break;
    case 'exponential':
      factor(s.factor);
      break;
    case 'cosine':
      if (s.minLearningRate !== undefined && !(s.minLearningRate >= 0)) throw new OptionError(`schedule minLearningRate must be ≥ 0, got ${s.minLearningRate}`);
      break;
    case 'plateau':
      positiveInteger('schedule patience', s.patience);
      factor(s.factor);
      checkMonitor(s.monitor ?? 'valLoss', 'schedule monitor');
      if (s.minDelta !== undefined && !(s.minDelta >= 0)) throw new OptionError(`schedule minDelta must be ≥ 0, got ${s.minDelta}`);
      if (s.minLearningRate !== undefined && !(s.minLearningRate >= 0)) throw new OptionError(`schedule minLearningRate must be ≥ 0, got ${s.minLearningRate}`);
      break;
  }
  return s;
}

export function checkEarlyStopping(e: EarlyStopping): EarlyStopping {
  if (e === null || typeof e !== 'object') throw new OptionError('earlyStopping is {monitor, patience, minDelta, restoreBest}');
  positiveInteger('earlyStopping patience', e.patience);
  checkMonitor(e.monitor ?? 'valLoss', 'earlyStopping monitor');
  if (e.minDelta !== undefined && !(e.minDelta >= 0)) throw new OptionError(`earlyStopping minDelta must be ≥ 0, got ${e.minDelta}`);
  return e;
}

function checkMonitor(m: unknown, what: string): Monitor {
  if (!(MONITORS as readonly unknown[]).includes(m)) throw new OptionError(`unknown ${what} ${JSON.stringify(m)}; valid: ${MONITORS.join(', ')}`);
  return m as Monitor;
}

/**
 * η for epoch `epoch` (0-based) of `epochs`, from base rate `base`; for plateau, `current` is the
 * rate the plateau rule has reached.
 */
export function scheduledRate(s: Schedule, base: number, epoch: number, epochs: number, current: number): number {
  const warmup = s.warmupEpochs ?? 0;
  if (epoch < warmup) return (base * (epoch + 1)) / warmup;
  const e = epoch - warmup;
  switch (s.kind) {
    case 'step':
      return base * Math.pow(s.factor, Math.floor(e / s.every));
    case 'exponential':
      return base * Math.pow(s.factor, e);
    case 'cosine': {
      const min = s.minLearningRate ?? 0;
      const span = Math.max(1, epochs - warmup);
      return min + ((base - min) * (1 + Math.cos((Math.PI * e) / span))) / 2;
    }
    case 'plateau':
      return current;
  }
}

/** Whether a monitored quantity is better when larger. */
export function higherIsBetter(m: Monitor): boolean {
  return m === 'accuracy' || m === 'valAccuracy';
}

/**
 * Records this epoch's value of a watched quantity; returns true when it improved by more than
 * minDelta (then best, bestEpoch and wait are reset), else counts the epoch in `wait`.
 */
export function observe(w: Watch, value: number, epoch: number, monitor: Monitor, minDelta: number): boolean {
  const better = w.best === null || (higherIsBetter(monitor) ? value > w.best + minDelta : value < w.best - minDelta);
  if (better) {
    w.best = value;
    w.bestEpoch = epoch;
    w.wait = 0;
  } else {
    w.wait++;
  }
  return better;
}
