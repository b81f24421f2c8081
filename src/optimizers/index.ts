import { OptionError, oneOf, positive } from '../errors.js';
import type { Kernels } from '../kernels/types.js';
import type { FloatArray } from '../tensor/matrix.js';
import { allocate } from '../tensor/matrix.js';

/** The built-in optimizers' ids, as `fit(…, {optimizer})` and {@link optimizer} name them. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;
/** One of {@link OPTIMIZERS}: a built-in optimizer's id. */
export type OptimizerId = (typeof OPTIMIZERS)[number];

/** The per-parameter buffers each optimizer keeps (slot keys are `${parameter name}.${slot}`). */
export const OPTIMIZER_SLOTS: Readonly<Record<OptimizerId, readonly string[]>> = { sgd: [], momentum: ['v'], adam: ['m', 'v'], rmsprop: ['v'] };

/** A trainable tensor θ with its gradient ∂C/∂θ, both flat; `name` is stable (used in files). */
export interface Parameter {
  /** Stable across runs and files, e.g. `layers.0.weight`; it keys the optimizer's slots. */
  readonly name: string;
  /** θ, updated in place by the optimizer. */
  readonly value: FloatArray;
  /** ∂C/∂θ of the last backward pass, the same length as `value`. */
  readonly grad: FloatArray;
  /** Whether weight decay applies (weights: yes; biases: no). */
  readonly decays: boolean;
}

/** What an optimizer must remember between steps, so that a resumed run continues exactly. */
export interface OptimizerState {
  /** Which optimizer the state belongs to (a state only loads into the same kind). */
  id: OptimizerId;
  /** Steps taken so far (Adam's bias correction needs it). */
  t: number;
  /** Per-parameter buffers, keyed `${parameter name}.${slot}` (e.g. `layers.0.weight.m`). */
  slots: Record<string, FloatArray>;
}

/**
 * Moves every parameter against its gradient: θ ← θ − η·(the optimizer's direction). Made by
 * {@link sgd}, {@link momentum}, {@link adam}, {@link rmsprop} or {@link optimizer}; `fit`
 * sets `learningRate` each epoch when a schedule is given.
 */
export interface Optimizer {
  /** Which of the built-in optimizers this is. */
  readonly id: OptimizerId;
  /** η, the step size of the next update. */
  learningRate: number;
  /** Steps taken so far. */
  readonly t: number;
  /** The learning rate and the hyper-parameters this optimizer was made with (what `optimizer(id, …)` takes). */
  hyperParameters(): OptimizerOptions;
  /** One update of every parameter from its `grad` (the training step calls it after the backward pass). */
  step(params: readonly Parameter[], kernels: Kernels): void;
  /**
   * An upper bound of max|θ| after the next step, given max|θ| before it (thetaMax) and
   * max|∂C/∂θ| (gradMax); Infinity when the optimizer's own state could overflow. The training
   * step's guard compares it with float32's range to know, without a pass over the weights, that
   * no update can overflow.
   */
  bound(thetaMax: number, gradMax: number): number;
  /** A copy of what the optimizer remembers (step count, moment buffers), for a checkpoint. */
  state(): OptimizerState;
  /** Continues from a saved state: the next step is the one the saved run would have taken. */
  loadState(state: OptimizerState): void;
}

/** Every optimizer's settings; each takes the ones it uses (defaults in brackets). */
export interface OptimizerOptions {
  /** η (sgd and momentum 0.01, adam and rmsprop 0.001) */
  learningRate?: number;
  /** momentum: μ (default 0.9) */
  momentum?: number;
  /** momentum: Nesterov's form θ ← θ − η·(g + μ·v) (default false) */
  nesterov?: boolean;
  /** adam: β1, the decay of the mean of g (default 0.9) */
  beta1?: number;
  /** adam: β2, the decay of the mean of g² (default 0.999) */
  beta2?: number;
  /** adam and rmsprop: ε in the denominator √v + ε (default 1e-8) */
  epsilon?: number;
  /** rmsprop: ρ, the decay of the mean square (default 0.9) */
  rho?: number;
  /**
   * Decoupled weight decay λ: before each update W ← W − η·λ·W (weights only, not biases); with
   * adam this is AdamW. Default 0.
   */
  weightDecay?: number;
}

/** Default learning rates: the textbook's SGD on MNIST uses η = 3 with MSE, but 0.01 is the safe general default. */
export const DEFAULT_LEARNING_RATE: Record<OptimizerId, number> = { sgd: 0.01, momentum: 0.01, adam: 0.001, rmsprop: 0.001 };

