import { activation, type Activation, type ActivationId } from '../activations/index.js';
import type { Kernels } from '../kernels/types.js';
import type { DType, FloatArray } from '../tensor/matrix.js';
import { allocate } from '../tensor/matrix.js';
import type { InitId } from './init.js';

/** How a dense layer is described by users and in model files. */
export interface DenseSpec {
  units: number;
  activation?: ActivationId;
  /** leaky-relu's slope for z ≤ 0 (default 0.01) */
  alpha?: number;
  init?: InitId;
  /** Only needed on the first layer of `sequential([...])`. */
  inputs?: number;
}

/** A dense layer spec, for `sequential([dense({...}), ...])`. */
export function dense(spec: DenseSpec): DenseSpec {
  return { ...spec };
}

/**
 * One dense layer l: z(l) = W(l)·a(l-1) + b(l), a(l) = σ(z(l)), and its backward pass.
 * W is units × inputs (row-major, PyTorch's and ONNX Gemm(transB)'s layout); batch quantities are
 * units × n, one column per sample. Buffers are sized for a batch capacity and reused.
 */
export class Dense {
  readonly inputs: number;
  readonly units: number;
  readonly act: Activation;
  /** W(l), units × inputs */
  readonly W: FloatArray;
  /** b(l), units */
  readonly b: FloatArray;
  /** ∂C/∂W(l), averaged over the batch */
  readonly dW: FloatArray;
  /** ∂C/∂b(l), averaged over the batch */
  readonly db: FloatArray;

  /** z(l), a(l), ∂C_k/∂a(l) and δ(l) = ∂C_k/∂z(l) for the current batch, units × n */
  z!: FloatArray;
  a!: FloatArray;
  dA!: FloatArray;
  delta!: FloatArray;
  private capacity = 0;

  constructor(
    inputs: number,
    units: number,
    act: Activation,
    private readonly dtype: DType,
    private readonly kernels: Kernels,
  ) {
    this.inputs = inputs;
    this.units = units;
    this.act = act;
    this.W = this.alloc(units * inputs);
    this.b = this.alloc(units);
    this.dW = this.alloc(units * inputs);
    this.db = this.alloc(units);
    this.reserve(1);
  }

  get spec(): DenseSpec {
    const s: DenseSpec = { units: this.units, activation: this.act.id };
    if (this.act.id === 'leaky-relu') s.alpha = this.act.alpha;
    return s;
  }

  /** Makes the batch buffers hold at least n samples; allocates only when n grows past the capacity. */
  reserve(n: number): void {
    if (n <= this.capacity) return;
    this.z = this.alloc(this.units * n);
    this.a = this.alloc(this.units * n);
    this.dA = this.alloc(this.units * n);
    this.delta = this.alloc(this.units * n);
    this.capacity = n;
  }

  /** Forward: z = W·a_prev + b, a = σ(z), for n samples (a_prev is inputs × n, or n × inputs when `transposed`). */
  forward(aPrev: FloatArray, n: number, transposed = false): void {
    this.kernels.denseForward(this.act, this.W, aPrev, this.b, this.z, this.a, this.units, n, this.inputs, transposed);
  }

  /** δ = ∂C/∂a ⊙ σ'(z), from this.dA into this.delta (the output layer may fill δ directly instead). */
  deltaFromDA(n: number): void {
    this.kernels.activateBackward(this.act, this.z, this.a, this.dA, this.delta, this.units, n);
  }

  /**
   * Backward from δ: ∂C/∂W = (1/n)·δ·a_prevᵀ, ∂C/∂b = (1/n)·Σ_k δ_k, and, when there is a layer
   * below, its ∂C/∂a = Wᵀ·δ (per sample; each neuron of l-1 reaches C through every neuron of l)
   * and its δ = ∂C/∂a ⊙ σ'(z). With `transposed`, aPrev holds a_prevᵀ (n × inputs, one row per
   * sample).
   */
  backward(aPrev: FloatArray, n: number, below: Dense | null, transposed = false): void {
    const k = this.kernels;
    // δ·a_prevᵀ, or δ·(a_prevᵀ) from a sample-major copy (n × inputs): the same sums
    k.gemm(false, !transposed, this.units, this.inputs, n, 1 / n, this.delta, aPrev, 0, this.dW);
    k.sumColumns(this.db, this.delta, this.units, n, 1 / n);
    if (below) k.denseBackward(below.act, this.W, this.delta, below.z, below.a, below.dA, below.delta, this.units, n, this.inputs);
  }

  private alloc(length: number): FloatArray {
    return this.dtype === 'float64' ? allocate('float64', length) : this.kernels.alloc(length);
  }
}

export function denseFromSpec(spec: DenseSpec, inputs: number, dtype: DType, kernels: Kernels): Dense {
  return new Dense(inputs, spec.units, activation(spec.activation ?? 'sigmoid', { alpha: spec.alpha }), dtype, kernels);
}
