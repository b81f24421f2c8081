import { OptionError, oneOf, positive } from '../errors.js';
import type { Kernels } from '../kernels/types.js';
import type { FloatArray } from '../tensor/matrix.js';
import { allocate } from '../tensor/matrix.js';

export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type OptimizerId = (typeof OPTIMIZERS)[number];

/** A trainable tensor θ with its gradient ∂C/∂θ, both flat; `name` is stable (used in files). */
export interface Parameter {
  readonly name: string;
  readonly value: FloatArray;
  readonly grad: FloatArray;
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
  state(): OptimizerState;
  loadState(state: OptimizerState): void;
}

export interface OptimizerOptions {
  learningRate?: number;
  /** momentum: μ (default 0.9) */
  momentum?: number;
  /** adam: β1, β2, ε (defaults 0.9, 0.999, 1e-8) */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Default learning rates: the textbook's SGD on MNIST uses η = 3 with MSE, but 0.01 is the safe general default. */
export const DEFAULT_LEARNING_RATE: Record<OptimizerId, number> = { sgd: 0.01, momentum: 0.01, adam: 0.001 };

abstract class Base implements Optimizer {
  abstract readonly id: OptimizerId;
  learningRate: number;
  t = 0;
  protected slots = new Map<string, FloatArray>();
  /** Slots allocated by `slot` itself (restored ones still have to be moved into the kernels' memory). */
  private readonly placed = new WeakSet<FloatArray>();

  constructor(learningRate: number) {
    this.learningRate = positive('learning rate', learningRate);
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
    return { learningRate: this.learningRate };
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
  }
}

/** Plain gradient descent: θ ← θ − η·∂C/∂θ. */
class Sgd extends Base {
  readonly id = 'sgd' as const;
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    for (const p of params) kernels.sgdUpdate(p.value, p.grad, this.learningRate);
  }
}

/** Gradient descent with momentum: v ← μ·v + ∂C/∂θ; θ ← θ − η·v. */
class Momentum extends Base {
  readonly id = 'momentum' as const;
  readonly mu: number;
  constructor(learningRate: number, mu: number) {
    super(learningRate);
    if (!(mu >= 0 && mu < 1)) throw new OptionError(`momentum must be in [0, 1), got ${mu}`);
    this.mu = mu;
  }
  override hyperParameters(): OptimizerOptions {
    return { learningRate: this.learningRate, momentum: this.mu };
  }
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    for (const p of params) kernels.momentumUpdate(p.value, p.grad, this.slot(p, 'v', kernels), this.learningRate, this.mu);
  }
}

/** Adam (Kingma & Ba): moving averages of g and g², bias-corrected. */
class Adam extends Base {
  readonly id = 'adam' as const;
  constructor(
    learningRate: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon: number,
  ) {
    super(learningRate);
    for (const [name, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new OptionError(`${name} must be in [0, 1), got ${b}`);
    }
    positive('epsilon', epsilon);
  }
  override hyperParameters(): OptimizerOptions {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  step(params: readonly Parameter[], kernels: Kernels): void {
    this.t++;
    for (const p of params) {
      kernels.adamUpdate(p.value, p.grad, this.slot(p, 'm', kernels), this.slot(p, 'v', kernels), this.learningRate, this.beta1, this.beta2, this.epsilon, this.t);
    }
  }
}

export function sgd(options: OptimizerOptions = {}): Optimizer {
  return new Sgd(options.learningRate ?? DEFAULT_LEARNING_RATE.sgd);
}

export function momentum(options: OptimizerOptions = {}): Optimizer {
  return new Momentum(options.learningRate ?? DEFAULT_LEARNING_RATE.momentum, options.momentum ?? 0.9);
}

export function adam(options: OptimizerOptions = {}): Optimizer {
  return new Adam(options.learningRate ?? DEFAULT_LEARNING_RATE.adam, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-8);
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
  }
}
