import type { Activation } from '../activations/index.js';
import type { FloatArray } from '../tensor/matrix.js';

/**
 * A batch X (inputs × n, one column per sample) given by its non-zero entries, column by column:
 * x[index[p], s] = value[p] for p in [start[s], start[s+1]), index increasing within a column;
 * every other entry is exactly 0. What a mostly-zero input (bag of words, one-hot tables) is
 * gathered into, so that the first layer's products skip the zeros.
 */
export interface SparseColumns {
  /** n + 1 offsets into index and value */
  readonly start: Int32Array;
  /** the row j of each non-zero x_js, increasing within a column */
  readonly index: Int32Array;
  /** the value x_js of each non-zero */
  readonly value: FloatArray;
}

/** What a forward pass needs of a dense layer (nn/dense.ts Dense): z = W·a_prev + b, a = σ(z). */
export interface ForwardLayer {
  /** σ */
  readonly act: Activation;
  /** units × inputs */
  readonly W: FloatArray;
  /** units */
  readonly b: FloatArray;
  /** units × n, written */
  readonly z: FloatArray;
  /** units × n, written */
  readonly a: FloatArray;
  /** this layer's neurons */
  readonly units: number;
  /** the units of the layer before (the input's features for the first) */
  readonly inputs: number;
}

/**
 * Every piece of matrix work a training step does goes through this interface, so that a faster
 * implementation (WebAssembly SIMD, threads) replaces it without touching layers or optimizers.
 * All matrices are row-major; activations are stored units × batch (one column per sample), as in
 * the math: Z = W·X + B.
 */
export interface Kernels {
  /** 'js' for the reference kernels, 'wasm' for the WebAssembly SIMD ones. */
  readonly name: string;

  /**
   * True when denseForward computes every term w_ij·x_j of z on arrays from alloc (none skipped for
   * a zero factor, as the reference kernels skip zero weights): a non-finite x_j then makes z_i
   * non-finite for every unit i (±∞·0 is NaN), so predict checks z(1) for bad inputs instead of
   * the inputs themselves, far more values.
   */
  readonly everyTerm?: boolean;

  /** Storage for `length` values that these kernels can work on (a WASM backend hands out views of its memory). */
  alloc(length: number): Float32Array;

