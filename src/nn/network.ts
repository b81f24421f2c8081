import { DivergenceError, OptionError, ShapeError, positiveInteger } from '../errors.js';
import { createKernelsSync, jsKernels, type Backend } from '../kernels/index.js';
import type { Kernels } from '../kernels/types.js';
import type { WasmKernels } from '../kernels/wasm/index.js';
import { loss as lossById, type Loss, type LossId } from '../losses/index.js';
import type { Optimizer, Parameter } from '../optimizers/index.js';
import { Random } from '../random.js';
import { allocate, Matrix, type DType, type FloatArray, type MatrixLike } from '../tensor/matrix.js';
import { inputMatrix, range, targetMatrix, type TargetLike } from '../train/batch.js';
import { explain, type ExplainOptions, type Explanation } from '../train/explain.js';
import { fit, type FitOptions, type History } from '../train/fit.js';
import { Dense, denseFromSpec, type DenseSpec } from './dense.js';
import { checkInit, initialize, resolveInit, type InitId } from './init.js';

export interface NetworkOptions {
  /** The cost C: 'mse' (default), 'cross-entropy' (softmax output) or 'binary-cross-entropy' (sigmoid output). */
  loss?: LossId;
  /** Seed of the initial weights (and the default seed of fit's shuffling). Default: random, kept in `network.seed`. */
  seed?: number;
  /** Weight initialisation for layers that do not set their own (default 'auto'). */
  init?: InitId;
  /** 'float32' (default) or 'float64' (gradient checks). */
  dtype?: DType;
  /**
   * Which kernels do the matrix work: 'auto' (default: WebAssembly SIMD where the runtime has it,
   * else the JavaScript reference kernels), 'wasm' or 'js'. float64 always runs on 'js'.
   */
  backend?: Backend;
  /**
   * Threads for the wasm kernels' large products: a number or 'auto' (all cores, the default; the
   * workers start with the first product large enough to split, and stop once the network has
   * been garbage-collected).
   */
  threads?: number | 'auto';
  /** Kernels made by `createKernels`, to share them between networks (overrides backend/threads). */
  kernels?: Kernels;
}

export interface Evaluation {
  /** C = (1/N) Σ_k C_k over all samples */
  loss: number;
  /** Fraction of samples whose largest output is the target's largest (one output: both on the same side of 0.5). */
  accuracy: number;
}

export interface LayerGradients {
  /** ∂C/∂W(l), units × inputs */
  dW: Matrix;
  /** ∂C/∂b(l), units × 1 */
  db: Matrix;
}

export interface Gradients {
  loss: number;
  layers: LayerGradients[];
}

const PREDICT_CHUNK = 1024;
/** Batches up to this size also load Xᵀ (see Network.XT). */
const SMALL_BATCH = 16;
/** Largest training set (bytes, X and Y) that stage() copies into the kernels' memory. */
const STAGE_LIMIT = 512 * 1024 * 1024;

/** Stops the worker threads of kernels a network made for itself, once that network is collected. */
const ownKernels = new FinalizationRegistry<WasmKernels>((kernels) => kernels.dispose());

/**
 * A feed-forward network of dense layers trained by backpropagation. Layer l computes
 * z(l) = W(l)·a(l-1) + b(l), a(l) = σ(z(l)); the backward pass runs from the cost to layer 1.
 */
export class Network {
  readonly inputs: number;
  readonly layers: readonly Dense[];
  readonly cost: Loss;
  readonly dtype: DType;
  readonly kernels: Kernels;
  readonly seed: number;
  /** The current batch: X (inputs × n) and Y (outputs × n), one column per sample. */
  private X: FloatArray;
  private Y: FloatArray;
  /**
   * Xᵀ (n × inputs, one row per sample) for small batches (n ≤ SMALL_BATCH) with the wasm kernels:
   * the batch is gathered into it (row copies, the samples as they are stored), the first layer's
   * z = W·X reads it as the transposed operand, and its ∂C/∂W = δ·Xᵀ, whose depth is only n, reads
   * it in place; X itself is then filled only when asked for (batchInput). Large batches gather X.
   */
  private XT: FloatArray | null = null;
  /** Rows of the batch held in XT alone (X not filled), or 0. */
  private transposedOnly = 0;
  private capacity = 0;
  private params: Parameter[];
  /** The areas in the kernels' memory that stage() copies the training set into (reused, grown for larger sets). */
  private stagedX: Float32Array | null = null;
  private stagedY: Float32Array | null = null;

