import { OptionError } from './errors.js';
import { Model, type ModelOptions } from './nn/model.js';
import type { DenseSpec } from './nn/dense.js';
import type { Optimizer } from './optimizers/index.js';
import { Matrix, type MatrixLike } from './tensor/matrix.js';
import { Batch } from './train/batch.js';
import { inputMatrix, range, targetMatrix, type TargetLike } from './train/data.js';
import { evaluate, predict, type Evaluation } from './train/evaluate.js';
import { explain, type ExplainOptions, type Explanation } from './train/explain.js';
import { fit, type FitOptions, type History } from './train/fit.js';
import { Trainer, type StepOptions } from './train/trainer.js';

export type NetworkOptions = ModelOptions;
export type { Evaluation } from './train/evaluate.js';

export interface LayerGradients {
  /** ∂C/∂W(l), units × inputs */
  dW: Matrix;
  /** ∂C/∂b(l), units × 1 */
  db: Matrix;
}

export interface Gradients {
  /** C, with the weights' penalty */
  loss: number;
  layers: LayerGradients[];
}

/**
 * The model (layers, forward, backward, step: nn/model.ts) with what users do with it: predict,
 * evaluate, train and explain. Its one batch workspace is reused by every call.
 */
export class Network extends Model {
  private workspace: Batch | null = null;
  /** trainStep calls so far: each draws its own dropout masks. */
  private steps = 0;

  private get batch(): Batch {
    return (this.workspace ??= new Batch(this.kernels, this.dtype, this.inputs, this.outputs));
  }

  /** The outputs a(L) for each sample (rows are samples). */
  predict(x: MatrixLike): Matrix {
    return predict(this, this.batch, inputMatrix(x, this.inputs, this.dtype));
  }

  /** The cost and accuracy over a data set, without changing the network. */
  evaluate(x: MatrixLike, y: TargetLike): Evaluation {
    const X = inputMatrix(x, this.inputs, this.dtype);
    return evaluate(this, this.batch, X, targetMatrix(y, X.rows, this.outputs, this.dtype));
  }

  /** One step of gradient descent on one batch; returns the batch's cost (with the penalty) before the step. */
  trainStep(x: MatrixLike, y: TargetLike, optimizer: Optimizer, options: StepOptions = {}): number {
    const trainer = this.trainer(x, y, optimizer, options);
    return trainer.step(range(trainer.samples), 0, trainer.samples, undefined, ++this.steps);
  }

  /**
   * The training step of `fit` for a loop of your own: `trainer.step(order, start, n)` trains on
   * samples order[start..start+n) of this training set, which is staged (copied where batches are
   * gathered fastest) once, here.
   */
  trainer(x: MatrixLike, y: TargetLike, optimizer: Optimizer, options: StepOptions = {}): Trainer {
    const X = inputMatrix(x, this.inputs, this.dtype);
    return new Trainer(this, this.batch, X, targetMatrix(y, X.rows, this.outputs, this.dtype), optimizer, options);
  }

  /**
   * ∂C/∂W(l) and ∂C/∂b(l) for every layer, averaged over the samples given, with the penalty's
   * share; with a `dropoutKey`, through the dropout masks that key draws (as a training step would).
   */
  gradients(x: MatrixLike, y: TargetLike, options: { dropoutKey?: number } = {}): Gradients {
    const X = inputMatrix(x, this.inputs, this.dtype);
    const Y = targetMatrix(y, X.rows, this.outputs, this.dtype);
    const batch = this.batch;
    batch.load(X, Y, range(X.rows), 0, X.rows);
    const xT = batch.xT;
    const input = xT ?? batch.x();
    this.forward(input, batch.n, xT !== null, options.dropoutKey);
    const loss = this.loss(batch.y, batch.n);
    const penalty = this.backward(batch.y, batch.n, input, xT !== null);
    return {
      loss: loss + penalty,
      layers: this.layers.map((l) => ({
        dW: new Matrix(l.units, l.inputs, l.dW.slice()),
        db: new Matrix(l.units, 1, l.db.slice()),
      })),
    };
  }

  /** Trains by mini-batch gradient descent; see FitOptions. */
  fit(x: MatrixLike, y: TargetLike, options: FitOptions = {}): Promise<History> {
    return fit(this, this.batch, x, y, options);
  }

  /** Every chain-rule factor of one backpropagation step on these samples, per layer; changes nothing. */
  explain(x: MatrixLike, y: TargetLike, options: ExplainOptions = {}): Explanation {
    return explain(this, this.batch, x, y, options);
  }
}

/** The first entry of a layer list is the input size; then one spec (or unit count) per dense layer. */
export type NetworkSpec = readonly [number, ...(DenseSpec | number)[]];

/** `network([784, {units: 30, activation: 'sigmoid'}, {units: 10, activation: 'sigmoid'}], {loss: 'mse'})` */
export function network(spec: NetworkSpec, options: NetworkOptions = {}): Network {
  if (!Array.isArray(spec) || spec.length < 2 || typeof spec[0] !== 'number') {
    throw new OptionError('a network spec is [inputs, layer, layer, ...] with at least one layer, e.g. [2, {units: 4}, {units: 1}]');
  }
  const [inputs, ...layers] = spec;
  return new Network(inputs, layers.map((l) => (typeof l === 'number' ? { units: l } : l)), options);
}

/** `sequential([dense({inputs: 2, units: 4, activation: 'tanh'}), dense({units: 1})], options)` */
export function sequential(layers: readonly DenseSpec[], options: NetworkOptions = {}): Network {
  const first = layers[0];
  if (!first || first.inputs === undefined) {
    throw new OptionError('the first layer of sequential([...]) needs `inputs`, the number of input features');
  }
  return new Network(first.inputs, layers, options);
}