  /** C(m×n) = alpha·op(A)·op(B) + beta·C, op(X) = Xᵀ when trans; op(A) is m×k, op(B) is k×n. beta = 0 ignores C's old contents. */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): void;

  /**
   * The forward product of a dense layer: z = W·X + b and a = σ(z) (W units×inputs, X inputs×n,
   * b units, z and a units×n). The reference is gemm(false, false, units, n, inputs, 1, W, X, 0, z),
   * addBias and activate; faster backends fuse the bias and σ into the product. With transX, X is
   * given as Xᵀ (n×inputs, one sample per row) and the product is W·(Xᵀ)ᵀ.
   */
  denseForward(act: Activation, W: FloatArray, X: FloatArray, b: FloatArray, z: FloatArray, a: FloatArray, units: number, n: number, inputs: number, transX?: boolean): void;

  /**
   * The backward product into the layer below: ∂C/∂a_prev = Wᵀ·δ and δ_prev = ∂C/∂a_prev ⊙ σ'(z_prev)
   * (W units×inputs, δ units×n; z_prev, a_prev, dAPrev and deltaPrev inputs×n; `act` is the layer
   * below's activation, elementwise). The reference is gemm(true, false, inputs, n, units, 1, W, δ,
   * 0, dAPrev) followed by activateBackward; faster backends apply σ' in the same pass.
   */
  denseBackward(act: Activation, W: FloatArray, delta: FloatArray, zPrev: FloatArray, aPrev: FloatArray, dAPrev: FloatArray, deltaPrev: FloatArray, units: number, n: number, inputs: number): void;

  /**
   * Optional: denseForward with X given by its non-zeros: z = W·X + b and a = σ(z), where z_is sums
   * W_ij·x_js over j ∈ nz(s) only (the terms with x_js = 0 are exactly 0 for finite W). The wasm
   * kernels keep the dense product's order, so their float32 z is the dense one's to the bit for
   * batches and inputs of more than 16 (and ∂C/∂W below for batches of 17 to 256); otherwise equal
   * within rounding.
   */
  sparseForward?(act: Activation, W: FloatArray, X: SparseColumns, b: FloatArray, z: FloatArray, a: FloatArray, units: number, n: number, inputs: number): void;

  /**
   * Optional: a forward pass alone over n samples that are not in these kernels' memory yet: the
   * rows (n × inputs, one sample per row; its first `staged` already copied into `stage`) are
   * copied into `stage` (from alloc), and each layer in turn computes z and a from it exactly as
   * denseForward(layer.act, W, a_prev, b, z, a, units, n, inputs, transX) would, a_prev = stage with
   * transX for the first. Threaded backends start on the samples copied first while the calling
   * thread (the only one that can read `rows`) copies in the rest.
   */
  forwardRows?(layers: readonly ForwardLayer[], rows: FloatArray, n: number, stage: FloatArray, staged: number): void;

  /** Optional: dW(units×inputs) = alpha·δ·Xᵀ with X given by its non-zeros: dW_ij = alpha·Σ_s δ_is·x_js over the s with x_js ≠ 0. */
  sparseWeightGradient?(delta: FloatArray, X: SparseColumns, dW: FloatArray, units: number, n: number, inputs: number, alpha: number): void;

  /**
   * Optional: the rows of x (n × cols, one sample per row, as gatherRows lays a batch out) by their
   * non-zeros, written to `out` as the n columns of a SparseColumns: returns how many there are, or
   * −1 as soon as there are more than `limit` (out is then not usable). +0 and −0 are zero; NaN is
   * not (so a finiteness check of out's values still sees it). The density test and the gather of a
   * sparse batch in one pass. `out` holds n + 1 offsets and min(limit, n·cols) entries.
   */
  nonZeros?(x: FloatArray, n: number, cols: number, limit: number, out: SparseColumns): number;

  /** Z(units×n) += b, broadcast over the n columns: the "+ B" of Z = W·X + B. */
  addBias(z: FloatArray, b: FloatArray, units: number, n: number): void;

  /** out_i = alpha·Σ_j x_ij over the n columns: ∂C/∂b = (1/N) Σ_k δ_k with alpha = 1/N. */
  sumColumns(out: FloatArray, x: FloatArray, units: number, n: number, alpha: number): void;

  /** a = σ(z) over a units×n block (softmax: per column). */
  activate(act: Activation, z: FloatArray, a: FloatArray, units: number, n: number): void;

  /** δ = ∂C/∂a ⊙ σ'(z) (softmax: δ = J_softmax·∂C/∂a per column), given z and a = σ(z). */
  activateBackward(
    act: Activation,
    z: FloatArray,
    a: FloatArray,
    dA: FloatArray,
    delta: FloatArray,
    units: number,
    n: number,
  ): void;

  /** σ'(z) itself, for the explain view (elementwise activations only). */
  activationDerivative(act: Activation, z: FloatArray, a: FloatArray, out: FloatArray, count: number): void;

  /**
   * dst (cols × n) = rows order[start..start+n) of src (samples × cols), one column per sample: a
   * batch gathered into the layout of X in Z = W·X + B.
   */
  gatherColumns(src: FloatArray, cols: number, order: ArrayLike<number>, start: number, n: number, dst: FloatArray): void;

  /**
   * dst (n × cols) = rows order[start..start+n) of src (samples × cols): a batch gathered one
   * sample per row, as the samples are stored.
   */
  gatherRows(src: FloatArray, cols: number, order: ArrayLike<number>, start: number, n: number, dst: FloatArray): void;

  /**
   * Optional: whether x is storage in these kernels' own memory (an array from `alloc`); callers
   * that copy a data set in (staging) or gather batches ask it before relying on the fast path.
   */
  owns?(x: FloatArray): boolean;

  /** Optional: true when the memory is shared with worker threads (staged data is then gathered by every thread). */
  readonly shared?: boolean;

  /** Optional: dst (cols × rows) = srcᵀ, src rows × cols (a batch of samples, one per row, into one column per sample). */
  transpose?(src: FloatArray, rows: number, cols: number, dst: FloatArray): void;

  /**
   * max_i |x_i|, NaN when an entry is NaN and Infinity when one is ±Infinity: the guard that keeps a
   * diverging step from touching the weights, and the bound of how far an update can move them.
   */
  maxAbs(x: FloatArray): number;

  /** Σ x_i², summed in float64 in an order that does not depend on threads (clipping by the global norm). */
  sumSquares(x: FloatArray): number;

  /** x ← s·x */
  scale(x: FloatArray, s: number): void;

  /** x ← min(max(x, −c), c) */
  clamp(x: FloatArray, c: number): void;

  /** out = x ⊙ y over the first `count` values */
  multiply(out: FloatArray, x: FloatArray, y: FloatArray, count: number): void;

  /**
   * Inverted dropout's mask over the first `count` values: 1/(1 − rate) where entry i is kept, else
   * 0; entry i is kept when dropoutHash(key, i) ≥ dropoutThreshold(rate) (js.ts), which depends on
   * key and i alone (not on threads or order), so runs are reproducible bit for bit.
   */
  dropoutMask(mask: FloatArray, count: number, rate: number, key: number): void;

  /** The penalty l1·Σ|W| + l2·ΣW² (returned) and its gradient added to ∂C/∂W: dW += l1·sign(W) + 2·l2·W. */
  penalty(W: FloatArray, dW: FloatArray, l1: number, l2: number): number;

  /** θ ← θ − η·g */
  sgdUpdate(theta: FloatArray, g: FloatArray, lr: number): void;

  /** v ← μ·v + g; θ ← θ − η·v, or with `nesterov` θ ← θ − η·(g + μ·v) (PyTorch's forms of momentum). */
  momentumUpdate(theta: FloatArray, g: FloatArray, v: FloatArray, lr: number, mu: number, nesterov: boolean): void;

  /** RMSprop: v ← ρ·v + (1−ρ)·g²; θ ← θ − η·g/(√v + ε). */
  rmspropUpdate(theta: FloatArray, g: FloatArray, v: FloatArray, lr: number, rho: number, eps: number): void;

  /** Adam step t ≥ 1: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − η·m̂/(√v̂ + ε). */
  adamUpdate(
    theta: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    t: number,
  ): void;
}