  constructor(inputs: number, specs: readonly DenseSpec[], options: NetworkOptions = {}) {
    positiveInteger('input size', inputs);
    if (specs.length === 0) throw new OptionError('a network needs at least one layer');
    this.inputs = inputs;
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new OptionError(`unknown dtype ${JSON.stringify(this.dtype)}; valid: float32, float64`);
    }
    this.kernels = options.kernels ?? this.chooseKernels(options);
    if (this.dtype === 'float64' && this.kernels !== jsKernels) {
      throw new OptionError(`float64 runs on the 'js' kernels only; '${this.kernels.name}' is float32`);
    }
    this.cost = lossById(options.loss ?? 'mse');
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const defaultInit = checkInit(options.init ?? 'auto');
    const rng = new Random(this.seed);
    const layers: Dense[] = [];
    let prev = inputs;
    specs.forEach((spec, i) => {
      if (spec.inputs !== undefined && spec.inputs !== prev) {
        throw new ShapeError(`layer ${i + 1} says it has ${spec.inputs} inputs but the layer before it gives ${prev}`);
      }
      positiveInteger(`units of layer ${i + 1}`, spec.units);
      const layer = denseFromSpec(spec, prev, this.dtype, this.kernels);
      initialize(resolveInit(checkInit(spec.init ?? defaultInit), layer.act.id), layer.W, layer.b, prev, layer.units, rng);
      layers.push(layer);
      prev = spec.units;
    });
    this.layers = layers;
    const last = layers[layers.length - 1]!;
    this.cost.check(last.act);
    for (let i = 0; i < layers.length - 1; i++) {
      if (!layers[i]!.act.elementwise) throw new OptionError(`softmax is only supported on the output layer (layer ${i + 1} uses it)`);
    }
    this.X = this.alloc(0);
    this.Y = this.alloc(0);
    this.reserve(1);
    if (this.dtype === 'float32' && this.kernels.name === 'wasm' && this.kernels.transpose) this.XT = this.alloc(this.inputs * SMALL_BATCH);
    this.params = layers.flatMap((l, i) => [
      { name: `layers.${i}.weight`, value: l.W, grad: l.dW },
      { name: `layers.${i}.bias`, value: l.b, grad: l.db },
    ]);
  }

  get outputs(): number {
    return this.layers[this.layers.length - 1]!.units;
  }

  /** The layer specs, with resolved activations (what a model file stores). */
  get specs(): DenseSpec[] {
    return this.layers.map((l) => l.spec);
  }

  /** Every W(l) and b(l) with its gradient buffer, named `layers.{i}.weight` / `layers.{i}.bias`. */
  parameters(): readonly Parameter[] {
    return this.params;
  }

  /** The outputs a(L) for each sample (rows are samples). */
  predict(x: MatrixLike): Matrix {
    const X = inputMatrix(x, this.inputs, this.dtype);
    const out = Matrix.zeros(X.rows, this.outputs, this.dtype);
    const order = range(X.rows);
    for (let start = 0; start < X.rows; start += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, X.rows - start);
      this.loadBatch(X, null, order, start, n);
      const a = this.forwardBatch(n);
      const outputs = this.outputs;
      for (let i = 0; i < outputs; i++) {
        for (let j = 0; j < n; j++) out.data[(start + j) * outputs + i] = a[i * n + j]!;
      }
    }
    return out;
  }

  /** The cost and accuracy over a data set, without changing the network. */
  evaluate(x: MatrixLike, y: TargetLike): Evaluation {
    const X = inputMatrix(x, this.inputs, this.dtype);
    const Y = targetMatrix(y, X.rows, this.outputs, this.dtype);
    return this.evaluateMatrices(X, Y, range(X.rows));
  }

  /** @internal evaluate on validated matrices, in chunks. */
  evaluateMatrices(X: Matrix, Y: Matrix, order: ArrayLike<number>): Evaluation {
    let total = 0;
    let correct = 0;
    for (let start = 0; start < order.length; start += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, order.length - start);
      this.loadBatch(X, Y, order, start, n);
      this.forwardBatch(n);
      total += this.batchLoss(n) * n;
      correct += this.batchCorrect(n);
    }
    return { loss: total / order.length, accuracy: correct / order.length };
  }

  /** One step of gradient descent on one batch; returns the batch's cost before the step. */
  trainStep(x: MatrixLike, y: TargetLike, optimizer: Optimizer): number {
    const X = inputMatrix(x, this.inputs, this.dtype);
    const Y = targetMatrix(y, X.rows, this.outputs, this.dtype);
    this.loadBatch(X, Y, range(X.rows), 0, X.rows);
    return this.stepLoaded(X.rows, optimizer);
  }

  /** ∂C/∂W(l) and ∂C/∂b(l) for every layer, averaged over the samples given. */
  gradients(x: MatrixLike, y: TargetLike): Gradients {
    const X = inputMatrix(x, this.inputs, this.dtype);
    const Y = targetMatrix(y, X.rows, this.outputs, this.dtype);
    this.loadBatch(X, Y, range(X.rows), 0, X.rows);
    this.forwardBatch(X.rows);
    const loss = this.batchLoss(X.rows);
    this.backwardBatch(X.rows);
    return {
      loss,
      layers: this.layers.map((l) => ({
        dW: new Matrix(l.units, l.inputs, l.dW.slice()),
        db: new Matrix(l.units, 1, l.db.slice()),
      })),
    };
  }

  /** Trains by mini-batch gradient descent; see FitOptions. */
  fit(x: MatrixLike, y: TargetLike, options: FitOptions = {}): Promise<History> {
    return fit(this, x, y, options);
  }

  /** Every chain-rule factor of one backpropagation step on these samples, per layer; changes nothing. */
  explain(x: MatrixLike, y: TargetLike, options: ExplainOptions = {}): Explanation {
    return explain(this, x, y, options);
  }

  /**
   * @internal The training set as the batch gather reads it fastest. On the wasm kernels with a
   * shared memory: copies of X and Y in the kernels' memory, so that the gather runs in
   * WebAssembly and, with threads, each thread copies its own samples of every batch (copying from
   * the data set beats moving a batch gathered by one core into another's cache). The copies are
   * made on every call (the caller's data may have changed since) into two areas per network,
   * which grow only for a larger set, as the memory's allocator never frees. Otherwise X and Y.
   */
  stage(X: Matrix, Y: Matrix): [Matrix, Matrix] {
    const k = this.kernels as Partial<WasmKernels>;
    if (this.dtype !== 'float32' || !k.shared || !k.owns || X.data.byteLength + Y.data.byteLength > STAGE_LIMIT) return [X, Y];
    const x = this.copyIn(X.data, this.stagedX);
    if (!x) return [X, Y];
    this.stagedX = x.area;
    const y = this.copyIn(Y.data, this.stagedY);
    if (!y) return [X, Y];
    this.stagedY = y.area;
    return [new Matrix(X.rows, X.cols, x.copy), new Matrix(Y.rows, Y.cols, y.copy)];
  }

  /** data copied into `area` (or a larger new one) in the kernels' memory; null when the memory has no room. */
  private copyIn(data: FloatArray, area: Float32Array | null): { area: Float32Array; copy: Float32Array } | null {
    if (!area || area.length < data.length) {
      area = this.kernels.alloc(data.length);
      if (!(this.kernels as WasmKernels).owns(area)) return null;
    }
    const copy = area.subarray(0, data.length);
    copy.set(data);
    return { area, copy };
  }

  /** @internal Copies samples order[start..start+n) into the X (and Y) batch buffers, one column per sample. */
  loadBatch(X: Matrix, Y: Matrix | null, order: ArrayLike<number>, start: number, n: number): void {
    this.reserve(n);
    if (this.inXT(n)) {
      this.kernels.gatherRows(X.data, X.cols, order, start, n, this.XT!);
      this.transposedOnly = n;
    } else {
      this.kernels.gatherColumns(X.data, X.cols, order, start, n, this.X);
      this.transposedOnly = 0;
    }
    if (Y) this.kernels.gatherColumns(Y.data, Y.cols, order, start, n, this.Y);
  }

  /** Whether a batch of n samples is loaded into XT (see there). */
  private inXT(n: number): boolean {
    return this.XT !== null && n <= SMALL_BATCH;
  }

  /** @internal The loaded batch's input X and target Y (views, one column per sample). */
  batchInput(n: number): FloatArray {
    if (this.transposedOnly) {
      this.kernels.transpose!(this.XT!, this.transposedOnly, this.inputs, this.X);
      this.transposedOnly = 0;
    }
    return this.X.subarray(0, this.inputs * n);
  }
  batchTarget(n: number): FloatArray {
    return this.Y.subarray(0, this.outputs * n);
  }

  /** @internal Forward pass over the loaded batch; returns a(L) (outputs × n). */
  forwardBatch(n: number): FloatArray {
    const small = this.transposedOnly === n;
    this.layers[0]!.forward(small ? this.XT! : this.X, n, small);
    for (let l = 1; l < this.layers.length; l++) this.layers[l]!.forward(this.layers[l - 1]!.a, n);
    return this.layers[this.layers.length - 1]!.a;
  }

  /** @internal C = (1/n) Σ_k C_k for the loaded batch after forwardBatch. */
  batchLoss(n: number): number {
    const last = this.layers[this.layers.length - 1]!;
    return this.cost.value(last.a, last.z, this.Y, last.units, n);
  }

  /**
   * @internal Backward pass over the loaded batch after forwardBatch: δ(L) from the cost, then for
   * l = L..1: ∂C/∂W(l), ∂C/∂b(l), and ∂C/∂a(l-1) = W(l)ᵀ·δ(l) feeding δ(l-1). With `withDA`, the
   * output layer's ∂C/∂a(L) is filled even when the cost gives δ(L) directly (for explain).
   */
  backwardBatch(n: number, withDA = false): void {
    const L = this.layers.length;
    const last = this.layers[L - 1]!;
    if (this.cost.fusedDelta) {
      this.cost.fusedDelta(last.a, this.Y, last.delta, last.units, n);
      if (withDA) this.cost.gradient(last.a, this.Y, last.dA, last.units, n);
    } else {
      this.cost.gradient(last.a, this.Y, last.dA, last.units, n);
      last.deltaFromDA(n);
    }
    for (let l = L - 1; l >= 0; l--) {
      const below = l > 0 ? this.layers[l - 1]! : null;
      this.layers[l]!.backward(below ? below.a : this.X, n, below, !below && this.inXT(n) ? this.XT! : undefined);
    }
  }

  /**
   * @internal forward, cost, backward and one optimizer step on the loaded batch; `epoch` and
   * `step` only name the place in a divergence error (positional: nothing is allocated per step).
   */
  stepLoaded(n: number, optimizer: Optimizer, epoch?: number, step?: number): number {
    this.forwardBatch(n);
    const loss = this.batchLoss(n);
    if (!Number.isFinite(loss)) throw new DivergenceError('loss', loss, { epoch, step });
    this.backwardBatch(n);
    for (const p of this.params) {
      if (!this.kernels.allFinite(p.grad)) throw new DivergenceError(`gradient ∂C/∂${p.name}`, NaN, { epoch, step });
    }
    optimizer.step(this.params, this.kernels);
    return loss;
  }

  /** @internal Number of samples in the loaded batch whose prediction matches the target. */
  batchCorrect(n: number): number {
    const a = this.layers[this.layers.length - 1]!.a;
    const y = this.Y;
    const outputs = this.outputs;
    let correct = 0;
    for (let j = 0; j < n; j++) {
      if (outputs === 1) {
        if (a[j]! >= 0.5 === y[j]! >= 0.5) correct++;
        continue;
      }
      let pa = 0;
      let py = 0;
      for (let i = 1; i < outputs; i++) {
        if (a[i * n + j]! > a[pa * n + j]!) pa = i;
        if (y[i * n + j]! > y[py * n + j]!) py = i;
      }
      if (pa === py) correct++;
    }
    return correct;
  }

  /** Copies weights and biases from another network of the same architecture. */
  copyWeightsFrom(other: Network): void {
    if (other.layers.length !== this.layers.length) {
      throw new ShapeError(`cannot copy weights: ${other.layers.length} layers into ${this.layers.length}`);
    }
    this.layers.forEach((l, i) => {
      const o = other.layers[i]!;
      if (o.units !== l.units || o.inputs !== l.inputs) {
        throw new ShapeError(`cannot copy weights: layer ${i + 1} is ${o.units}×${o.inputs} there, ${l.units}×${l.inputs} here`);
      }
      l.W.set(o.W);
      l.b.set(o.b);
    });
  }

  private chooseKernels(options: NetworkOptions): Kernels {
    const backend = options.backend ?? 'auto';
    if (this.dtype === 'float64' && backend === 'auto') return jsKernels;
    const kernels = createKernelsSync({ backend, threads: options.threads });
    // Kernels made here are this network's alone: their workers stop when it is collected.
    if ((kernels as Partial<WasmKernels>).dispose) ownKernels.register(this, kernels as WasmKernels);
    return kernels;
  }

  private reserve(n: number): void {
    if (n <= this.capacity) return;
    this.X = this.alloc(this.inputs * n);
    this.Y = this.alloc(this.outputs * n);
    for (const l of this.layers) l.reserve(n);
    this.capacity = n;
  }

  private alloc(length: number): FloatArray {
    return this.dtype === 'float64' ? allocate('float64', length) : this.kernels.alloc(length);
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
