import { activation, type Activation, type ActivationId, type CustomActivation } from '../activations/index.js';
import { OptionError } from '../errors.js';
import type { Kernels, SparseColumns } from '../kernels/types.js';
import type { DType, FloatArray } from '../tensor/matrix.js';
import { allocate } from '../tensor/matrix.js';
import type { InitId } from './init.js';

/** How a dense layer is described by users and in model files. */
export interface DenseSpec {
  /** n_l, the number of neurons: the rows of W(l) and the length of b(l). */
  units: number;
  /** A built-in activation (default 'sigmoid'), or your own {name, f, df}. */
  activation?: ActivationId | CustomActivation;
  /** leaky-relu's slope for z ≤ 0 (default 0.01); elu's α (default 1) */
  alpha?: number;
  /** This layer's weight initialisation (default: the network's `init`, else 'auto'). */
  init?: InitId;
  /** Only needed on the first layer of `sequential([...])`. */
  inputs?: number;
  /** Dropout rate p of this hidden layer's outputs while training (inverted dropout; default 0). */
  dropout?: number;
  /** L1 penalty l1·Σ|W| of this layer's weights (default: the network's `l1`, else 0). */
  l1?: number;
  /** L2 penalty l2·ΣW² of this layer's weights (default: the network's `l2`, else 0). */
  l2?: number;
}

/**
 * A dense layer spec, for `sequential([dense({...}), ...])` (Keras style; `network` takes the same
 * objects in its list).
 *
 * @example
 * ```ts
 * import { dense, sequential } from 'backprop';
 *
 * const net = sequential([dense({ inputs: 2, units: 4, activation: 'tanh' }), dense({ units: 1, activation: 'sigmoid' })], { seed: 1 });
 * console.log(net.layers.map((l) => `${l.inputs}→${l.units}`).join(' '));   // 2→4 4→1
 * ```
 */
export function dense(spec: DenseSpec): DenseSpec {
  return { ...spec };
}

/**
 * One dense layer l: z(l) = W(l)·a(l-1) + b(l), a(l) = σ(z(l)), and its backward pass.
 * W is units × inputs (row-major, PyTorch's and ONNX Gemm(transB)'s layout); batch quantities are
 * units × n, one column per sample. Buffers are sized for a batch capacity and reused.
 *
 * A network's layers are `net.layers`; build networks with {@link network} or {@link sequential}
 * rather than with this class.
 *
 * @example
 * ```ts
 * import { network } from 'backprop';
 *
 * const [hidden] = network([3, { units: 2, activation: 'relu' }, 1], { seed: 1 }).layers;
 * console.log(hidden.units, hidden.inputs, hidden.act.id, hidden.W.length);   // 2 3 relu 6
 * ```
 */
export class Dense {
  /** n_(l−1), the length of a(l−1): the columns of W(l). */
  readonly inputs: number;
  /** n_l, the number of neurons: the rows of W(l). */
  readonly units: number;
  /** σ of this layer. */
  readonly act: Activation;
  /** W(l), units × inputs */
  readonly W: FloatArray;
  /** b(l), units */
  readonly b: FloatArray;
  /** ∂C/∂W(l), averaged over the batch */
  readonly dW: FloatArray;
  /** ∂C/∂b(l), averaged over the batch */
  readonly db: FloatArray;
  /** Dropout rate p of a(l) while training (0: none). */
  readonly dropout: number;
  /** Penalty coefficients of W(l): C += l1·Σ|W| + l2·ΣW². */
  readonly l1: number;
  /** The L2 coefficient of that penalty. */
  readonly l2: number;

  /** z(l) for the current batch, units × n */
  z!: FloatArray;
  /** a(l) = σ(z(l)) for the current batch, units × n */
  a!: FloatArray;
  /** ∂C_k/∂a(l) for the current batch, units × n */
  dA!: FloatArray;
  /** δ(l) = ∂C_k/∂z(l) for the current batch, units × n */
  delta!: FloatArray;
  /** With dropout: the mask m (0 or 1/(1−p)), units × n */
  mask: FloatArray | null = null;
  /** With dropout: ã = a ⊙ m that the next layer reads, units × n */
  dropped: FloatArray | null = null;
  /** Whether the last forward pass applied the mask (training with dropout). */
  masked = false;
  private capacity = 0;

  constructor(
    inputs: number,
    units: number,
    act: Activation,
    private readonly dtype: DType,
    private readonly kernels: Kernels,
    regularization: { dropout?: number; l1?: number; l2?: number } = {},
  ) {
    this.inputs = inputs;
    this.units = units;
    this.act = act;
    this.dropout = rate('dropout', regularization.dropout ?? 0, true);
    this.l1 = rate('l1', regularization.l1 ?? 0, false);
    this.l2 = rate('l2', regularization.l2 ?? 0, false);
    this.W = this.alloc(units * inputs);
    this.b = this.alloc(units);
    this.dW = this.alloc(units * inputs);
    this.db = this.alloc(units);
    this.reserve(1);
  }

  /** This layer as a spec (activation resolved, regularisation as set): what a model file stores. */
  get spec(): DenseSpec {
    const s: DenseSpec = { units: this.units, activation: this.act.elementwise && this.act.custom ? { name: this.act.id, f: this.act.f, df: this.act.df } : (this.act.id as ActivationId) };
    if (this.act.id === 'leaky-relu' || this.act.id === 'elu') s.alpha = this.act.alpha;
    if (this.dropout) s.dropout = this.dropout;
    if (this.l1) s.l1 = this.l1;
    if (this.l2) s.l2 = this.l2;
    return s;
  }

