import { DataError, OptionError, ShapeError } from './errors.js';
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

/** How a network is built: cost, seed, initialisation, dtype, kernels, penalties (see {@link ModelOptions}). */
export type NetworkOptions = ModelOptions;
export type { Evaluation } from './train/evaluate.js';

/** One layer's gradients, as {@link Network.gradients} returns them. */
export interface LayerGradients {
  /** ∂C/∂W(l), units × inputs */
  dW: Matrix;
  /** ∂C/∂b(l), units × 1 */
  db: Matrix;
}

/** One layer's parameters as plain arrays: W(l) as `units` rows of `inputs` weights, b(l) of `units`. */
export interface LayerWeights {
  /** W(l), `units` rows of `inputs` weights. */
  W: number[][];
  /** b(l), one bias per unit. */
  b: number[];
}

/** What `setWeights` takes per layer: W(l) as rows (nested arrays, or a units × inputs Matrix) and b(l). */
export interface LayerWeightsLike {
  /** W(l), units × inputs. */
  W: readonly (readonly number[])[] | Matrix;
  /** b(l), one bias per unit. */
  b: ArrayLike<number>;
}

/** ∂C/∂W(l) and ∂C/∂b(l) of every layer, with the cost they are the gradient of. */
export interface Gradients {
  /** C, with the weights' penalty */
  loss: number;
  /** Layers 1..L in order. */
  layers: LayerGradients[];
}

/**
 * The model (layers, forward, backward, step: nn/model.ts) with what users do with it: predict,
 * evaluate, train and explain. Its one batch workspace is reused by every call.
 *
 * Made by {@link network} or {@link sequential}; trained by {@link Network.fit}.
 *
 * @example
 * ```ts
 * import { network } from 'backprop';
 *
 * const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
 * const y = [[0], [1], [1], [0]];
 * const net = network([2, { units: 4, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', seed: 3, init: 'normal' });
 * await net.fit(x, y, { epochs: 4000, batchSize: 4, optimizer: 'sgd', learningRate: 2 });
 * console.log(net.predict(x).toArray().map(([p]) => p.toFixed(2)).join(' '));   // 0.02 0.98 0.98 0.02
 * console.log(net.evaluate(x, y).accuracy);                                      // 1
 * ```
 *
 * @example One step at a time with trainStep
 * ```ts
 * import { network, sgd } from 'backprop';
 *
 * const net = network([2, 4, 1], { seed: 1 });
 * const opt = sgd({ learningRate: 0.5 });
 * const before = net.trainStep([[0, 1], [1, 0]], [[1], [1]], opt);
 * const after = net.trainStep([[0, 1], [1, 0]], [[1], [1]], opt);
 * console.log(after < before);   // true
 * ```
 *
 * @example Training with fit
 * ```ts
 * import { network, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('moons', { samples: 400, seed: 1 });
 * const net = network([2, { units: 16, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * const history = await net.fit(x, y, { epochs: 40, batchSize: 16, optimizer: 'adam', learningRate: 0.01, validationSplit: 0.2 });
 * console.log(history.epochs.at(-1)!.valAccuracy);   // 1
 * ```
 *
 * @example The layers in a table with summary
 * ```ts
 * import { network } from 'backprop';
 *
 * console.log(network([2, 4, 1]).summary());
 * // layer  shape  activation  parameters  training
 * // 1      2 → 4  sigmoid             12
 * // 2      4 → 1  sigmoid              5
 * // 17 parameters, input 2, cost mse, float32
 * ```
 *
 * @example The weights as arrays with getWeights
 * ```ts
 * import { network } from 'backprop';
 *
 * const net = network([2, 1], { init: 'zeros' });
 * console.log(JSON.stringify(net.getWeights()));   // [{"W":[[0,0]],"b":[0]}]
 * ```
 *
 * @example Weights of your own with setWeights
 * ```ts
 * import { network } from 'backprop';
 *
 * // z = W·x + b with W = [10, 20, 30, 40], b = 0: x = [0, 1, 2, 3] gives z = 200
 * const net = network([4, { units: 1, activation: 'linear' }]);
 * net.setWeights([{ W: [[10, 20, 30, 40]], b: [0] }]);
 * console.log(net.predict([[0, 1, 2, 3]]).get(0, 0));   // 200
 * ```
 *
 * @example The chain rule of one step with explain
 * ```ts
 * import { network } from 'backprop';
 *
 * const net = network([2, 3, 1], { seed: 1, dtype: 'float64' });
 * const e = net.explain([[0.5, -1]], [[1]], { learningRate: 0.1 });
 * const out = e.layers.at(-1)!;
 * console.log(out.delta.toArray(), out.dW.toArray());   // δ(L) = ∂C/∂a ⊙ σ'(z) (1 × 1), ∂C/∂W(L) = δ(L)·a(L−1)ᵀ (1 × 3)
 * ```
 */