/** Beyond this, a weight or an optimizer's state is treated as about to overflow float32 (max 3.4e38). */
const SAFE = 1e30;

abstract class Base implements Optimizer {
  abstract readonly id: OptimizerId;
  learningRate: number;
  readonly weightDecay: number;
  t = 0;
  protected slots = new Map<string, FloatArray>();
  /** Slots allocated by `slot` itself (restored ones still have to be moved into the kernels' memory). */
  private readonly placed = new WeakSet<FloatArray>();
  /** The names of this optimizer's per-parameter slots (e.g. Adam's 'm' and 'v'); slot bounds are kept by their index. */
  protected abstract readonly slotNames: readonly string[];
  /** Upper bounds of |slot value|, per slot index, kept from the gradient bounds (see bound()): no pass over the state. */
  private readonly slotMaxes = new Float64Array(2);
  /** The slot bounds computed by the last bound() call, committed by step(). */
  private readonly nextSlotMaxes = new Float64Array(2);

  constructor(learningRate: number, weightDecay = 0) {
    this.learningRate = positive('learning rate', learningRate);
    if (typeof weightDecay !== 'number' || !(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
      throw new OptionError(`weightDecay must be a finite number ≥ 0, got ${String(weightDecay)}`);
    }
    this.weightDecay = weightDecay;
  }

  /** W ← (1 − η·λ)·W for the weights, before the update (decoupled weight decay). */
  protected decay(params: readonly Parameter[], kernels: Kernels): void {
    if (this.weightDecay === 0) return;
    const keep = 1 - this.learningRate * this.weightDecay;
    for (const p of params) if (p.decays) kernels.scale(p.value, keep);
  }

  /** max|θ| after the decay and a step of at most `step`. */
  protected moved(thetaMax: number, step: number): number {
    return Math.abs(1 - this.learningRate * this.weightDecay) * thetaMax + step;
  }

  abstract bound(thetaMax: number, gradMax: number): number;

  /** Records the bound of slot i after this step (committed by step()); returns it. */
  protected slotBound(i: number, next: number): number {
    this.nextSlotMaxes[i] = next;
    return next;
  }

  protected commitBounds(): void {
    this.slotMaxes.set(this.nextSlotMaxes);
  }

  /** `bound`, or Infinity when a slot bound of this bound() call is out of range. */
  protected safe(bound: number): number {
    for (let i = 0; i < this.slotNames.length; i++) if (!(this.nextSlotMaxes[i]! < SAFE)) return Infinity;
    return bound;
  }

  protected slotMax(i: number): number {
    return this.slotMaxes[i]!;
  }

  /**
   * The slot buffer for a parameter, allocated once, beside the parameter: in the kernels' memory
   * for float32 (so that a WASM backend updates it in place), as a Float64Array for float64.
   * A slot restored by loadState is moved there at its first use.
   */
  protected slot(p: Parameter, name: string, kernels: Kernels): FloatArray {
    const key = `${p.name}.${name}`;
    let s = this.slots.get(key);
    if (!s || !this.placed.has(s)) {
      const fresh = p.value instanceof Float64Array ? allocate('float64', p.value.length) : kernels.alloc(p.value.length);
      if (s) fresh.set(s);
      s = fresh;
      this.slots.set(key, s);
      this.placed.add(s);
    }
    return s;
  }

  abstract step(params: readonly Parameter[], kernels: Kernels): void;

  hyperParameters(): OptimizerOptions {
    return this.weightDecay ? { learningRate: this.learningRate, weightDecay: this.weightDecay } : { learningRate: this.learningRate };
  }

  state(): OptimizerState {
    const slots: Record<string, FloatArray> = {};
    for (const [k, v] of this.slots) slots[k] = v.slice();
    return { id: this.id, t: this.t, slots };
  }

  loadState(state: OptimizerState): void {
    if (state.id !== this.id) throw new OptionError(`optimizer state is for '${state.id}', this optimizer is '${this.id}'`);
    this.t = state.t;
    this.slots = new Map(Object.entries(state.slots).map(([k, v]) => [k, v.slice()]));
    // the bounds of restored state, measured: a slot key ends in its slot name
    this.slotMaxes.fill(0);
    for (const [k, v] of this.slots) {
      const i = this.slotNames.indexOf(k.slice(k.lastIndexOf('.') + 1));
      for (let j = 0; j < v.length; j++) this.slotMaxes[i] = Math.max(this.slotMaxes[i]!, Math.abs(v[j]!));
    }
  }
}

/** Plain gradient descent: θ ← θ − η·∂C/∂θ. */
class Sgd extends Base {
  readonly id = 'sgd' as const;
  protected readonly slotNames = OPTIMIZER_SLOTS.sgd;
  bound(thetaMax: number, gradMax: number): number {
    return this.moved(thetaMax, this.learningRate * gradMax);
  }
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    this.decay(params, kernels);
    for (const p of params) kernels.sgdUpdate(p.value, p.grad, this.learningRate);
  }
}