  /** What the next layer reads: ã = a ⊙ m after a forward pass with dropout, else a. */
  get output(): FloatArray {
    return this.masked ? this.dropped! : this.a;
  }

  /** Makes the batch buffers hold at least n samples; allocates only when n grows past the capacity. */
  reserve(n: number): void {
    if (n <= this.capacity) return;
    this.z = this.alloc(this.units * n);
    this.a = this.alloc(this.units * n);
    this.dA = this.alloc(this.units * n);
    this.delta = this.alloc(this.units * n);
    if (this.dropout) {
      this.mask = this.alloc(this.units * n);
      this.dropped = this.alloc(this.units * n);
    }
    this.capacity = n;
  }

  /**
   * Forward: z = W·a_prev + b, a = σ(z), for n samples (a_prev is inputs × n, or n × inputs when
   * `transposed`, or the input X by its non-zeros).
   */
  forward(aPrev: FloatArray | SparseColumns, n: number, transposed = false): void {
    if (isSparse(aPrev)) this.kernels.sparseForward!(this.act, this.W, aPrev, this.b, this.z, this.a, this.units, n, this.inputs);
    else this.kernels.denseForward(this.act, this.W, aPrev, this.b, this.z, this.a, this.units, n, this.inputs, transposed);
    this.masked = false;
  }

  /** Inverted dropout on the last forward pass: m from `key`, ã = a ⊙ m (E[ã] = a, so prediction needs no rescaling). */
  drop(n: number, key: number): void {
    const count = this.units * n;
    this.kernels.dropoutMask(this.mask!, count, this.dropout, key);
    this.kernels.multiply(this.dropped!, this.a, this.mask!, count);
    this.masked = true;
  }

  /** δ = ∂C/∂a ⊙ σ'(z), from this.dA into this.delta (the output layer may fill δ directly instead). */
  deltaFromDA(n: number): void {
    this.kernels.activateBackward(this.act, this.z, this.a, this.dA, this.delta, this.units, n);
  }

  /**
   * Backward from δ: ∂C/∂W = (1/n)·δ·a_prevᵀ, ∂C/∂b = (1/n)·Σ_k δ_k, and, when there is a layer
   * below, its ∂C/∂a = Wᵀ·δ (per sample; each neuron of l-1 reaches C through every neuron of l)
   * and its δ = ∂C/∂a ⊙ σ'(z). With `transposed`, aPrev holds a_prevᵀ (n × inputs, one row per
   * sample); a sparse aPrev is the input X by its non-zeros (the first layer: no layer below). When the layer below dropped out, the layer below's ∂C/∂a is ∂C/∂ã ⊙ m. Adds the
   * penalty's gradient l1·sign(W) + 2·l2·W to ∂C/∂W and returns the penalty l1·Σ|W| + l2·ΣW².
   */
  backward(aPrev: FloatArray | SparseColumns, n: number, below: Dense | null, transposed = false): number {
    const k = this.kernels;
    // δ·a_prevᵀ, or δ·(a_prevᵀ) from a sample-major copy (n × inputs), or over a_prev's non-zeros: the same sums
    if (isSparse(aPrev)) k.sparseWeightGradient!(this.delta, aPrev, this.dW, this.units, n, this.inputs, 1 / n);
    else k.gemm(false, !transposed, this.units, this.inputs, n, 1 / n, this.delta, aPrev, 0, this.dW);
    k.sumColumns(this.db, this.delta, this.units, n, 1 / n);
    if (below?.masked) {
      k.gemm(true, false, this.inputs, n, this.units, 1, this.W, this.delta, 0, below.dA);
      k.multiply(below.dA, below.dA, below.mask!, this.inputs * n);
      below.deltaFromDA(n);
    } else if (below) {
      k.denseBackward(below.act, this.W, this.delta, below.z, below.a, below.dA, below.delta, this.units, n, this.inputs);
    }
    return this.l1 || this.l2 ? k.penalty(this.W, this.dW, this.l1, this.l2) : 0;
  }

  private alloc(length: number): FloatArray {
    return this.dtype === 'float64' ? allocate('float64', length) : this.kernels.alloc(length);
  }
}

export function denseFromSpec(spec: DenseSpec, inputs: number, dtype: DType, kernels: Kernels, defaults: { l1?: number; l2?: number } = {}): Dense {
  return new Dense(inputs, spec.units, activation(spec.activation ?? 'sigmoid', { alpha: spec.alpha }), dtype, kernels, {
    dropout: spec.dropout,
    l1: spec.l1 ?? defaults.l1,
    l2: spec.l2 ?? defaults.l2,
  });
}

/** Whether a layer's input is given by its non-zeros (SparseColumns) rather than as a dense array. */
export function isSparse(x: FloatArray | SparseColumns): x is SparseColumns {
  return (x as SparseColumns).index !== undefined;
}

/** A dropout rate in [0, 1) or a penalty coefficient ≥ 0, checked. */
function rate(what: string, v: unknown, belowOne: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (belowOne && v >= 1)) {
    throw new OptionError(`${what} must be a number ${belowOne ? 'in [0, 1)' : '≥ 0'}, got ${String(v)}`);
  }
  return v;
}
