import { DivergenceError } from '../errors.js';
import type { Model } from '../nn/model.js';
import type { Optimizer } from '../optimizers/index.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Batch } from './batch.js';

/**
 * The training loop's step, the one `fit` runs: gather a batch of the training set, forward,
 * cost, backward (gradients averaged over the batch), and one optimizer step. The training set is
 * staged once (see Batch.stage); nothing is allocated per step.
 */
export class Trainer {
  readonly X: Matrix;
  readonly Y: Matrix;
  /** Samples of the last step whose prediction (before the update) matched the target. */
  correct = 0;

  constructor(
    readonly model: Model,
    private readonly batch: Batch,
    X: Matrix,
    Y: Matrix,
    public optimizer: Optimizer,
  ) {
    [this.X, this.Y] = batch.stage(X, Y);
  }

  /** Samples in the training set. */
  get samples(): number {
    return this.X.rows;
  }

  /**
   * One step on samples order[start..start+n) of the training set; returns the batch's cost
   * before the update. `epoch` and `step` (1-based) only name the place in a divergence error.
   */
  step(order: ArrayLike<number>, start: number, n: number, epoch?: number, step?: number): number {
    const { model, batch } = this;
    batch.load(this.X, this.Y, order, start, n);
    const xT = batch.xT;
    const x = xT ?? batch.x();
    const a = model.forward(x, n, xT !== null);
    const loss = model.loss(batch.y, n);
    if (!Number.isFinite(loss)) throw new DivergenceError('loss', loss, { epoch, step });
    this.correct = batch.correct(a);
    model.backward(batch.y, n, x, xT !== null);
    model.step(this.optimizer, epoch, step);
    return loss;
  }
}