export class Network extends Model {
  private workspace: Batch | null = null;
  /** trainStep calls so far: each draws its own dropout masks. */
  private steps = 0;

  private get batch(): Batch {
    return (this.workspace ??= new Batch(this.kernels, this.dtype, this.inputs, this.outputs));
  }

  /**
   * The outputs a(L) for each sample (rows are samples); dropout is off.
   *
   * @param x - samples × features: nested arrays, a Matrix, or `{data, rows, cols}`
   * @returns samples × outputs
   */
  predict(x: MatrixLike): Matrix {
    return predict(this, this.batch, inputMatrix(x, this.inputs, this.dtype, 'x', false));
  }

  /**
   * The cost (with the L1/L2 penalty) and accuracy over a data set, without changing the network.
   * Accuracy is the arg-max match; with one output, being on the same side of 0.5.
   *
   * @param y - samples × outputs, or one class index per sample
   */
  evaluate(x: MatrixLike, y: TargetLike): Evaluation {
    const X = inputMatrix(x, this.inputs, this.dtype, 'x', false);
    return evaluate(this, this.batch, X, targetMatrix(y, X.rows, this.outputs, this.dtype));
  }

  /**
   * One step of gradient descent on one batch; returns the batch's cost (with the penalty) before the step.
   */
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

  /**
   * Trains by mini-batch gradient descent: each epoch shuffles the samples, and each batch of
   * `batchSize` takes one optimizer step on the gradient averaged over it; see {@link FitOptions}.
   *
   * @param x - samples × features
   * @param y - samples × outputs, or one class index per sample
   * @returns the loss and accuracy of every epoch, and how training ended
   */
  fit(x: MatrixLike, y: TargetLike, options: FitOptions = {}): Promise<History> {
    return fit(this, this.batch, x, y, options);
  }