/** Gradient descent with momentum: v ← μ·v + ∂C/∂θ; θ ← θ − η·v (Nesterov: θ ← θ − η·(∂C/∂θ + μ·v)). */
class Momentum extends Base {
  readonly id = 'momentum' as const;
  protected readonly slotNames = OPTIMIZER_SLOTS.momentum;
  readonly mu: number;
  readonly nesterov: boolean;
  constructor(learningRate: number, mu: number, nesterov: boolean, weightDecay: number) {
    super(learningRate, weightDecay);
    if (!(mu >= 0 && mu < 1)) throw new OptionError(`momentum must be in [0, 1), got ${mu}`);
    if (typeof nesterov !== 'boolean') throw new OptionError(`nesterov must be true or false, got ${String(nesterov)}`);
    this.mu = mu;
    this.nesterov = nesterov;
  }
  override hyperParameters(): OptimizerOptions {
    return { ...super.hyperParameters(), momentum: this.mu, ...(this.nesterov ? { nesterov: true } : {}) };
  }
  bound(thetaMax: number, gradMax: number): number {
    const v = this.slotBound(0, this.mu * this.slotMax(0) + gradMax);
    return this.safe(this.moved(thetaMax, this.learningRate * (this.nesterov ? gradMax + this.mu * v : v)));
  }
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    this.decay(params, kernels);
    for (const p of params) kernels.momentumUpdate(p.value, p.grad, this.slot(p, 'v', kernels), this.learningRate, this.mu, this.nesterov);
    this.commitBounds();
  }
}

/** RMSprop: v ← ρ·v + (1−ρ)·g²; θ ← θ − η·g/(√v + ε). */
class Rmsprop extends Base {
  readonly id = 'rmsprop' as const;
  protected readonly slotNames = OPTIMIZER_SLOTS.rmsprop;
  constructor(
    learningRate: number,
    readonly rho: number,
    readonly epsilon: number,
    weightDecay: number,
  ) {
    super(learningRate, weightDecay);
    if (!(rho >= 0 && rho < 1)) throw new OptionError(`rho must be in [0, 1), got ${rho}`);
    positive('epsilon', epsilon);
  }
  override hyperParameters(): OptimizerOptions {
    return { ...super.hyperParameters(), rho: this.rho, epsilon: this.epsilon };
  }
  bound(thetaMax: number, gradMax: number): number {
    this.slotBound(0, this.rho * this.slotMax(0) + (1 - this.rho) * gradMax * gradMax);
    // v ≥ (1−ρ)·g², so |g|/(√v + ε) ≤ 1/√(1−ρ)
    return this.safe(this.moved(thetaMax, this.learningRate / Math.sqrt(1 - this.rho)));
  }
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    this.decay(params, kernels);
    for (const p of params) kernels.rmspropUpdate(p.value, p.grad, this.slot(p, 'v', kernels), this.learningRate, this.rho, this.epsilon);
    this.commitBounds();
  }
}

