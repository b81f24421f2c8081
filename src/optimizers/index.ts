import { OptionError, oneOf, positive } from '../errors.js';
import type { Kernels } from '../kernels/types.js';
import type { FloatArray } from '../tensor/matrix.js';
import { allocate } from '../tensor/matrix.js';

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;
export type OptimizerId = (typeof OPTIMIZERS)[number];

/** The per-parameter buffers each optimizer keeps (slot keys are `${parameter name}.${slot}`). */
export const OPTIMIZER_SLOTS: Readonly<Record<OptimizerId, readonly string[]>> = { sgd: [], momentum: ['v'], adam: ['m', 'v'], rmsprop: ['v'] };

/** A trainable tensor θ with its gradient ∂C/∂θ, both flat; `name` is stable (used in files). */
export interface Parameter {
  readonly name: string;
  readonly value: FloatArray;
  readonly grad: FloatArray;
  /** Whether weight decay applies (weights: yes; biases: no). */
  readonly decays: boolean;
}

/** What an optimizer must remember between steps, so that a resumed run continues exactly. */
export interface OptimizerState {
  id: OptimizerId;
  /** Steps taken so far (Adam's bias correction needs it). */
  t: number;
  /** Per-parameter buffers, keyed `${parameter name}.${slot}` (e.g. `layers.0.weight.m`). */
  slots: Record<string, FloatArray>;
}

/** Moves every parameter against its gradient. */
export interface Optimizer {
  readonly id: OptimizerId;
  learningRate: number;
  /** Steps taken so far. */
  readonly t: number;
  /** The learning rate and the hyper-parameters this optimizer was made with (what `optimizer(id, …)` takes). */
  hyperParameters(): OptimizerOptions;
  step(params: readonly Parameter[], kernels: Kernels): void;
  /**
   * An upper bound of max|θ| after the next step, given max|θ| before it (thetaMax) and
   * max|∂C/∂θ| (gradMax); Infinity when the optimizer's own state could overflow. The training
   * step's guard compares it with float32's range to know, without a pass over the weights, that
   * no update can overflow.
   */
  bound(thetaMax: number, gradMax: number): number;
  state(): OptimizerState;
  loadState(state: OptimizerState): void;
}

export interface OptimizerOptions {
  learningRate?: number;
  /** momentum: μ (default 0.9) */
  momentum?: number;
  /** momentum: Nesterov's form θ ← θ − η·(g + μ·v) (default false) */
  nesterov?: boolean;
  /** adam: β1, β2 (defaults 0.9, 0.999); adam and rmsprop: ε (default 1e-8) */
  beta1?: number;
  beta2?: number;
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

export function sgd(options: OptimizerOptions = {}): Optimizer {
  return new Sgd(options.learningRate ?? DEFAULT_LEARNING_RATE.sgd, options.weightDecay ?? 0);
}

export function momentum(options: OptimizerOptions = {}): Optimizer {
  return new Momentum(options.learningRate ?? DEFAULT_LEARNING_RATE.momentum, options.momentum ?? 0.9, options.nesterov ?? false, options.weightDecay ?? 0);
}

export function adam(options: OptimizerOptions = {}): Optimizer {
  return new Adam(options.learningRate ?? DEFAULT_LEARNING_RATE.adam, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-8, options.weightDecay ?? 0);
}

export function rmsprop(options: OptimizerOptions = {}): Optimizer {
  return new Rmsprop(options.learningRate ?? DEFAULT_LEARNING_RATE.rmsprop, options.rho ?? 0.9, options.epsilon ?? 1e-8, options.weightDecay ?? 0);
}

/** An optimizer by id; unknown ids throw an OptionError listing the valid ones. */
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
