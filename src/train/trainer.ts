import { DivergenceError, OptionError } from '../errors.js';
import { dropoutHash } from '../kernels/js.js';
import type { Model } from '../nn/model.js';
import type { Optimizer } from '../optimizers/index.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Batch } from './batch.js';

/** The options of one training step (`trainStep`, `trainer`, and `fit`, which passes them on). */
export interface StepOptions {
  /** Clip the gradient to this global L2 norm: g ← g·min(1, clipNorm/‖g‖) over all parameters at once. */
  clipNorm?: number;
  /** Clip each gradient entry to [−clipValue, clipValue] (before clipNorm when both are given). */
  clipValue?: number;
  /** Seed of the dropout masks (default: the model's seed); the masks of a step depend on (seed, epoch, step) only. */
  seed?: number;
  /**
   * Whether the first layer skips the input's exact zeros: 'auto' (default) when at most
   * SPARSE_DENSITY (10%) of the training set's inputs are non-zero (bag-of-words, one-hot tables),
   * true always, false never. The sums are the same either way (see Kernels.sparseForward).
   */
  sparseInput?: boolean | 'auto';
}

/**
 * The training loop's step, the one `fit` runs: gather a batch of the training set, forward (with
 * dropout), cost (with the penalty), backward (gradients averaged over the batch), clipping, and
 * one optimizer step. The training set is staged once (see Batch.stage); nothing is allocated per
 * step.
 *
 * Made by `net.trainer(x, y, optimizer)`, for a training loop of your own.
 *
 * @example
 * ```ts
 * import { network, sgd } from 'backprop';
 *
 * const net = network([2, 4, 1], { seed: 3, init: 'normal' });
 * const trainer = net.trainer([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], sgd({ learningRate: 2 }));
 * const order = Uint32Array.from([0, 1, 2, 3]);
 * let cost = 0;
 * for (let epoch = 1; epoch <= 2000; epoch++) cost = trainer.step(order, 0, 4);   // full-batch gradient descent
 * console.log(cost < 0.01);   // true: the cost of the last batch, before its update
 * ```
 */
export class Trainer {
  /** The staged training inputs, samples × features. */
  readonly X: Matrix;
  /** The staged targets, samples × outputs. */
  readonly Y: Matrix;
  /** The last step's penalty l1·Σ|W| + l2·ΣW² (included in the cost it returned). */
  penalty = 0;
  /** The factor clipNorm applied to the last step's gradient (1: not clipped). */
  clipScale = 1;
  /** The global L2 norm the gradient is clipped to (undefined: none). */
  readonly clipNorm: number | undefined;
  /** The bound each gradient entry is clamped to (undefined: none). */
  readonly clipValue: number | undefined;
  private readonly seed: number;
  /** Whether any layer drops out (else no mask key is drawn). */
  private readonly dropout: boolean;
  /** Steps taken without a position (then the step count stands in for it). */
  private steps = 0;

  constructor(
    /** The network this trainer trains. */
    readonly model: Model,
    private readonly batch: Batch,
    X: Matrix,
    Y: Matrix,
    /** The optimizer of every step (replaceable between steps). */
    public optimizer: Optimizer,
    options: StepOptions = {},
  ) {
    this.clipNorm = limit('clipNorm', options.clipNorm);
    this.clipValue = limit('clipValue', options.clipValue);
    this.seed = options.seed ?? model.seed;
    this.dropout = model.layers.some((l) => l.dropout > 0);
    [this.X, this.Y] = batch.stage(X, Y, options.sparseInput);
    model.weightsChanged();
  }

  /** Samples in the training set. */
  get samples(): number {
    return this.X.rows;
  }

  /**
   * One step on samples order[start..start+n) of the training set; returns the batch's cost
   * (with the penalty) before the update. `epoch` and `step` (1-based) name the place in a
   * divergence error and choose the dropout masks, so a resumed run draws the same ones.
   */
  step(order: ArrayLike<number>, start: number, n: number, epoch?: number, step?: number): number {
    const { model, batch } = this;
    batch.load(this.X, this.Y, order, start, n);
    const xT = batch.xT;
    const x = batch.sparseX ?? xT ?? batch.x();
    const key = this.dropout ? dropoutHash(dropoutHash(this.seed, epoch ?? 0), step ?? ++this.steps) : undefined;
    model.forward(x, n, xT !== null, key);
    const loss = model.loss(batch.y, n);
    if (!Number.isFinite(loss)) throw new DivergenceError('loss', loss, { epoch, step });
    this.penalty = model.backward(batch.y, n, x, xT !== null);
    if (this.clipValue !== undefined || this.clipNorm !== undefined) this.clipScale = clip(model, this.clipValue, this.clipNorm);
    model.step(this.optimizer, epoch, step);
    return loss + this.penalty;
  }

  /** Samples of the last step whose prediction (before its update) matched the target. */
  correct(): number {
    const last = this.model.layers[this.model.layers.length - 1]!;
    return this.batch.correct(last.a);
  }
}

/**
 * Clips the gradients of the last backward pass: each entry to ±clipValue, then all of them
 * together to the L2 norm clipNorm; returns the factor of the norm clipping (1 when none).
 */
export function clip(model: Model, clipValue: number | undefined, clipNorm: number | undefined): number {
  const k = model.kernels;
  const params = model.parameters();
  if (clipValue !== undefined) for (const p of params) k.clamp(p.grad, clipValue);
  if (clipNorm === undefined) return 1;
  let sum = 0;
  for (const p of params) sum += k.sumSquares(p.grad);
  const norm = Math.sqrt(sum);
  // a non-finite norm is left for the step's guard to report
  if (!(norm > clipNorm) || !Number.isFinite(norm)) return 1;
  const scale = clipNorm / norm;
  for (const p of params) k.scale(p.grad, scale);
  return scale;
}

function limit(what: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new OptionError(`${what} must be a finite number > 0, got ${String(v)}`);
  return v;
}