  /**
   * A table of the layers: shape (inputs → units), activation, parameter count, dropout and
   * penalties; then the total, the cost and the dtype.
   */
  summary(): string {
    const rows = [['layer', 'shape', 'activation', 'parameters', 'training']];
    let total = 0;
    this.layers.forEach((l, i) => {
      const count = l.units * l.inputs + l.units;
      total += count;
      const extras = [l.dropout ? `dropout ${l.dropout}` : '', l.l1 ? `l1 ${l.l1}` : '', l.l2 ? `l2 ${l.l2}` : ''].filter(Boolean);
      rows.push([String(i + 1), `${l.inputs} → ${l.units}`, l.act.id, count.toLocaleString('en-US'), extras.join(', ')]);
    });
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) => r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
    lines.push(`${total.toLocaleString('en-US')} parameters, input ${this.inputs}, cost ${this.cost.id}, ${this.dtype}`);
    return lines.join('\n');
  }

  /**
   * Every layer's W(l) and b(l), copied into plain arrays (W as units rows of inputs weights, PyTorch's layout).
   */
  getWeights(): LayerWeights[] {
    return this.layers.map((l) => ({
      W: Array.from({ length: l.units }, (_, r) => Array.from(l.W.subarray(r * l.inputs, (r + 1) * l.inputs))),
      b: Array.from(l.b),
    }));
  }

  /**
   * Replaces every layer's W(l) and b(l), as `getWeights` gives them. Everything is checked before
   * anything is written: a wrong layer count or shape throws ShapeError (naming the layer and both
   * shapes), a non-finite number DataError.
   */
  setWeights(weights: readonly LayerWeightsLike[]): void {
    if (weights.length !== this.layers.length) throw new ShapeError(`setWeights: ${weights.length} layers given, the network has ${this.layers.length}`);
    const flat = weights.map(({ W, b }, i) => {
      const l = this.layers[i]!;
      const rows = W instanceof Matrix ? W.rows : W.length;
      const cols = W instanceof Matrix ? W.cols : (W.find((r) => r.length !== l.inputs) ?? W[0])?.length ?? 0;
      if (rows !== l.units || cols !== l.inputs) throw new ShapeError(`setWeights: layer ${i + 1}'s W is ${l.units}×${l.inputs} (units × inputs), got ${rows}×${cols}`);
      if (b.length !== l.units) throw new ShapeError(`setWeights: layer ${i + 1}'s b has ${l.units} entries, got ${b.length}`);
      const w = W instanceof Matrix ? Array.from(W.data) : W.flat();
      const bad = [...w, ...Array.from(b)].findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new DataError(`setWeights: layer ${i + 1} has a non-finite ${bad < w.length ? 'weight' : 'bias'}`);
      return { w, b };
    });
    flat.forEach(({ w, b }, i) => {
      this.layers[i]!.W.set(w);
      this.layers[i]!.b.set(Array.from(b));
    });
    // the step's guard bounds updates by the largest weight it measured: these are new
    this.weightsChanged();
  }

  /**
   * Every chain-rule factor of one backpropagation step on these samples, per layer; changes nothing.
   */
  explain(x: MatrixLike, y: TargetLike, options: ExplainOptions = {}): Explanation {
    return explain(this, this.batch, x, y, options);
  }
}

/** The first entry of a layer list is the input size; then one spec (or unit count) per dense layer. */
export type NetworkSpec = readonly [number, ...(DenseSpec | number)[]];

/**
 * A network from a list: the input size, then one layer per entry (a bare number n is
 * `{units: n}`, a sigmoid layer).
 *
 * @param spec - `[inputs, layer 1, …, layer L]`
 * @param options - cost, seed, initialisation, dtype, kernels, penalties
 * @example
 * ```ts
 * import { network } from 'backprop';
 *
 * // the textbook's digits network: 784 inputs, 30 sigmoid neurons, 10 sigmoid outputs, MSE
 * const net = network([784, { units: 30, activation: 'sigmoid' }, { units: 10, activation: 'sigmoid' }], { loss: 'mse' });
 * console.log(net.layers.map((l) => `${l.inputs}→${l.units}`).join(' '));   // 784→30 30→10
 * ```
 */
export function network(spec: NetworkSpec, options: NetworkOptions = {}): Network {
  if (!Array.isArray(spec) || spec.length < 2 || typeof spec[0] !== 'number') {
    throw new OptionError('a network spec is [inputs, layer, layer, ...] with at least one layer, e.g. [2, {units: 4}, {units: 1}]');
  }
  const [inputs, ...layers] = spec;
  return new Network(inputs, layers.map((l) => (typeof l === 'number' ? { units: l } : l)), options);
}

/**
 * A network from a list of layer specs, Keras style: the first one names the `inputs`.
 *
 * @example
 * ```ts
 * import { dense, sequential } from 'backprop';
 *
 * const net = sequential([dense({ inputs: 2, units: 4, activation: 'tanh' }), dense({ units: 1 })], { loss: 'mse', seed: 1 });
 * console.log(net.inputs, net.outputs);   // 2 1
 * ```
 */
export function sequential(layers: readonly DenseSpec[], options: NetworkOptions = {}): Network {
  const first = layers[0];
  if (!first || first.inputs === undefined) {
    throw new OptionError('the first layer of sequential([...]) needs `inputs`, the number of input features');
  }
  return new Network(first.inputs, layers, options);
}
