import { DivergenceError, OptionError, ShapeError, positiveInteger } from '../errors.js';
import { dropoutHash } from '../kernels/js.js';
import { createKernelsSync, jsKernels, type Backend } from '../kernels/index.js';
import type { Kernels, SparseColumns } from '../kernels/types.js';
import type { WasmKernels } from '../kernels/wasm/index.js';
import { loss as lossById, type CustomLoss, type Loss, type LossId } from '../losses/index.js';
import type { Optimizer, Parameter } from '../optimizers/index.js';
import { Random } from '../random.js';
import type { DType, FloatArray } from '../tensor/matrix.js';
import { Dense, denseFromSpec, type DenseSpec } from './dense.js';
import { checkInit, initialize, resolveInit, type InitId } from './init.js';

/** How {@link network} and {@link sequential} build a network; every field has a default. */
export interface ModelOptions {
  /** The cost C: 'mse' (default), 'cross-entropy' (softmax output), 'binary-cross-entropy' (sigmoid output), or your own {name, value, gradient}. */
  loss?: LossId | CustomLoss;
  /** Seed of the initial weights (and the default seed of fit's shuffling). Default: random, kept in `seed`. */
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
  /**
   * Results bit-identical on every machine (default false): the wasm kernels' products without
   * fused multiply-adds. By default they use FMA (WebAssembly relaxed SIMD) where the runtime has
   * it, which is faster but rounds differently, so the last bits of float32 results can differ
   * between machines; on one machine results are repeatable either way, whatever the thread
   * count. See `WasmKernelOptions.deterministic`.
   */
  deterministic?: boolean;
  /** Kernels made by `createKernels`, to share them between networks (overrides backend/threads/deterministic). */
  kernels?: Kernels;
  /** L1 penalty l1·Σ|W| on every layer's weights that does not set its own (default 0). */
  l1?: number;
  /** L2 penalty l2·ΣW² on every layer's weights that does not set its own (default 0). */
  l2?: number;
}

/** Beyond this, a weight is treated as about to overflow float32 (max 3.4e38): see step. */
const SAFE = 1e30;

/** Stops the worker threads of kernels a model made for itself, once that model is collected. */
const ownKernels = new FinalizationRegistry<WasmKernels>((kernels) => kernels.dispose());

/**
 * A feed-forward network of dense layers: layer l computes z(l) = W(l)·a(l-1) + b(l),
 * a(l) = σ(z(l)); backward runs from the cost to layer 1; step moves every parameter. The batch
 * (one column per sample) is given by the caller: see train/batch.ts.
 */
export class Model {
  /** n_0, the number of input features. */
  readonly inputs: number;
  /** Layers 1..L, in order from the input. */
  readonly layers: readonly Dense[];
  /** The cost C that training minimises. */
  readonly cost: Loss;
  /** The precision of every weight and batch buffer. */
  readonly dtype: DType;
  /** The kernels doing the matrix work (WebAssembly SIMD or JavaScript). */
  readonly kernels: Kernels;
  /** The seed of the initial weights (given, or drawn and kept so a run can be repeated). */
  readonly seed: number;
  private readonly params: Parameter[];
  /** An upper bound of max|θ| over all parameters (Infinity: to be measured), kept by step. */
  private thetaMax = Infinity;

  constructor(inputs: number, specs: readonly DenseSpec[], options: ModelOptions = {}) {
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
      const layer = denseFromSpec(spec, prev, this.dtype, this.kernels, { l1: options.l1, l2: options.l2 });
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
    if (last.dropout) throw new OptionError(`dropout is for hidden layers; the output layer (layer ${layers.length}) has dropout ${last.dropout}`);
    this.params = layers.flatMap((l, i) => [
      { name: `layers.${i}.weight`, value: l.W, grad: l.dW, decays: true },
      { name: `layers.${i}.bias`, value: l.b, grad: l.db, decays: false },
    ]);
  }

  /** n_L, the units of the output layer. */
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