/** Adam (Kingma & Ba): moving averages of g and g², bias-corrected. */
class Adam extends Base {
  readonly id = 'adam' as const;
  protected readonly slotNames = OPTIMIZER_SLOTS.adam;
  constructor(
    learningRate: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon: number,
    weightDecay: number,
  ) {
    super(learningRate, weightDecay);
    for (const [name, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new OptionError(`${name} must be in [0, 1), got ${b}`);
    }
    positive('epsilon', epsilon);
  }
  override hyperParameters(): OptimizerOptions {
    return { ...super.hyperParameters(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  bound(thetaMax: number, gradMax: number): number {
    const { beta1: b1, beta2: b2 } = this;
    const m = this.slotBound(0, b1 * this.slotMax(0) + (1 - b1) * gradMax);
    this.slotBound(1, b2 * this.slotMax(1) + (1 - b2) * gradMax * gradMax);
    const t = this.t + 1;
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    // By Cauchy–Schwarz over the two moving averages, |m| ≤ K·√v with
    // K = (1−β1)/√((1−β2)(1−β1²/β2)) when β1² < β2; so |m̂|/(√v̂ + ε) ≤ K·√c2/c1. Else only ≤ m̂/ε.
    const ratio = b1 * b1 < b2 ? ((1 - b1) / Math.sqrt((1 - b2) * (1 - (b1 * b1) / b2)) * Math.sqrt(c2)) / c1 : m / c1 / this.epsilon;
    return this.safe(this.moved(thetaMax, this.learningRate * ratio));
  }
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    this.decay(params, kernels);
    for (const p of params) {
      kernels.adamUpdate(p.value, p.grad, this.slot(p, 'm', kernels), this.slot(p, 'v', kernels), this.learningRate, this.beta1, this.beta2, this.epsilon, this.t);
    }
    this.commitBounds();
  }
}

/**
 * Plain gradient descent θ ← θ − η·∂C/∂θ (η default 0.01; `weightDecay` optional).
 *
 * @example
 * ```ts
 * import { network, sgd } from 'backprop';
 *
 * const net = network([2, 4, 1], { seed: 3, init: 'normal' });
 * const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
 * const y = [[0], [1], [1], [0]];
 * await net.fit(x, y, { epochs: 4000, batchSize: 4, optimizer: sgd({ learningRate: 2 }) });
 * ```
 */
export function sgd(options: OptimizerOptions = {}): Optimizer {
  return new Sgd(options.learningRate ?? DEFAULT_LEARNING_RATE.sgd, options.weightDecay ?? 0);
}

/**
 * Gradient descent with momentum: v ← μ·v + ∂C/∂θ, θ ← θ − η·v; with `nesterov`,
 * θ ← θ − η·(∂C/∂θ + μ·v). Defaults η = 0.01, μ = 0.9.
 *
 * @example
 * ```ts
 * import { momentum, network, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('circles', { samples: 200, seed: 1 });
 * const net = network([2, { units: 8, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * await net.fit(x, y, { epochs: 20, optimizer: momentum({ learningRate: 0.05, momentum: 0.9, nesterov: true }) });
 * ```
 */
export function momentum(options: OptimizerOptions = {}): Optimizer {
  return new Momentum(options.learningRate ?? DEFAULT_LEARNING_RATE.momentum, options.momentum ?? 0.9, options.nesterov ?? false, options.weightDecay ?? 0);
}

/**
 * Adam (Kingma & Ba): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − η·m̂/(√v̂ + ε) with the
 * bias-corrected m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ). Defaults η = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8;
 * with `weightDecay` it is AdamW.
 *
 * @example
 * ```ts
 * import { adam, network, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('moons', { samples: 400, seed: 1 });
 * const net = network([2, { units: 16, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * await net.fit(x, y, { epochs: 40, batchSize: 16, optimizer: adam({ learningRate: 0.01, weightDecay: 1e-4 }) });
 * ```
 */
export function adam(options: OptimizerOptions = {}): Optimizer {
  return new Adam(options.learningRate ?? DEFAULT_LEARNING_RATE.adam, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-8, options.weightDecay ?? 0);
}

/**
 * RMSprop: v ← ρ·v + (1−ρ)·g², θ ← θ − η·g/(√v + ε). Defaults η = 0.001, ρ = 0.9, ε = 1e-8.
 *
 * @example
 * ```ts
 * import { network, rmsprop, toyDataset } from 'backprop';
 *
 * const { x, y } = toyDataset('spirals', { samples: 300, seed: 1 });
 * const net = network([2, { units: 32, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * await net.fit(x, y, { epochs: 30, batchSize: 32, optimizer: rmsprop({ learningRate: 0.005, rho: 0.9 }) });
 * ```
 */
export function rmsprop(options: OptimizerOptions = {}): Optimizer {
  return new Rmsprop(options.learningRate ?? DEFAULT_LEARNING_RATE.rmsprop, options.rho ?? 0.9, options.epsilon ?? 1e-8, options.weightDecay ?? 0);
}

/**
 * An optimizer by id; unknown ids throw an OptionError listing the valid ones.
 *
 * @param id - one of {@link OPTIMIZERS}
 * @param options - the settings of that optimizer (see {@link OptimizerOptions})
 * @example
 * ```ts
 * import { optimizer } from 'backprop';
 *
 * const opt = optimizer('adam', { learningRate: 0.01 });
 * console.log(opt.id, opt.learningRate, opt.hyperParameters());   // adam 0.01 { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
 * ```
 */
export function optimizer(id: string, options: OptimizerOptions = {}): Optimizer {
  switch (oneOf('optimizer', id, OPTIMIZERS)) {
    case 'sgd':
      return sgd(options);
    case 'momentum':
      return momentum(options);
    case 'adam':
      return adam(options);
    case 'rmsprop':
      return rmsprop(options);
  }
}