  /**
   * Forward pass over n samples: a(0) = x, then z(l) = W(l)·a(l-1) + b(l), a(l) = σ(z(l)) for
   * l = 1..L; returns a(L) (outputs × n). x is inputs × n, or n × inputs when `transposed`, or
   * given by its non-zeros (the first layer then skips the zeros). With a
   * `dropoutKey` (training), layers with dropout pass ã(l) = a(l) ⊙ m(l) on, the masks drawn from
   * the key; without one (prediction) dropout is the identity.
   */
  forward(x: FloatArray | SparseColumns, n: number, transposed = false, dropoutKey?: number): FloatArray {
    const layers = this.layers;
    for (const l of layers) l.reserve(n);
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l]!;
      if (l === 0) layer.forward(x, n, transposed);
      else layer.forward(layers[l - 1]!.output, n);
      if (layer.dropout && dropoutKey !== undefined) layer.drop(n, dropoutHash(dropoutKey, l));
    }
    return layers[layers.length - 1]!.a;
  }

  /**
   * forward(stage, n, true) for samples given as rows (n × inputs) that are not in `stage` yet
   * (but the first `staged`): a forward pass alone (no dropout) in which the kernels copy them in,
   * threaded kernels while their workers already compute (Kernels.forwardRows).
   */
  forwardRows(rows: FloatArray, n: number, stage: FloatArray, staged: number): FloatArray {
    const layers = this.layers;
    if (!this.kernels.forwardRows) {
      stage.set(rows.subarray(staged * this.inputs, n * this.inputs), staged * this.inputs);
      return this.forward(stage, n, true);
    }
    for (const l of layers) {
      l.reserve(n);
      l.masked = false;
    }
    this.kernels.forwardRows(layers, rows, n, stage, staged);
    return layers[layers.length - 1]!.a;
  }

  /** C = (1/n) Σ_k C_k of the last forward pass against the targets y (outputs × n). */
  loss(y: FloatArray, n: number): number {
    const last = this.layers[this.layers.length - 1]!;
    return this.cost.value(last.a, last.z, y, last.units, n);
  }

  /** The weights' penalty Σ_l (l1·Σ|W(l)| + l2·ΣW(l)²), part of the cost C when any layer has one. */
  penalty(): number {
    let p = 0;
    for (const l of this.layers) {
      if (!(l.l1 || l.l2)) continue;
      let abs = 0;
      let sq = 0;
      for (let i = 0; i < l.W.length; i++) {
        abs += Math.abs(l.W[i]!);
        sq += l.W[i]! * l.W[i]!;
      }
      p += l.l1 * abs + l.l2 * sq;
    }
    return p;
  }

  /**
   * Backward pass after forward, on the same x (and layout): δ(L) from the cost, then for
   * l = L..1: ∂C/∂W(l), ∂C/∂b(l), and ∂C/∂a(l-1) = W(l)ᵀ·δ(l) feeding δ(l-1); the penalty's
   * gradient is added to ∂C/∂W(l), and the penalty returned. With `withDA`, the output layer's
   * ∂C/∂a(L) is filled even when the cost gives δ(L) directly (for explain).
   */
  backward(y: FloatArray, n: number, x: FloatArray | SparseColumns, transposed = false, withDA = false): number {
    const L = this.layers.length;
    const last = this.layers[L - 1]!;
    if (this.cost.fusedDelta) {
      this.cost.fusedDelta(last.a, y, last.delta, last.units, n);
      if (withDA) this.cost.gradient(last.a, y, last.dA, last.units, n);
    } else {
      this.cost.gradient(last.a, y, last.dA, last.units, n);
      last.deltaFromDA(n);
    }
    let penalty = 0;
    for (let l = L - 1; l >= 0; l--) {
      const below = l > 0 ? this.layers[l - 1]! : null;
      penalty += this.layers[l]!.backward(below ? below.output : x, n, below, !below && transposed);
    }
    return penalty;
  }

  /**
   * One optimizer step on the gradients of the last backward pass, never leaving a parameter (or
   * the optimizer's state) non-finite: a gradient that is not finite, or an update that would
   * overflow float32, throws DivergenceError with every parameter and the optimizer as they were.
   * `epoch` and `step` only name the place (positional: nothing is allocated per step).
   *
   * The guard costs one pass over the gradients (max|g|). From it each optimizer bounds max|θ|
   * after its update; only when that bound nears float32's range are the weights measured, and
   * only if they are truly near it is the update made on a copy-and-restore path.
   */
  step(optimizer: Optimizer, epoch?: number, step?: number): void {
    let gradMax = 0;
    for (const p of this.params) gradMax = Math.max(gradMax, this.kernels.maxAbs(p.grad));
    if (!Number.isFinite(gradMax)) {
      const bad = this.params.find((p) => !Number.isFinite(this.kernels.maxAbs(p.grad)))!;
      throw new DivergenceError(`gradient ∂C/∂${bad.name}`, NaN, { epoch, step });
    }
    let bound = optimizer.bound(this.thetaMax, gradMax);
    if (bound >= SAFE) {
      this.thetaMax = this.measure();
      bound = optimizer.bound(this.thetaMax, gradMax);
      if (bound >= SAFE) return this.guardedStep(optimizer, epoch, step);
    }
    this.thetaMax = bound;
    optimizer.step(this.params, this.kernels);
  }

  /** The update near float32's limit: made, checked, and undone if anything overflowed. */
  private guardedStep(optimizer: Optimizer, epoch?: number, step?: number): void {
    const saved = this.params.map((p) => p.value.slice());
    const state = optimizer.state();
    optimizer.step(this.params, this.kernels);
    const bad = this.params.find((p) => !Number.isFinite(this.kernels.maxAbs(p.value)));
    const badSlot = Object.entries(optimizer.state().slots).find(([, v]) => !Number.isFinite(jsKernels.maxAbs(v)));
    if (!bad && !badSlot) {
      this.thetaMax = this.measure();
      return;
    }
    this.params.forEach((p, i) => p.value.set(saved[i]!));
    optimizer.loadState(state);
    this.thetaMax = Infinity;
    throw new DivergenceError(bad ? `update of ${bad.name}` : `optimizer state ${badSlot![0]}`, Infinity, { epoch, step });
  }

  /** max|θ| over every parameter. */
  private measure(): number {
    let m = 0;
    for (const p of this.params) m = Math.max(m, this.kernels.maxAbs(p.value));
    return m;
  }

  /** Tells the step's guard that the weights were changed from outside (they are measured again). */
  weightsChanged(): void {
    this.thetaMax = Infinity;
  }

  /** Copies weights and biases from another model of the same architecture. */
  copyWeightsFrom(other: Model): void {
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
    this.weightsChanged();
  }

  private chooseKernels(options: ModelOptions): Kernels {
    const backend = options.backend ?? 'auto';
    if (this.dtype === 'float64' && backend === 'auto') return jsKernels;
    const kernels = createKernelsSync({ backend, threads: options.threads, deterministic: options.deterministic });
    // Kernels made here are this model's alone: their workers stop when it is collected.
    if ((kernels as Partial<WasmKernels>).dispose) ownKernels.register(this, kernels as WasmKernels);
    return kernels;
  }
}
