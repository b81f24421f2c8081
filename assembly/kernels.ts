// The float32 kernels of backprop in WebAssembly with 128-bit SIMD (f32x4), compiled by `asc`
// (scripts/build-wasm.mjs). Every pointer is a byte offset into the one linear memory, which the
// JavaScript side owns and hands out (src/kernels/wasm/index.ts); this module allocates nothing.
//
// Layout conventions are those of src/kernels/types.ts: row-major matrices, activations are
// units × n with one column per sample.

import {
  JOB_CLAIMS, JOB_LAYOUT, JOB_OP, JOB_RANGES, JOB_SIZE,
  OP_GEMM, OP_DENSE_FORWARD, OP_DENSE_BACKWARD, OP_SPARSE_FORWARD, OP_SPARSE_WEIGHT_GRADIENT, OP_SUM_COLUMNS,
  OP_ADAM_UPDATE, OP_RMSPROP_UPDATE, OP_SGD_UPDATE, OP_MOMENTUM_UPDATE, OP_GATHER_ROWS, OP_GATHER_COLUMNS, OP_MAX_ABS, OP_FORWARD_ROWS, JOB_STAGED, LAYER_BYTES,
  Gemm, DenseForward, DenseBackward, SparseForward, SparseWeightGradient, SumColumns,
  AdamUpdate, RmspropUpdate, SgdUpdate, MomentumUpdate, GatherRows, GatherColumns, MaxAbs, ForwardRows, Layer,
} from './jobs';

// ---------------------------------------------------------------------------------------------
// GEMM: C(m×n) = alpha·op(A)·op(B) + beta·C, structured as in BLIS / XNNPACK:
//
//   for jc in n step NC            (B block: kc × nc, packed once per (jc, pc))
//     for pc in k step KC          (depth block: a packed A panel row stays in L1 for one tile)
//       pack op(B)[pc.., jc..] into NR-column micro-panels  (kc × NR each, row p contiguous)
//       for ic in m step MC        (A block: mc × kc, lives in L2)
//         pack op(A)[ic.., pc..] into MR-row micro-panels  (MR × kc each, column p contiguous)
//         for jr in nc step NR     (one B micro-panel stays in L1 ...)
//           for ir in mc step MR   (... while the A micro-panels stream past it)
//             4×8 micro-kernel: 8 f32x4 accumulators, kc rank-1 updates (madd)
//
// Packing turns every transpose form into the same micro-kernel, so NN (W·X), NT (δ·Xᵀ) and
// TN (Wᵀ·δ) run equally fast; only the packing routines differ (straight copies or 4×4
// register transposes). Edges are zero-padded in the packs; partial tiles go through a small
// scratch tile. The first depth block applies beta (beta = 0 never reads C); later depth blocks
// accumulate.
// ---------------------------------------------------------------------------------------------

/**
 * c + a·b, the step of every product's inner loop. Built twice from this one source
 * (scripts/build-wasm.mjs): with relaxed SIMD it is f32x4.relaxed_madd, one fused multiply-add
 * where the CPU has FMA (rounded once: results differ from the other build in the last bits, and
 * may differ between machines), mul then add where it has not; without, f32x4.mul then f32x4.add,
 * rounded twice, the same bits on every machine. Either way a given element is the same sequence
 * of operations whatever the thread count or block, so one machine's results never depend on them.
 */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** madd on one float (lane 0), for scalar loops that must give the vector products' bits (sparse X). */
// @ts-ignore: decorator
@inline
function madd1(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return c + a * b;
}

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 1024;

/** First free byte after the module's static data: the JS allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of scratch one gemm call (one thread) needs: packed A block, packed B block, one tile. */
export function workspaceBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/** Micro-panel tile geometry, for tests and benchmarks. */
export function tileRows(): i32 {
  return MR;
}
export function tileCols(): i32 {
  return NR;
}

// Activation ids, shared with src/kernels/wasm/index.ts.
const SIGMOID = 0;
const RELU = 1;
const TANH = 2;
const LEAKY = 3;
const LINEAR = 4;
const SOFTMAX = 5;
const ELU = 6;
const GELU = 7;
const SOFTPLUS = 8;
const SILU = 9;
const NONE = -1;

/**
 * C = alpha·op(A)·op(B) + beta·C restricted to rows [i0, i1) and columns [j0, j1) of C (a thread
 * computes one such block). A is m×k (k×m when transA), B is k×n (n×k when transB), C is m×n.
 * `ws` is a workspace of workspaceBytes() bytes, 16-byte aligned, private to the caller.
 */
export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize,
  ws: usize, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  gemmCore(transA, transB, m, n, k, alpha, a, b, beta, c, ws, i0, i1, j0, j1, EP_NONE, NONE, 0, 0, 0, 0, 0, 0);
}

/**
 * The forward product of a dense layer with its epilogue fused: z = W·X + b and a = σ(z), for
 * rows [i0, i1) and columns [j0, j1) (W: m×k, X: k×n, z and a: m×n). The bias and the
 * activation are applied to each block of C while it is still in cache. Softmax couples the rows
 * of a column, so it is applied by the caller after all rows are done (act = NONE here). With
 * transX, x holds Xᵀ (n×k, one sample per row: a small batch as gathered).
 */
export function denseForward(
  m: i32, n: i32, k: i32, w: usize, x: usize, transX: i32, bias: usize, act: i32, actAlpha: f32, z: usize, aOut: usize,
  ws: usize, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  gemmCore(0, transX, m, n, k, 1, w, x, 0, z, ws, i0, i1, j0, j1, EP_FORWARD, act, actAlpha, bias, aOut, 0, 0, 0);
}

/**
 * The backward product of a dense layer with δ of the layer below fused in: ∂C/∂a_prev = Wᵀ·δ
 * and δ_prev = ∂C/∂a_prev ⊙ σ'(z_prev), for rows [i0, i1) and columns [j0, j1) of the m×n result
 * (W: k×m, δ: k×n; z_prev, a_prev, dAPrev and deltaPrev: m×n; act elementwise).
 */
export function denseBackward(
  m: i32, n: i32, k: i32, w: usize, delta: usize, act: i32, actAlpha: f32, zPrev: usize, aPrev: usize, dAPrev: usize, deltaPrev: usize,
  ws: usize, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  gemmCore(1, 0, m, n, k, 1, w, delta, 0, dAPrev, ws, i0, i1, j0, j1, EP_BACKWARD, act, actAlpha, zPrev, aPrev, deltaPrev, 0, 0);
}

/**
 * A forward pass alone through `layers` dense layers on samples [j0, j1) of n: for each layer
 * (a record at desc, Layer's fields) z = W·a_prev + b and a = σ(z) on those columns of its z and a
 * (units × n), with a_prev = Xᵀ for the first (x: n × inputs, one sample per row) and the layer
 * before's a after it; softmax per column. Each column is the sum denseForward gives it, whatever
 * the range, so threads can run the whole net on their own samples with no barrier between layers.
 */
export function forwardRows(layers: i32, desc: usize, n: i32, x: usize, ws: usize, j0: i32, j1: i32): void {
  let input = x;
  for (let l = 0; l < layers; l++) {
    const d = desc + <usize>l * LAYER_BYTES;
    const m = Layer.units(d), act = Layer.act(d), z = Layer.z(d), a = Layer.a(d);
    gemmCore(
      0, l == 0 ? 1 : 0, m, n, Layer.inputs(d), 1, Layer.w(d), input, 0, z, ws, 0, m, j0, j1, EP_FORWARD,
      act == SOFTMAX ? NONE : act, Layer.actAlpha(d), Layer.bias(d), a, 0, 0, 0,
    );
    if (act == SOFTMAX) softmaxColumns(z, a, m, n, j0, j1);
    input = a;
  }
}

// What gemmCore does to each finished block of C (the parameters p1, p2, p3 of epilogue).
const EP_NONE = 0;
/** z = C + b (p1 = b, or 0 for none), a = σ(z) (p2 = a) */
const EP_FORWARD = 1;
/** δ = C ⊙ σ'(z) (p1 = z, p2 = a, p3 = δ) */
const EP_BACKWARD = 2;

/** The products above; `job` (a pool job's control block, or 0) and `self` (this thread's index in it) let threads share the last depth block. */
function gemmCore(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize,
  ws: usize, i0: i32, i1: i32, j0: i32, j1: i32, ep: i32, act: i32, actAlpha: f32, p1: usize, p2: usize, p3: usize,
  job: usize, self: i32,
): void {
  if (i0 >= i1 || j0 >= j1) return;
  const ldc = n;
  if (k <= 0 || alpha == 0) {
    scaleBlock(c, ldc, i0, i1, j0, j1, beta);
    if (ep != EP_NONE) epilogue(ep, c, ldc, i0, i1, j0, j1, act, actAlpha, p1, p2, p3);
    return;
  }
  // A small batch (n ≤ 12 columns, e.g. 10) in the forward form: no packing, one pass over A.
  // (Chosen by the whole product's n, so that every block of a split product takes the same path.)
  if (!transA && !transB && n > 4 && n <= SMALL_N && b + <usize>(k * n + 4) * 4 <= (<usize>memory.size() << 16)) {
    smallNN(n, k, alpha, a, b, beta, c, i0, i1, j0, j1);
    if (ep != EP_NONE) epilogue(ep, c, ldc, i0, i1, j0, j1, act, actAlpha, p1, p2, p3);
    return;
  }
  // A small batch in the transposed form (z = W·(Xᵀ)ᵀ with Xᵀ sample-major, n ≤ 16): dot products
  // along k, vectorised over k, so neither operand is packed or transposed.
  if (!transA && transB && n <= SMALL_NT) {
    smallNT(n, k, alpha, a, b, beta, c, i0, i1, j0, j1);
    if (ep != EP_NONE) epilogue(ep, c, ldc, i0, i1, j0, j1, act, actAlpha, p1, p2, p3);
    return;
  }
  // A shallow product (k ≤ 16, e.g. ∂C/∂W = δ·Xᵀ over a small batch with Xᵀ stored sample-major):
  // packing would cost as much as the arithmetic, so A and B are read in place.
  if (!transA && !transB && k <= SMALL_K && n >= 8 && b + <usize>(k * n + 8) * 4 <= (<usize>memory.size() << 16)) {
    shallowNN(n, k, alpha, a, b, beta, c, i0, i1, j0, j1);
    if (ep != EP_NONE) epilogue(ep, c, ldc, i0, i1, j0, j1, act, actAlpha, p1, p2, p3);
    return;
  }
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const packA = ws;
  const packB = ws + <usize>(MC * KC * 4);
  const tile = packB + <usize>(KC * NC * 4);

  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    // Depth blocks of equal size (a multiple of 4) rather than KC, KC, ..., remainder.
    const kblocks = (k + KC - 1) / KC;
    const kstep = min(KC, (((k + kblocks - 1) / kblocks) + 3) & ~3);
    for (let pc = 0; pc < k; pc += kstep) {
      const kc = min(kstep, k - pc);
      if (transB) packBT(b, ldb, pc, kc, jc, nc, packB);
      else packColumns(b, ldb, pc, kc, jc, nc, NR, packB);
      const first = pc == 0;
      const last = pc + kc >= k;
      const betaHere: f32 = first ? beta : 1;
      if (last && job != 0 && nc == j1 - j0) {
        // The last depth block row tile by row tile, shared with threads that finish early.
        lastBlockShared(job, self, transA, a, lda, pc, kc, i0, i1, j0, j1, packA, packB, c, ldc, alpha, betaHere, tile, ep, act, actAlpha, p1, p2, p3);
        continue;
      }
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        if (transA) packColumns(a, lda, pc, kc, ic, mc, MR, packA);
        else packAN(a, lda, ic, mc, pc, kc, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const pb = packB + <usize>(jr * kc * 4);
          for (let ir = 0; ir < mc; ir += MR) {
            const cp = c + (<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) * 4;
            microTile(kc, packA + <usize>(ir * kc * 4), pb, cp, ldc, min(MR, mc - ir), cols, alpha, betaHere, tile);
          }
        }
        if (last && ep != EP_NONE) epilogue(ep, c, ldc, ic, ic + mc, jc, jc + nc, act, actAlpha, p1, p2, p3);
      }
    }
  }
}

/** One MR × NR (or smaller, at the edges) tile of C from packed micro-panels. */
// @ts-ignore: decorator
@inline
function microTile(kc: i32, pa: usize, pb: usize, cp: usize, ldc: i32, rows: i32, cols: i32, alpha: f32, beta: f32, tile: usize): void {
  if (rows == MR && cols == NR) {
    micro4x8(kc, pa, pb, cp, ldc, alpha, beta);
  } else if (cols <= 4) {
    // a narrow last panel (n mod 8 ≤ 4, e.g. a batch of 10) needs half the work
    if (rows == MR && cols == 4) micro4x4(kc, pa, pb, cp, ldc, alpha, beta);
    else {
      micro4x4(kc, pa, pb, tile, NR, alpha, 0);
      edgeTile(tile, cp, ldc, rows, cols, beta);
    }
  } else {
    micro4x8(kc, pa, pb, tile, NR, alpha, 0);
    edgeTile(tile, cp, ldc, rows, cols, beta);
  }
}

// ---- sharing the last depth block between threads ----------------------------------------------
// Threads split a product's rows evenly, but one of them is often a few percent late (a core
// busier with the other's data, the VM's scheduling), and the others would wait for it at the
// barrier. So in the last depth block each thread claims its work in units of 16 rows × 128
// columns, one at a time, and a thread that has finished takes the unclaimed units of the others
// from their far end. Only the last block can be shared: by then a thread's rows hold the sums of
// all earlier blocks, so a unit finished by another thread gets the same sums in the same order
// (results do not depend on who computed them). Each thread's claim word packs
// (next unit from the front) << 16 | (end of the unclaimed units); the pool sets it to -1 before
// a job (front = end = 0xffff: nothing to claim), and its owner publishes it on entering the block.

const MAX_UNITS: i32 = 0x7fff;
/** A unit of work: 4 row tiles, so that each packed B micro-panel is used 4 times from L1 ... */
const UNIT_ROWS: i32 = 4 * MR;
/** ... by 16 micro-panels, about 0.5 MFLOP (15 µs) at a depth of 128. */
const UNIT_COLS: i32 = 16 * NR;

function lastBlockShared(
  job: usize, self: i32, transA: i32, a: usize, lda: i32, pc: i32, kc: i32, i0: i32, i1: i32, j0: i32, j1: i32,
  packA: usize, packB: usize, c: usize, ldc: i32, alpha: f32, beta: f32, tile: usize,
  ep: i32, act: i32, actAlpha: f32, p1: usize, p2: usize, p3: usize,
): void {
  const claims = job + (JOB_CLAIMS << 2);
  const blocks = (j1 - j0 + UNIT_COLS - 1) / UNIT_COLS;
  const units = ((i1 - i0 + UNIT_ROWS - 1) / UNIT_ROWS) * blocks;
  const mine = claims + (<usize>self << 2);
  let packedRow = -1; // the unit rows whose A is in packA
  // (a build without atomics, or too many units for 16 bits: every unit stays with its owner)
  if (!ASC_FEATURE_THREADS || units > MAX_UNITS) {
    for (let u = 0; u < units; u++) {
      packedRow = unit(u, blocks, packedRow, transA, a, lda, pc, kc, i0, i1, j0, j1, packA, packB, c, ldc, alpha, beta, tile, ep, act, actAlpha, p1, p2, p3);
    }
    return;
  }
  atomic.store<i32>(mine, units);
  for (;;) {
    const u = claim(mine, false);
    if (u < 0) break;
    packedRow = unit(u, blocks, packedRow, transA, a, lda, pc, kc, i0, i1, j0, j1, packA, packB, c, ldc, alpha, beta, tile, ep, act, actAlpha, p1, p2, p3);
  }
  const size = load<i32>(job + (JOB_SIZE << 2));
  for (let d = 1; d < size; d++) {
    const v = (self + d) % size;
    const r = job + ((JOB_RANGES + <usize>(4 * v)) << 2);
    const vi0 = load<i32>(r), vi1 = load<i32>(r, 4);
    // a column split, or an empty block: nothing of theirs fits our packed B
    if (load<i32>(r, 8) != j0 || load<i32>(r, 12) != j1 || vi0 >= vi1) continue;
    const theirs = claims + (<usize>v << 2);
    for (;;) {
      const u = claim(theirs, true);
      if (u < 0) break;
      packedRow = unit(u, blocks, packedRow, transA, a, lda, pc, kc, vi0, vi1, j0, j1, packA, packB, c, ldc, alpha, beta, tile, ep, act, actAlpha, p1, p2, p3);
    }
  }
}

/** Claims the next unit from the front of a claim word, or (fromBack) the last one; -1 when none is left. */
function claim(w: usize, fromBack: bool): i32 {
  let v: i32, front: i32, back: i32;
  do {
    v = atomic.load<i32>(w);
    front = v >>> 16;
    back = v & 0xffff;
    if (front >= back) return -1;
  } while (atomic.cmpxchg<i32>(w, v, fromBack ? v - 1 : v + 0x10000) != v);
  return fromBack ? back - 1 : front;
}

/**
 * Unit u (row group u / blocks, column block u % blocks) of the rows [i0, i1) in the last depth
 * block, then its epilogue. A is packed for the unit's rows unless they are already in packA
 * (packedRow); returns the rows now packed.
 */
function unit(
  u: i32, blocks: i32, packedRow: i32, transA: i32, a: usize, lda: i32, pc: i32, kc: i32, i0: i32, i1: i32, j0: i32, j1: i32,
  packA: usize, packB: usize, c: usize, ldc: i32, alpha: f32, beta: f32, tile: usize,
  ep: i32, act: i32, actAlpha: f32, p1: usize, p2: usize, p3: usize,
): i32 {
  const row = i0 + (u / blocks) * UNIT_ROWS;
  const rows = min(UNIT_ROWS, i1 - row);
  if (row != packedRow) {
    if (transA) packColumns(a, lda, pc, kc, row, rows, MR, packA);
    else packAN(a, lda, row, rows, pc, kc, packA);
  }
  const ju = (u % blocks) * UNIT_COLS;
  const ju1 = min(ju + UNIT_COLS, j1 - j0);
  for (let jr = ju; jr < ju1; jr += NR) {
    const cols = min(NR, ju1 - jr);
    const pb = packB + <usize>(jr * kc * 4);
    for (let ir = 0; ir < rows; ir += MR) {
      const cp = c + (<usize>(row + ir) * <usize>ldc + <usize>(j0 + jr)) * 4;
      microTile(kc, packA + <usize>(ir * kc * 4), pb, cp, ldc, min(MR, rows - ir), cols, alpha, beta, tile);
    }
  }
  if (ep != EP_NONE) epilogue(ep, c, ldc, row, row + rows, j0 + ju, j0 + ju1, act, actAlpha, p1, p2, p3);
  return row;
}

const SMALL_N: i32 = 12;
/**
 * Rows of smallNN's tile. With FMA a 3×12 tile (9 accumulators, B's 3 vectors, A's 3 broadcasts)
 * fits the 15 vector registers V8 allocates on x64; 4×12 spills (49 against 37 GFLOP/s on
 * 30×10×784). Multiply-then-add needs a temporary more, and there 4×12 is the faster (39 against 35).
 */
const SMALL_ROWS: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4;

/**
 * C = alpha·A·B + beta·C for a B of at most 12 columns (a small batch: z = W·X), rows [i0, i1),
 * columns [j0, j1): A is read in place (row-major, SMALL_ROWS rows at a time), B's rows are read
 * in place as three f32x4 (the lanes past column n read the next row, or up to 16 bytes past B,
 * which the caller checked is inside the memory; those lanes are never stored). SMALL_ROWS×12 tile
 * in registers, the whole depth at once, so every element is the same sum in the same order
 * whatever the block.
 */
function smallNN(n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const rsB = <usize>n << 2;
  const rsA = <usize>k << 2;
  const rsC = <usize>n << 2;
  for (let jc = j0; jc < j1; jc += SMALL_N) {
    const cols = min(SMALL_N, j1 - jc);
    const bj = b + (<usize>jc << 2);
    let i = i0;
    for (; i + SMALL_ROWS <= i1; i += SMALL_ROWS) {
      const a0 = a + <usize>i * rsA;
      const a1 = a0 + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0), c32 = f32x4.splat(0);
      let pb = bj;
      for (let o: usize = 0, end = <usize>k << 2; o < end; o += 4) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32);
        let x = v128.load32_splat(a0 + o);
        c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02);
        x = v128.load32_splat(a1 + o);
        c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12);
        x = v128.load32_splat(a2 + o);
        c20 = madd(x, b0, c20); c21 = madd(x, b1, c21); c22 = madd(x, b2, c22);
        if (SMALL_ROWS == 4) {
          x = v128.load32_splat(a3 + o);
          c30 = madd(x, b0, c30); c31 = madd(x, b1, c31); c32 = madd(x, b2, c32);
        }
        pb += rsB;
      }
      let cp = c + (<usize>i * <usize>n + <usize>jc) * 4;
      storeRow12(cp, c00, c01, c02, cols, alpha, beta);
      cp += rsC;
      storeRow12(cp, c10, c11, c12, cols, alpha, beta);
      cp += rsC;
      storeRow12(cp, c20, c21, c22, cols, alpha, beta);
      if (SMALL_ROWS == 4) storeRow12(cp + rsC, c30, c31, c32, cols, alpha, beta);
    }
    for (; i < i1; i++) {
      const a0 = a + <usize>i * rsA;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
      let pb = bj;
      for (let o: usize = 0, end = <usize>k << 2; o < end; o += 4) {
        const x = v128.load32_splat(a0 + o);
        c00 = madd(x, v128.load(pb), c00);
        c01 = madd(x, v128.load(pb, 16), c01);
        c02 = madd(x, v128.load(pb, 32), c02);
        pb += rsB;
      }
      storeRow12(c + (<usize>i * <usize>n + <usize>jc) * 4, c00, c01, c02, cols, alpha, beta);
    }
  }
}

const SMALL_NT: i32 = 16;

/**
 * C = alpha·A·Bᵀ + beta·C for a B of at most 16 rows (n ≤ 16: Xᵀ of a small batch), rows [i0, i1),
 * columns [j0, j1): A (m×k) and B (n×k) are read in place, row by row. Each element is a dot
 * product of two rows, accumulated four depths at a time in the lanes of one f32x4 (2×4 tiles: 8
 * accumulators), its lanes summed as (l0 + l2) + (l1 + l3) and then the k mod 4 last depths in
 * order, so every element is the same sum whatever tile or block it falls in.
 */
function smallNT(n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const rs = <usize>k << 2;
  const k4 = <usize>(k & ~3) << 2;
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const a0 = a + <usize>i * rs;
    const a1 = a0 + rs;
    const c0 = c + (<usize>i * <usize>n) * 4;
    const c1 = c0 + (<usize>n << 2);
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const b0 = b + <usize>j * rs;
      const b1 = b0 + rs, b2 = b1 + rs, b3 = b2 + rs;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      for (let o: usize = 0; o < k4; o += 16) {
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        let y = v128.load(b0 + o);
        s00 = madd(x0, y, s00); s10 = madd(x1, y, s10);
        y = v128.load(b1 + o);
        s01 = madd(x0, y, s01); s11 = madd(x1, y, s11);
        y = v128.load(b2 + o);
        s02 = madd(x0, y, s02); s12 = madd(x1, y, s12);
        y = v128.load(b3 + o);
        s03 = madd(x0, y, s03); s13 = madd(x1, y, s13);
      }
      const cj = <usize>j << 2;
      storeVec(c0 + cj, dotTail4(laneSums4(s00, s01, s02, s03), a0, b0, rs, k), 4, alpha, beta);
      storeVec(c1 + cj, dotTail4(laneSums4(s10, s11, s12, s13), a1, b0, rs, k), 4, alpha, beta);
    }
    for (; j < j1; j++) {
      const b0 = b + <usize>j * rs;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      for (let o: usize = 0; o < k4; o += 16) {
        const y = v128.load(b0 + o);
        s0 = madd(v128.load(a0 + o), y, s0);
        s1 = madd(v128.load(a1 + o), y, s1);
      }
      const cj = <usize>j << 2;
      storeScalar(c0 + cj, dotTail(laneSum(s0), a0, b0, k), alpha, beta);
      storeScalar(c1 + cj, dotTail(laneSum(s1), a1, b0, k), alpha, beta);
    }
  }
  for (; i < i1; i++) {
    const a0 = a + <usize>i * rs;
    const c0 = c + (<usize>i * <usize>n) * 4;
    for (let j = j0; j < j1; j++) {
      const b0 = b + <usize>j * rs;
      let s0 = f32x4.splat(0);
      for (let o: usize = 0; o < k4; o += 16) s0 = madd(v128.load(a0 + o), v128.load(b0 + o), s0);
      storeScalar(c0 + (<usize>j << 2), dotTail(laneSum(s0), a0, b0, k), alpha, beta);
    }
  }
}

/** (l0 + l2) + (l1 + l3) of one accumulator. */
// @ts-ignore: decorator
@inline
function laneSum(s: v128): f32 {
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 2)) + (f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 3));
}

/** [laneSum(s0), laneSum(s1), laneSum(s2), laneSum(s3)] by two rounds of shuffles and adds. */
// @ts-ignore: decorator
@inline
function laneSums4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  // s01 = [s0.l0 + s0.l2, s1.l0 + s1.l2, s0.l1 + s0.l3, s1.l1 + s1.l3], s23 likewise
  const s01 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

/** s + the products of depths k4..k-1 (k mod 4 of them), in order. */
// @ts-ignore: decorator
@inline
function dotTail(s: f32, a0: usize, b0: usize, k: i32): f32 {
  for (let p = k & ~3; p < k; p++) s += load<f32>(a0 + (<usize>p << 2)) * load<f32>(b0 + (<usize>p << 2));
  return s;
}

/** dotTail for four B rows (rs bytes apart) at once, lane q for row q. */
// @ts-ignore: decorator
@inline
function dotTail4(s: v128, a0: usize, b0: usize, rs: usize, k: i32): v128 {
  if ((k & 3) == 0) return s;
  return f32x4.replace_lane(
    f32x4.replace_lane(
      f32x4.replace_lane(f32x4.replace_lane(s, 0, dotTail(f32x4.extract_lane(s, 0), a0, b0, k)), 1, dotTail(f32x4.extract_lane(s, 1), a0, b0 + rs, k)),
      2, dotTail(f32x4.extract_lane(s, 2), a0, b0 + 2 * rs, k)),
    3, dotTail(f32x4.extract_lane(s, 3), a0, b0 + 3 * rs, k));
}

/** *p = alpha·v + beta·*p (beta = 0: *p is not read). */
// @ts-ignore: decorator
@inline
function storeScalar(p: usize, v: f32, alpha: f32, beta: f32): void {
  const r = alpha * v;
  store<f32>(p, beta == 0 ? r : r + beta * load<f32>(p));
}

const SMALL_K: i32 = 16;

/**
 * C = alpha·A·B + beta·C for a shallow depth k ≤ 16, rows [i0, i1), columns [j0, j1): A (m×k) and
 * B (k×n) are read in place; 4×8 tiles of C (the columns past n of a last partial tile read the
 * next row of B, or up to 32 bytes past its end, which the caller checked is inside the memory;
 * those lanes are never stored). Every element is the sum over p = 0..k-1 in order.
 */
function shallowNN(n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const rsB = <usize>n << 2;
  const rsA = <usize>k << 2;
  const end = <usize>k << 2;
  const va = f32x4.splat(alpha);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const a0 = a + <usize>i * rsA;
    const a1 = a0 + rsA, a2 = a1 + rsA, a3 = a2 + rsA;
    for (let j = j0; j < j1; j += 8) {
      const cols = min(8, j1 - j);
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      // one rank-1 update per iteration, as in micro4x8 (unrolled by hand, the loads spilled accumulators)
      for (let o: usize = 0; o < end; o += 4) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        let x = v128.load32_splat(a0 + o);
        c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
        x = v128.load32_splat(a1 + o);
        c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
        x = v128.load32_splat(a2 + o);
        c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
        x = v128.load32_splat(a3 + o);
        c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
        pb += rsB;
      }
      let cp = c + (<usize>i * <usize>n + <usize>j) * 4;
      if (cols == 8 && beta == 0) {
        v128.store(cp, f32x4.mul(c00, va)); v128.store(cp, f32x4.mul(c01, va), 16);
        cp += rsB;
        v128.store(cp, f32x4.mul(c10, va)); v128.store(cp, f32x4.mul(c11, va), 16);
        cp += rsB;
        v128.store(cp, f32x4.mul(c20, va)); v128.store(cp, f32x4.mul(c21, va), 16);
        cp += rsB;
        v128.store(cp, f32x4.mul(c30, va)); v128.store(cp, f32x4.mul(c31, va), 16);
        continue;
      }
      storeVec(cp, c00, cols, alpha, beta); storeVec(cp + 16, c01, cols - 4, alpha, beta);
      cp += rsB;
      storeVec(cp, c10, cols, alpha, beta); storeVec(cp + 16, c11, cols - 4, alpha, beta);
      cp += rsB;
      storeVec(cp, c20, cols, alpha, beta); storeVec(cp + 16, c21, cols - 4, alpha, beta);
      cp += rsB;
      storeVec(cp, c30, cols, alpha, beta); storeVec(cp + 16, c31, cols - 4, alpha, beta);
    }
  }
  for (; i < i1; i++) {
    const a0 = a + <usize>i * rsA;
    for (let j = j0; j < j1; j += 8) {
      const cols = min(8, j1 - j);
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let o: usize = 0; o < end; o += 4) {
        const x = v128.load32_splat(a0 + o);
        c00 = madd(x, v128.load(pb), c00);
        c01 = madd(x, v128.load(pb, 16), c01);
        pb += rsB;
      }
      const cp = c + (<usize>i * <usize>n + <usize>j) * 4;
      storeVec(cp, c00, cols, alpha, beta); storeVec(cp + 16, c01, cols - 4, alpha, beta);
    }
  }
}

// @ts-ignore: decorator
@inline
function storeRow12(p: usize, v0: v128, v1: v128, v2: v128, cols: i32, alpha: f32, beta: f32): void {
  storeVec(p, v0, cols, alpha, beta);
  storeVec(p + 16, v1, cols - 4, alpha, beta);
  storeVec(p + 32, v2, cols - 8, alpha, beta);
}

/** Stores alpha·v + beta·old into the first `count` (≤ 0: none, ≥ 4: all) floats at p (beta = 0: old is not read). */
// @ts-ignore: decorator
@inline
function storeVec(p: usize, v: v128, count: i32, alpha: f32, beta: f32): void {
  if (count <= 0) return;
  const r = f32x4.mul(v, f32x4.splat(alpha));
  if (count >= 4) {
    v128.store(p, beta == 0 ? r : f32x4.add(r, f32x4.mul(v128.load(p), f32x4.splat(beta))));
    return;
  }
  const t0 = f32x4.extract_lane(r, 0), t1 = f32x4.extract_lane(r, 1), t2 = f32x4.extract_lane(r, 2);
  store<f32>(p, beta == 0 ? t0 : t0 + beta * load<f32>(p));
  if (count > 1) store<f32>(p, beta == 0 ? t1 : t1 + beta * load<f32>(p, 4), 4);
  if (count > 2) store<f32>(p, beta == 0 ? t2 : t2 + beta * load<f32>(p, 8), 8);
}

/** C[i0..i1, j0..j1] *= beta (beta = 0 writes zeros, whatever C held, NaN included). */
function scaleBlock(c: usize, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32, beta: f32): void {
  if (beta == 1) return;
  for (let i = i0; i < i1; i++) {
    const row = c + <usize>i * <usize>ldc * 4;
    for (let j = j0; j < j1; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
  }
}

/** Copies the valid rows × cols of a scratch tile (already alpha·op(A)·op(B)) into C with beta. */
function edgeTile(tile: usize, c: usize, ldc: i32, rows: i32, cols: i32, beta: f32): void {
  for (let r = 0; r < rows; r++) {
    const src = tile + <usize>(r * NR * 4);
    const dst = c + <usize>r * <usize>ldc * 4;
    for (let j = 0; j < cols; j++) {
      const t = load<f32>(src + (<usize>j << 2));
      const p = dst + (<usize>j << 2);
      store<f32>(p, beta == 0 ? t : t + beta * load<f32>(p));
    }
  }
}

/**
 * The register-blocked micro-kernel: a 4×8 tile of C held in 8 f32x4 accumulators while kc
 * rank-1 updates stream through (one 8-wide row of packed B, four broadcast values of packed A).
 * Then C = alpha·acc + beta·C (beta = 0: C is not read).
 */
// @ts-ignore: decorator
@inline
function micro4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // One rank-1 update per iteration (V8 unrolls the loop itself): its 6 loads and the 8
  // accumulators fit the 15 vector registers V8 allocates on x64, where a hand-unrolled pair of
  // updates (12 loads, hoisted together by V8's scheduler) spilled accumulators to the stack.
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 4);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 8);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 12);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    pa += 16;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const s = <usize>ldc << 2;
  if (beta == 0) {
    v128.store(c, f32x4.mul(c00, va)); v128.store(c, f32x4.mul(c01, va), 16); c += s;
    v128.store(c, f32x4.mul(c10, va)); v128.store(c, f32x4.mul(c11, va), 16); c += s;
    v128.store(c, f32x4.mul(c20, va)); v128.store(c, f32x4.mul(c21, va), 16); c += s;
    v128.store(c, f32x4.mul(c30, va)); v128.store(c, f32x4.mul(c31, va), 16);
  } else {
    const vb = f32x4.splat(beta);
    v128.store(c, f32x4.add(f32x4.mul(c00, va), f32x4.mul(v128.load(c), vb)));
    v128.store(c, f32x4.add(f32x4.mul(c01, va), f32x4.mul(v128.load(c, 16), vb)), 16);
    c += s;
    v128.store(c, f32x4.add(f32x4.mul(c10, va), f32x4.mul(v128.load(c), vb)));
    v128.store(c, f32x4.add(f32x4.mul(c11, va), f32x4.mul(v128.load(c, 16), vb)), 16);
    c += s;
    v128.store(c, f32x4.add(f32x4.mul(c20, va), f32x4.mul(v128.load(c), vb)));
    v128.store(c, f32x4.add(f32x4.mul(c21, va), f32x4.mul(v128.load(c, 16), vb)), 16);
    c += s;
    v128.store(c, f32x4.add(f32x4.mul(c30, va), f32x4.mul(v128.load(c), vb)));
    v128.store(c, f32x4.add(f32x4.mul(c31, va), f32x4.mul(v128.load(c, 16), vb)), 16);
  }
}

/** The micro-kernel for a 4×4 tile: the first 4 columns of a packed B micro-panel. */
function micro4x4(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, alpha: f32, beta: f32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa, 4), b0, c1);
    c2 = madd(v128.load32_splat(pa, 8), b0, c2);
    c3 = madd(v128.load32_splat(pa, 12), b0, c3);
    pa += 16;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const s = <usize>ldc << 2;
  if (beta == 0) {
    v128.store(c, f32x4.mul(c0, va));
    v128.store(c + s, f32x4.mul(c1, va));
    v128.store(c + 2 * s, f32x4.mul(c2, va));
    v128.store(c + 3 * s, f32x4.mul(c3, va));
  } else {
    const vb = f32x4.splat(beta);
    v128.store(c, f32x4.add(f32x4.mul(c0, va), f32x4.mul(v128.load(c), vb)));
    v128.store(c + s, f32x4.add(f32x4.mul(c1, va), f32x4.mul(v128.load(c + s), vb)));
    v128.store(c + 2 * s, f32x4.add(f32x4.mul(c2, va), f32x4.mul(v128.load(c + 2 * s), vb)));
    v128.store(c + 3 * s, f32x4.add(f32x4.mul(c3, va), f32x4.mul(v128.load(c + 3 * s), vb)));
  }
}

// ---- packing --------------------------------------------------------------------------------

/** 4×4 transpose of rows r0..r3 (4 floats each); writes column q of the block to dst + q·stride. */
// @ts-ignore: decorator
@inline
function transpose4Store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = f32x4.shuffle(r2, r3, 0, 4, 1, 5); // r2[0] r3[0] r2[1] r3[1]
  const t2 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

/** Packs op(A) = A (m×k, row stride lda), rows [i0, i0+mc), depth [p0, p0+kc), into MR-row micro-panels. */
function packAN(a: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  const rs = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const src = a + (<usize>(i0 + ir) * <usize>lda + <usize>p0) * 4;
    if (rows == MR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        transpose4Store(v128.load(src + o), v128.load(src + rs + o), v128.load(src + 2 * rs + o), v128.load(src + 3 * rs + o), dst, 16);
        dst += 64;
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        store<f32>(dst, load<f32>(src + o));
        store<f32>(dst, load<f32>(src + rs + o), 4);
        store<f32>(dst, load<f32>(src + 2 * rs + o), 8);
        store<f32>(dst, load<f32>(src + 3 * rs + o), 12);
        dst += 16;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + <usize>r * rs + (<usize>p << 2)) : 0);
        }
        dst += 16;
      }
    }
  }
}

/**
 * Packs panels of `width` (4 or 8) neighbouring columns of a row-major matrix (row stride ld),
 * depth rows p0..p0+kc: each depth step of a panel becomes `width` contiguous floats, zero-padded
 * past `count`. This is op(A) = Aᵀ (A stored k×m, width MR) and op(B) = B (B stored k×n, width NR):
 * in both the panel's entries are already contiguous in memory.
 */
@inline
function packColumns(x: usize, ld: i32, p0: i32, kc: i32, c0: i32, count: i32, width: i32, dst: usize): void {
  const rs = <usize>ld << 2;
  const step = <usize>width << 2;
  for (let jr = 0; jr < count; jr += width) {
    const cols = min(width, count - jr);
    let src = x + (<usize>p0 * <usize>ld + <usize>(c0 + jr)) * 4;
    if (cols == width) {
      for (let p = 0; p < kc; p++) {
        for (let v: usize = 0; v < step; v += 16) v128.store(dst + v, v128.load(src + v));
        src += rs;
        dst += step;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < width; j++) store<f32>(dst + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
        src += rs;
        dst += step;
      }
    }
  }
}

/** Packs op(B) = Bᵀ with B stored n×k (row stride ldb = k): 8 rows of B become one micro-panel. */
function packBT(b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  const rs = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const src = b + (<usize>(j0 + jr) * <usize>ldb + <usize>p0) * 4;
    if (cols == NR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = src + (<usize>p << 2);
        transpose4Store(v128.load(o), v128.load(o + rs), v128.load(o + 2 * rs), v128.load(o + 3 * rs), dst, 32);
        const o4 = o + 4 * rs;
        transpose4Store(v128.load(o4), v128.load(o4 + rs), v128.load(o4 + 2 * rs), v128.load(o4 + 3 * rs), dst + 16, 32);
        dst += 128;
      }
      for (; p < kc; p++) {
        const o = src + (<usize>p << 2);
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), load<f32>(o + <usize>j * rs));
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const o = src + (<usize>p << 2);
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < cols ? load<f32>(o + <usize>j * rs) : 0);
        dst += 32;
      }
    }
  }
}

// ---- batch gather -----------------------------------------------------------------------------

/** Rows j0..j1-1 of a batch: dst row j = src row idx[j] (cols floats each; idx holds u32 row numbers). */
export function gatherRows(src: usize, cols: i32, idx: usize, dst: usize, j0: i32, j1: i32): void {
  const bytes = <usize>cols << 2;
  const lines = bytes & ~63;
  for (let o: usize = 0; o < lines; o += 64) {
    for (let j = j0; j < j1; j++) {
      const s = src + <usize>load<u32>(idx + (<usize>j << 2)) * bytes + o;
      const d = dst + <usize>j * bytes + o;
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
      v128.store(d, v128.load(s, 32), 32);
      v128.store(d, v128.load(s, 48), 48);
    }
  }
  if (lines < bytes) {
    for (let j = j0; j < j1; j++) memory.copy(dst + <usize>j * bytes + lines, src + <usize>load<u32>(idx + (<usize>j << 2)) * bytes + lines, bytes - lines);
  }
}

/**
 * Samples j0..j1-1 of a batch laid out one column per sample (dst is cols × n, the X of Z = W·X):
 * dst[f·n + j] = src[idx[j]·cols + f]. Groups of four samples have their rows read side by side and
 * turned into columns by 4×4 register transposes.
 */
export function gatherColumns(src: usize, cols: i32, idx: usize, dst: usize, n: i32, j0: i32, j1: i32): void {
  const rs = <usize>cols << 2;
  const rd = <usize>n << 2;
  const c4 = cols & ~3;
  let j = j0;
  // Samples 16 at a time (then 4), a 64-byte line of each of their rows in turn: 16 scattered
  // source rows are read at once (more cache misses in flight), and the 16 values of each feature
  // fill a whole line of dst while it is in cache.
  while (j + 4 <= j1) {
    const group: usize = j + 16 <= j1 ? 16 : 4;
    const d = dst + (<usize>j << 2);
    const ix = idx + (<usize>j << 2);
    for (let f = 0; f < c4; f += 16) {
      const fe = min(f + 16, c4);
      for (let g: usize = 0; g < group << 2; g += 16) {
        const s0 = src + <usize>load<u32>(ix + g) * rs;
        const s1 = src + <usize>load<u32>(ix + g, 4) * rs;
        const s2 = src + <usize>load<u32>(ix + g, 8) * rs;
        const s3 = src + <usize>load<u32>(ix + g, 12) * rs;
        for (let q = f; q < fe; q += 4) {
          const o = <usize>q << 2;
          transpose4Store(v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o), d + g + <usize>q * rd, rd);
        }
      }
    }
    for (let f = c4; f < cols; f++) {
      const o = <usize>f << 2;
      for (let r: usize = 0; r < group; r++) store<f32>(d + (r << 2) + <usize>f * rd, load<f32>(src + <usize>load<u32>(ix + (r << 2)) * rs + o));
    }
    j += <i32>group;
  }
  for (; j < j1; j++) {
    const s0 = src + <usize>load<u32>(idx + (<usize>j << 2)) * rs;
    let p = dst + (<usize>j << 2);
    for (let f = 0; f < cols; f++) {
      store<f32>(p, load<f32>(s0 + (<usize>f << 2)));
      p += rd;
    }
  }
}

// ---- transpose ------------------------------------------------------------------------------

/** dst (cols × rows) = srcᵀ with src rows × cols, row-major: 4×4 blocks in registers, scalar edges. */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  const rsS = <usize>cols << 2;
  const rsD = <usize>rows << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const s0 = src + <usize>r * rsS;
    const s1 = s0 + rsS, s2 = s1 + rsS, s3 = s2 + rsS;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      transpose4Store(v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o), dst + (<usize>c * <usize>rows + <usize>r) * 4, rsD);
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const d = dst + (<usize>c * <usize>rows + <usize>r) * 4;
      store<f32>(d, load<f32>(s0 + o));
      store<f32>(d, load<f32>(s1 + o), 4);
      store<f32>(d, load<f32>(s2 + o), 8);
      store<f32>(d, load<f32>(s3 + o), 12);
    }
  }
  for (; r < rows; r++) {
    const s0 = src + <usize>r * rsS;
    let d = dst + (<usize>r << 2);
    for (let c = 0; c < cols; c++) {
      store<f32>(d, load<f32>(s0 + (<usize>c << 2)));
      d += rsD;
    }
  }
}

// ---- fused epilogue: z += b (per row), a = σ(z) -----------------------------------------------

function epilogue(ep: i32, c: usize, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32, act: i32, alpha: f32, p1: usize, p2: usize, p3: usize): void {
  const w = j1 - j0;
  for (let i = i0; i < i1; i++) {
    const off = (<usize>i * <usize>ldc + <usize>j0) * 4;
    const cr = c + off;
    if (ep == EP_BACKWARD) {
      deltaRange(act, alpha, p1 + off, p2 + off, cr, p3 + off, w);
    } else {
      if (p1 != 0) addScalarRow(cr, load<f32>(p1 + (<usize>i << 2)), w);
      if (act != NONE && act != SOFTMAX) activateRange(act, alpha, cr, p2 + off, w);
    }
  }
}

function addScalarRow(z: usize, v: f32, count: i32): void {
  const vv = f32x4.splat(v);
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const p = z + (<usize>j << 2);
    v128.store(p, f32x4.add(v128.load(p), vv));
  }
  for (; j < count; j++) {
    const p = z + (<usize>j << 2);
    store<f32>(p, load<f32>(p) + v);
  }
}

// ---- bias and reductions ---------------------------------------------------------------------

/** Z(units×n) += b broadcast over the columns. */
export function addBias(z: usize, b: usize, units: i32, n: i32): void {
  for (let i = 0; i < units; i++) addScalarRow(z + <usize>i * <usize>n * 4, load<f32>(b + (<usize>i << 2)), n);
}

/** out_i = alpha·Σ_j x_ij, summed in float64 (as the JS kernels do) from f32x4 loads. */
export function sumColumns(out: usize, x: usize, units: i32, n: i32, alpha: f64): void {
  for (let i = 0; i < units; i++) {
    const row = x + <usize>i * <usize>n * 4;
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
    for (; j < n; j++) s += <f64>load<f32>(row + (<usize>j << 2));
    store<f32>(out + (<usize>i << 2), <f32>(alpha * s));
  }
}

// ---- vector math ------------------------------------------------------------------------------

// e^x for f32x4: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial to r^7 (error
// below 1e-8 relative), 2^n by building the exponent bits. Below -87.3 the result is 0 (the true
// value is subnormal), above 88.7 it is +Infinity. n comes from adding 1.5·2^23, which rounds
// x/ln2 to an integer and leaves it in the low bits (cheaper than nearest and a float-to-int
// conversion); pmin/pmax clamp in one instruction each and keep NaN.
// @ts-ignore: decorator
@inline
function vexp(x: v128): v128 {
  const shift = f32x4.splat(12582912.0); // 1.5·2^23
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.3762626647949)), f32x4.splat(-87.33654));
  const t = madd(xc, f32x4.splat(1.44269504088896341), shift);
  const nf = f32x4.sub(t, shift);
  // r = x − n·ln2 in two parts (Cody–Waite): n·0.693359375 is exact
  let r = madd(nf, f32x4.splat(-0.693359375), xc);
  r = madd(nf, f32x4.splat(2.12194440e-4), r);
  let p = madd(f32x4.splat(1.0 / 5040.0), r, f32x4.splat(1.0 / 720.0));
  p = madd(p, r, f32x4.splat(1.0 / 120.0));
  p = madd(p, r, f32x4.splat(1.0 / 24.0));
  p = madd(p, r, f32x4.splat(1.0 / 6.0));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1.0));
  p = madd(p, r, f32x4.splat(1.0));
  // t's low 9 bits hold n + (a multiple of 512): shifted into the exponent field, 2^n
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  const y = v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, f32x4.splat(-87.33654)));
  return v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(88.3762626647949)));
}

// σ(z) = 1/(1+e^-z) for z ≥ 0 and e^z/(1+e^z) for z < 0: e = e^-|z| never overflows.
// @ts-ignore: decorator
@inline
function vsigmoid(z: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(z)));
  const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(z, f32x4.splat(0)));
}

// tanh(z) ≈ z·P(z²)/Q(z²), a [13/6] rational minimax fit (Eigen's generic_fast_tanh_float) on z
// clamped to ±7.9053 (beyond it tanh is within 3e-7 of ±1; the fit stays within ±1 in both
// builds). Measured against Math.tanh over every float32 in [1e-30, 20] (odd: the negatives the
// same): relative error at most 2.9e-7 (FMA build) and 4.1e-7 (plain), 1.6e-7 before; 6× cheaper
// than the exp and polynomial it replaces (0.5 ns a value, AMD EPYC). Every product-sum is a
// madd, so both builds come from this one formula; pmin/pmax clamp in one instruction each and
// keep a NaN input NaN.
// @ts-ignore: decorator
@inline
function vtanh(z: v128): v128 {
  const x = f32x4.pmax(f32x4.pmin(z, f32x4.splat(7.90531110763549805)), f32x4.splat(-7.90531110763549805));
  const x2 = f32x4.mul(x, x);
  let p = madd(x2, f32x4.splat(-2.76076847742355e-16), f32x4.splat(2.00018790482477e-13));
  p = madd(x2, p, f32x4.splat(-8.60467152213735e-11));
  p = madd(x2, p, f32x4.splat(5.12229709037114e-8));
  p = madd(x2, p, f32x4.splat(1.48572235717979e-5));
  p = madd(x2, p, f32x4.splat(6.37261928875436e-4));
  p = madd(x2, p, f32x4.splat(4.89352455891786e-3));
  let q = madd(x2, f32x4.splat(1.19825839466702e-6), f32x4.splat(1.18534705686654e-4));
  q = madd(x2, q, f32x4.splat(2.26843463243900e-3));
  q = madd(x2, q, f32x4.splat(4.89352518554385e-3));
  return f32x4.div(f32x4.mul(x, p), q);
}

// log(1 + u) for u in [0, 1]: 2·atanh(s) with s = u/(2 + u) ≤ 1/3, by its odd series to s^17
// (error below 1e-9 relative): softplus needs no general logarithm.
// @ts-ignore: decorator
@inline
function vlog1p01(u: v128): v128 {
  const s = f32x4.div(u, f32x4.add(f32x4.splat(2), u));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(1.0 / 17.0);
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 15.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 13.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 11.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 9.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 7.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 5.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 3.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0));
  return f32x4.mul(f32x4.add(s, s), p);
}

// e^z − 1 without cancellation near 0: its Taylor polynomial to z^8 for |z| < 0.5 (error below
// 1e-8 relative), e^z − 1 elsewhere.
// @ts-ignore: decorator
@inline
function vexpm1(z: v128): v128 {
  let p = f32x4.splat(1.0 / 40320.0);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.0 / 5040.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.0));
  const small = f32x4.mul(p, z);
  return v128.bitselect(small, f32x4.sub(vexp(z), f32x4.splat(1)), f32x4.lt(f32x4.abs(z), f32x4.splat(0.5)));
}

// softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), finite for every z.
// @ts-ignore: decorator
@inline
function vsoftplus(z: v128): v128 {
  return f32x4.add(f32x4.max(z, f32x4.splat(0)), vlog1p01(vexp(f32x4.neg(f32x4.abs(z)))));
}

// Φ(z), the standard normal CDF: Φ(−|z|) = erfc(x)/2 with x = |z|/√2, and erfc(x) = t·e^{−x² + P(t)},
// t = 1/(1 + x/2) (Numerical Recipes' erfcc: relative error below 1.2e-7 for every x, so GELU's
// small values for z < 0 keep float32 precision too).
// @ts-ignore: decorator
@inline
function vphi(z: v128): v128 {
  const x = f32x4.mul(f32x4.abs(z), f32x4.splat(0.7071067811865476));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.5), x)));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  const half = f32x4.mul(f32x4.mul(f32x4.splat(0.5), t), vexp(f32x4.sub(p, f32x4.mul(x, x))));
  return v128.bitselect(f32x4.sub(f32x4.splat(1), half), half, f32x4.ge(z, f32x4.splat(0)));
}

// φ(z) = e^{-z²/2}/√(2π), the standard normal density
// @ts-ignore: decorator
@inline
function vpdf(z: v128): v128 {
  return f32x4.mul(f32x4.splat(0.3989422804014327), vexp(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(z, z))));
}

// @ts-ignore: decorator
@inline
function vact(act: i32, z: v128, alpha: f32): v128 {
  if (act == SIGMOID) return vsigmoid(z);
  if (act == RELU) return f32x4.max(z, f32x4.splat(0));
  if (act == TANH) return vtanh(z);
  if (act == LEAKY) return v128.bitselect(z, f32x4.mul(z, f32x4.splat(alpha)), f32x4.gt(z, f32x4.splat(0)));
  // ELU: z for z > 0, α(e^z − 1) otherwise
  if (act == ELU) return v128.bitselect(z, f32x4.mul(f32x4.splat(alpha), vexpm1(f32x4.min(z, f32x4.splat(0)))), f32x4.gt(z, f32x4.splat(0)));
  // GELU: z·Φ(z)
  if (act == GELU) return f32x4.mul(z, vphi(z));
  if (act == SOFTPLUS) return vsoftplus(z);
  // SiLU: z·σ(z)
  if (act == SILU) return f32x4.mul(z, vsigmoid(z));
  return z;
}

// σ'(z) given z and a = σ(z)
// @ts-ignore: decorator
@inline
function vdact(act: i32, z: v128, a: v128, alpha: f32): v128 {
  const one = f32x4.splat(1);
  if (act == SIGMOID) return f32x4.mul(a, f32x4.sub(one, a));
  if (act == RELU) return v128.and(f32x4.gt(z, f32x4.splat(0)), one);
  if (act == TANH) return f32x4.mul(f32x4.sub(one, a), f32x4.add(one, a)); // 1 − a², without cancellation near |a| = 1
  if (act == LEAKY) return v128.bitselect(one, f32x4.splat(alpha), f32x4.gt(z, f32x4.splat(0)));
  // ELU': 1 for z > 0, α·e^z otherwise (not a + α, which loses e^z where a ≈ −α)
  if (act == ELU) return v128.bitselect(one, f32x4.mul(f32x4.splat(alpha), vexp(f32x4.min(z, f32x4.splat(0)))), f32x4.gt(z, f32x4.splat(0)));
  // GELU': Φ(z) + z·φ(z)
  if (act == GELU) return f32x4.add(vphi(z), f32x4.mul(z, vpdf(z)));
  // softplus' = σ(z)
  if (act == SOFTPLUS) return vsigmoid(z);
  // SiLU': σ(z)·(1 + z·(1 − σ(z)))
  if (act == SILU) {
    const sg = vsigmoid(z);
    return f32x4.mul(sg, f32x4.add(one, f32x4.mul(z, f32x4.sub(one, sg))));
  }
  return one;
}

// ---- activations ------------------------------------------------------------------------------

function activateRange(act: i32, alpha: f32, z: usize, a: usize, count: i32): void {
  let i = 0;
  if (act == RELU) {
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(a + o, f32x4.max(v128.load(z + o), f32x4.splat(0)));
    }
  } else if (act == SIGMOID) {
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(a + o, vsigmoid(v128.load(z + o)));
    }
  } else if (act == TANH) {
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(a + o, vtanh(v128.load(z + o)));
    }
  } else {
    for (; i + 4 <= count; i += 4) {
      const o = <usize>i << 2;
      v128.store(a + o, vact(act, v128.load(z + o), alpha));
    }
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(a + o, f32x4.extract_lane(vact(act, f32x4.splat(load<f32>(z + o)), alpha), 0));
  }
}

/** a = σ(z) over units×n (softmax: per column). */
export function activate(act: i32, alpha: f32, z: usize, a: usize, units: i32, n: i32): void {
  if (act == SOFTMAX) softmaxColumns(z, a, units, n, 0, n);
  else activateRange(act, alpha, z, a, units * n);
}

/** a = softmax(z) per column (of units × n), columns [j0, j1), shifted by the column max; four columns at a time. */
function softmaxColumns(z: usize, a: usize, units: i32, n: i32, j0: i32, j1: i32): void {
  const rs = <usize>n << 2;
  let j = j0;
  for (; j + 4 <= j1; j += 4) softmax4(z + (<usize>j << 2), a + (<usize>j << 2), units, rs, 4);
  for (; j < j1; j++) softmax4(z + (<usize>j << 2), a + (<usize>j << 2), units, rs, 1);
}

// One group of `w` (4 or 1) adjacent columns; w = 1 uses lane 0 of the same vector code.
// @ts-ignore: decorator
@inline
function softmax4(z: usize, a: usize, units: i32, rs: usize, w: i32): void {
  let mx = f32x4.splat(-Infinity);
  for (let i = 0; i < units; i++) mx = f32x4.max(mx, ld(z + <usize>i * rs, w));
  let sum = f32x4.splat(0);
  for (let i = 0; i < units; i++) {
    const e = vexp(f32x4.sub(ld(z + <usize>i * rs, w), mx));
    sum = f32x4.add(sum, e);
    st(a + <usize>i * rs, e, w);
  }
  const inv = f32x4.div(f32x4.splat(1), sum);
  for (let i = 0; i < units; i++) {
    const p = a + <usize>i * rs;
    st(p, f32x4.mul(ld(p, w), inv), w);
  }
}

// @ts-ignore: decorator
@inline
function ld(p: usize, w: i32): v128 {
  return w == 4 ? v128.load(p) : f32x4.splat(load<f32>(p));
}

// @ts-ignore: decorator
@inline
function st(p: usize, v: v128, w: i32): void {
  if (w == 4) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

/** δ = ∂C/∂a ⊙ σ'(z); softmax: δ = a ⊙ (∂C/∂a − Σ_i a_i·∂C/∂a_i) per column. */
export function activateBackward(act: i32, alpha: f32, z: usize, a: usize, dA: usize, delta: usize, units: i32, n: i32): void {
  if (act == SOFTMAX) {
    const rs = <usize>n << 2;
    let j = 0;
    for (; j + 4 <= n; j += 4) softmaxBack4(a + (<usize>j << 2), dA + (<usize>j << 2), delta + (<usize>j << 2), units, rs, 4);
    for (; j < n; j++) softmaxBack4(a + (<usize>j << 2), dA + (<usize>j << 2), delta + (<usize>j << 2), units, rs, 1);
    return;
  }
  deltaRange(act, alpha, z, a, dA, delta, units * n);
}

/** δ = ∂C/∂a ⊙ σ'(z) over count consecutive values (σ elementwise). */
function deltaRange(act: i32, alpha: f32, z: usize, a: usize, dA: usize, delta: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(delta + o, f32x4.mul(v128.load(dA + o), vdact(act, v128.load(z + o), v128.load(a + o), alpha)));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const d = vdact(act, f32x4.splat(load<f32>(z + o)), f32x4.splat(load<f32>(a + o)), alpha);
    store<f32>(delta + o, load<f32>(dA + o) * f32x4.extract_lane(d, 0));
  }
}

// @ts-ignore: decorator
@inline
function softmaxBack4(a: usize, dA: usize, delta: usize, units: i32, rs: usize, w: i32): void {
  let dot = f32x4.splat(0);
  for (let i = 0; i < units; i++) {
    const o = <usize>i * rs;
    dot = f32x4.add(dot, f32x4.mul(ld(a + o, w), ld(dA + o, w)));
  }
  for (let i = 0; i < units; i++) {
    const o = <usize>i * rs;
    st(delta + o, f32x4.mul(ld(a + o, w), f32x4.sub(ld(dA + o, w), dot)), w);
  }
}

/** out = σ'(z) elementwise. */
export function activationDerivative(act: i32, alpha: f32, z: usize, a: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vdact(act, v128.load(z + o), v128.load(a + o), alpha));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(vdact(act, f32x4.splat(load<f32>(z + o)), f32x4.splat(load<f32>(a + o)), alpha), 0));
  }
}

/**
 * max_i |x_i|, NaN when any entry is NaN and +∞ when any is ±∞: the divergence guard's one pass,
 * which also bounds how far an update can move a weight. |x|'s bits (sign cleared) order as
 * integers exactly as the values do, with +∞ above every finite value and NaN above +∞, so one
 * integer max per lane does it (WebAssembly's NaN-propagating f32x4.max costs several instructions).
 */
export function maxAbs(x: usize, count: i32): f32 {
  const mask = i32x4.splat(0x7fffffff);
  // four independent accumulators: one max chain would wait on the max latency every 4 floats
  let acc = i32x4.splat(0), acc1 = i32x4.splat(0), acc2 = i32x4.splat(0), acc3 = i32x4.splat(0);
  let i = 0;
  for (; i + 16 <= count; i += 16) {
    const p = x + (<usize>i << 2);
    acc = i32x4.max_s(acc, v128.and(v128.load(p), mask));
    acc1 = i32x4.max_s(acc1, v128.and(v128.load(p, 16), mask));
    acc2 = i32x4.max_s(acc2, v128.and(v128.load(p, 32), mask));
    acc3 = i32x4.max_s(acc3, v128.and(v128.load(p, 48), mask));
  }
  acc = i32x4.max_s(i32x4.max_s(acc, acc1), i32x4.max_s(acc2, acc3));
  for (; i + 4 <= count; i += 4) acc = i32x4.max_s(acc, v128.and(v128.load(x + (<usize>i << 2)), mask));
  let m = max(max(i32x4.extract_lane(acc, 0), i32x4.extract_lane(acc, 1)), max(i32x4.extract_lane(acc, 2), i32x4.extract_lane(acc, 3)));
  for (; i < count; i++) m = max(m, load<i32>(x + (<usize>i << 2)) & 0x7fffffff);
  return reinterpret<f32>(m);
}

// ---- training toolkit: dropout, penalties, clipping ------------------------------------------

/** A 32-bit hash of (key, i) (lowbias32 of key + i·golden): mask bits that depend on the index alone, not on threads or order. */
// @ts-ignore: decorator
@inline
function hash4(key: v128, i: v128): v128 {
  let h = i32x4.add(key, i32x4.mul(i, i32x4.splat(0x9e3779b9)));
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x7feb352d));
  h = v128.xor(h, i32x4.shr_u(h, 15));
  h = i32x4.mul(h, i32x4.splat(0x846ca68b));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

/**
 * Inverted dropout's mask: mask_i = 1/(1 − rate) where hash(key, i) ≥ threshold (= rate·2^32),
 * else 0, so that E[mask_i] = 1 and predictions need no rescaling.
 */
export function dropoutMask(mask: usize, count: i32, threshold: u32, scale: f32, key: u32): void {
  const vk = i32x4.splat(key), vt = i32x4.splat(threshold), vs = f32x4.splat(scale);
  const bias = i32x4.splat(0x80000000);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const h = hash4(vk, i32x4(i, i + 1, i + 2, i + 3));
    // unsigned h ≥ t as a signed compare of both shifted by 2^31
    const keep = i32x4.ge_s(v128.xor(h, bias), v128.xor(vt, bias));
    v128.store(mask + (<usize>i << 2), v128.and(vs, keep));
  }
  for (; i < count; i++) {
    const h = <u32>i32x4.extract_lane(hash4(vk, i32x4.splat(i)), 0);
    store<f32>(mask + (<usize>i << 2), h >= threshold ? scale : 0);
  }
}

/** out = x ⊙ y */
export function multiply(out: usize, x: usize, y: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * load<f32>(y + o));
  }
}

/** x ← s·x */
export function scale(x: usize, s: f32, count: i32): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), vs));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}

/** x ← min(max(x, −c), c) */
export function clamp(x: usize, c: f32, count: i32): void {
  const hi = f32x4.splat(c), lo = f32x4.splat(-c);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.min(f32x4.max(v128.load(x + o), lo), hi));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, Mathf.min(Mathf.max(load<f32>(x + o), -c), c));
  }
}

/** Σ x_i² in float64, lane by lane in a fixed order (the same sum on any thread count). */
export function sumSquares(x: usize, count: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (; i < count; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/**
 * The L1/L2 penalty l1·Σ|W| + l2·ΣW² (returned, summed in float64) and its gradient added to ∂C/∂W:
 * dW += l1·sign(W) + 2·l2·W.
 */
export function penalty(w: usize, dW: usize, l1: f32, l2: f32, count: i32): f64 {
  const v1 = f32x4.splat(l1), v2 = f32x4.splat(l2 + l2), zero = f32x4.splat(0);
  let abs = f64x2.splat(0), sq = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    // sign(W): ±1 by W's sign bit, 0 for W = 0
    const sign = v128.and(v128.or(f32x4.splat(1), v128.and(wv, i32x4.splat(0x80000000))), v128.not(f32x4.eq(wv, zero)));
    v128.store(dW + o, f32x4.add(v128.load(dW + o), f32x4.add(f32x4.mul(v1, sign), f32x4.mul(v2, wv))));
    const a = f32x4.abs(wv);
    abs = f64x2.add(abs, f64x2.add(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(i32x4.shuffle(a, a, 2, 3, 0, 1))));
    const lo = f64x2.promote_low_f32x4(wv), hi = f64x2.promote_low_f32x4(i32x4.shuffle(wv, wv, 2, 3, 0, 1));
    sq = f64x2.add(sq, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
  }
  let sa = f64x2.extract_lane(abs, 0) + f64x2.extract_lane(abs, 1);
  let ss = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const sign: f32 = wi > 0 ? 1 : wi < 0 ? -1 : 0;
    store<f32>(dW + o, load<f32>(dW + o) + (l1 * sign + (l2 + l2) * wi));
    sa += Math.abs(<f64>wi);
    ss += <f64>wi * <f64>wi;
  }
  return <f64>l1 * sa + <f64>l2 * ss;
}

// ---- optimizers -------------------------------------------------------------------------------

/** θ ← θ − η·g */
export function sgdUpdate(theta: usize, g: usize, lr: f32, count: i32): void {
  const vl = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    v128.store(theta + o, f32x4.sub(v128.load(theta + o), f32x4.mul(vl, v128.load(g + o))));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(theta + o, load<f32>(theta + o) - lr * load<f32>(g + o));
  }
}

// Optimizer state that decays geometrically while a weight's gradient stays 0 (Adam's m and v,
// momentum's v; e.g. the weights of input pixels that are almost always 0) passes through the
// subnormal floats on its way to 0. x86 cores take a microcode assist, tens of times slower, for
// every subnormal operand, and WebAssembly has no flush-to-zero mode (native frameworks set the
// CPU's: TensorFlow does for its CPU threads), so the updates set values below the smallest
// normal float32 to 0 themselves. Their share of any step, below 1e-38, is far under θ's rounding.
const SMALLEST_NORMAL: f32 = 1.17549435e-38;

/** x with lanes of magnitude below SMALLEST_NORMAL set to 0 (NaN and ±∞ kept). */
// @ts-ignore: decorator
@inline
function flushSubnormal(x: v128): v128 {
  // subnormal (or zero): the exponent bits are all 0
  return v128.andnot(x, i32x4.eq(v128.and(x, i32x4.splat(0x7f800000)), i32x4.splat(0)));
}

// @ts-ignore: decorator
@inline
function flushSubnormal1(x: f32): f32 {
  return Mathf.abs(x) < SMALLEST_NORMAL ? 0 : x;
}

/** v ← μ·v + g; θ ← θ − η·v, or with Nesterov θ ← θ − η·(g + μ·v) (PyTorch's forms). */
export function momentumUpdate(theta: usize, g: usize, v: usize, lr: f32, mu: f32, nesterov: i32, count: i32): void {
  const vl = f32x4.splat(lr);
  const vm = f32x4.splat(mu);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const vi = flushSubnormal(f32x4.add(f32x4.mul(vm, v128.load(v + o)), gi));
    v128.store(v + o, vi);
    const d = nesterov ? f32x4.add(gi, f32x4.mul(vm, vi)) : vi;
    v128.store(theta + o, f32x4.sub(v128.load(theta + o), f32x4.mul(vl, d)));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const vi = flushSubnormal1(mu * load<f32>(v + o) + gi);
    store<f32>(v + o, vi);
    store<f32>(theta + o, load<f32>(theta + o) - lr * (nesterov ? gi + mu * vi : vi));
  }
}

/** RMSprop: v ← ρ·v + (1−ρ)·g²; θ ← θ − η·g/(√v + ε) (PyTorch's form, ε outside the root). */
export function rmspropUpdate(theta: usize, g: usize, v: usize, lr: f32, rho: f32, oneMinusRho: f32, eps: f32, count: i32): void {
  const vl = f32x4.splat(lr), vr = f32x4.splat(rho), vrc = f32x4.splat(oneMinusRho), ve = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const vi = flushSubnormal(f32x4.add(f32x4.mul(vr, v128.load(v + o)), f32x4.mul(vrc, f32x4.mul(gi, gi))));
    v128.store(v + o, vi);
    v128.store(theta + o, f32x4.sub(v128.load(theta + o), f32x4.div(f32x4.mul(vl, gi), f32x4.add(f32x4.sqrt(vi), ve))));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const vi = flushSubnormal1(rho * load<f32>(v + o) + oneMinusRho * gi * gi);
    store<f32>(v + o, vi);
    store<f32>(theta + o, load<f32>(theta + o) - (lr * gi) / (Mathf.sqrt(vi) + eps));
  }
}

/**
 * Adam: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − (η/c1)·m / (√(v/c2) + ε), where
 * c1 = 1 − β1^t, c2 = 1 − β2^t, 1 − β1 and 1 − β2 are computed by the caller in float64 (1 − β2
 * in float32 arithmetic would be off by 1e-5 relative for β2 = 0.999).
 */
export function adamUpdate(
  theta: usize, g: usize, m: usize, v: usize, lrc1: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, invc2: f32, count: i32,
): void {
  const b1 = f32x4.splat(beta1), b1c = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), b2c = f32x4.splat(oneMinusBeta2);
  const vl = f32x4.splat(lrc1), ve = f32x4.splat(eps), vc2 = f32x4.splat(invc2);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = flushSubnormal(f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(b1c, gi)));
    const vi = flushSubnormal(f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(b2c, f32x4.mul(gi, gi))));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const step = f32x4.div(f32x4.mul(vl, mi), f32x4.add(f32x4.sqrt(f32x4.mul(vi, vc2)), ve));
    v128.store(theta + o, f32x4.sub(v128.load(theta + o), step));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = flushSubnormal1(beta1 * load<f32>(m + o) + oneMinusBeta1 * gi);
    const vi = flushSubnormal1(beta2 * load<f32>(v + o) + oneMinusBeta2 * gi * gi);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(theta + o, load<f32>(theta + o) - (lrc1 * mi) / (Mathf.sqrt(vi * invc2) + eps));
  }
}

// ---- exact zeros in the input ------------------------------------------------------------------
// The first layer's products when X (inputs × n) is given by its non-zeros, column by column
// (src/kernels/types.ts SparseColumns: start[n + 1], index[nnz] increasing per column, value[nnz]).
// Layout: W as stored (units × inputs, rows contiguous) and each row read at a column's non-zero
// indices, eight rows per pass (their W_ij gathered into two f32x4, one lane a row) so that every
// index and value load serves eight products and two sums advance at once; a thread
// owns a block of rows of W, z and ∂C/∂W, as in the dense products. W's columns contiguous (Wᵀ,
// z[:,s] += x_js·Wᵀ[j,:] in f32x4 over the units) would need W transposed after every update and
// ∂C/∂Wᵀ transposed back for the optimizer: two copies of units × inputs floats, 1.5 ms at
// 10000 inputs × 128 units on one thread here, more than both products take this way at 1% density
// and batch 128 (1.25 ms; `node --import tsx bench/sparse.ts`).

/** The depth step gemmCore's packed path uses for depth k (equal blocks, a multiple of 4, at most KC). */
// @ts-ignore: decorator
@inline
function depthStep(k: i32): i32 {
  const kblocks = (k + KC - 1) / KC;
  return min(KC, (((k + kblocks - 1) / kblocks) + 3) & ~3);
}

/**
 * Rows [i0, i1) of z = W·X + b and a = σ(z) (act elementwise, or NONE: z only) with X by its
 * non-zeros (W: m×k, z and a: m×n). Each sum runs over the non-zeros in increasing j, folded per
 * depth block of gemmCore's packed path ((B0 + B1) + B2 ...): the dense product's order with the
 * exactly-zero terms left out, which does not change a sum (x + 0·w = x for finite w, up to the
 * sign of a zero), so z is the packed path's to the bit.
 */
export function sparseForward(
  m: i32, n: i32, k: i32, w: usize, start: usize, index: usize, value: usize, bias: usize, act: i32, actAlpha: f32, z: usize, aOut: usize,
  i0: i32, i1: i32,
): void {
  if (i0 >= i1) return;
  const kstep = depthStep(k);
  const rowBytes = <usize>k << 2;
  let i = i0;
  // eight rows a pass: two independent sums per non-zero (the madd chains overlap) and half the
  // passes over the non-zeros
  for (; i + 8 <= i1; i += 8) {
    const w0 = w + <usize>i * rowBytes;
    const zr = z + (<usize>i * <usize>n << 2), zs = <usize>n << 2;
    for (let s = 0; s < n; s++) {
      const end = load<i32>(start + (<usize>(s + 1) << 2));
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0), acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      let next = kstep;
      for (let p = load<i32>(start + (<usize>s << 2)); p < end; p++) {
        const j = load<i32>(index + (<usize>p << 2));
        if (j >= next) {
          t0 = f32x4.add(t0, acc0);
          t1 = f32x4.add(t1, acc1);
          acc0 = f32x4.splat(0);
          acc1 = f32x4.splat(0);
          next = (j / kstep + 1) * kstep;
        }
        const o = w0 + (<usize>j << 2);
        const v = v128.load32_splat(value + (<usize>p << 2));
        let wa = v128.load32_splat(o);
        wa = v128.load32_lane(o + rowBytes, wa, 1);
        wa = v128.load32_lane(o + 2 * rowBytes, wa, 2);
        wa = v128.load32_lane(o + 3 * rowBytes, wa, 3);
        let wb = v128.load32_splat(o + 4 * rowBytes);
        wb = v128.load32_lane(o + 5 * rowBytes, wb, 1);
        wb = v128.load32_lane(o + 6 * rowBytes, wb, 2);
        wb = v128.load32_lane(o + 7 * rowBytes, wb, 3);
        acc0 = madd(wa, v, acc0);
        acc1 = madd(wb, v, acc1);
      }
      const r0 = f32x4.add(t0, acc0), r1 = f32x4.add(t1, acc1);
      const zo = zr + (<usize>s << 2);
      store<f32>(zo, f32x4.extract_lane(r0, 0));
      store<f32>(zo + zs, f32x4.extract_lane(r0, 1));
      store<f32>(zo + 2 * zs, f32x4.extract_lane(r0, 2));
      store<f32>(zo + 3 * zs, f32x4.extract_lane(r0, 3));
      store<f32>(zo + 4 * zs, f32x4.extract_lane(r1, 0));
      store<f32>(zo + 5 * zs, f32x4.extract_lane(r1, 1));
      store<f32>(zo + 6 * zs, f32x4.extract_lane(r1, 2));
      store<f32>(zo + 7 * zs, f32x4.extract_lane(r1, 3));
    }
  }
  for (; i + 4 <= i1; i += 4) {
    const w0 = w + <usize>i * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
    const z0 = z + (<usize>i * <usize>n << 2), z1 = z0 + (<usize>n << 2), z2 = z1 + (<usize>n << 2), z3 = z2 + (<usize>n << 2);
    for (let s = 0; s < n; s++) {
      const end = load<i32>(start + (<usize>(s + 1) << 2));
      // lane r: the sum of row i + r (the four rows' W_ij gathered into one vector per non-zero)
      let t = f32x4.splat(0), acc = f32x4.splat(0);
      let next = kstep;
      for (let p = load<i32>(start + (<usize>s << 2)); p < end; p++) {
        const j = load<i32>(index + (<usize>p << 2));
        if (j >= next) {
          t = f32x4.add(t, acc);
          acc = f32x4.splat(0);
          next = (j / kstep + 1) * kstep;
        }
        const o = <usize>j << 2;
        let wj = v128.load32_splat(w0 + o);
        wj = v128.load32_lane(w1 + o, wj, 1);
        wj = v128.load32_lane(w2 + o, wj, 2);
        wj = v128.load32_lane(w3 + o, wj, 3);
        acc = madd(wj, v128.load32_splat(value + (<usize>p << 2)), acc);
      }
      const r = f32x4.add(t, acc);
      const so = <usize>s << 2;
      store<f32>(z0 + so, f32x4.extract_lane(r, 0));
      store<f32>(z1 + so, f32x4.extract_lane(r, 1));
      store<f32>(z2 + so, f32x4.extract_lane(r, 2));
      store<f32>(z3 + so, f32x4.extract_lane(r, 3));
    }
  }
  for (; i < i1; i++) {
    const w0 = w + <usize>i * rowBytes;
    const z0 = z + (<usize>i * <usize>n << 2);
    for (let s = 0; s < n; s++) {
      const end = load<i32>(start + (<usize>(s + 1) << 2));
      let t0: f32 = 0, s0: f32 = 0;
      let next = kstep;
      for (let p = load<i32>(start + (<usize>s << 2)); p < end; p++) {
        const j = load<i32>(index + (<usize>p << 2));
        if (j >= next) {
          t0 += s0;
          s0 = 0;
          next = (j / kstep + 1) * kstep;
        }
        s0 = madd1(load<f32>(w0 + (<usize>j << 2)), load<f32>(value + (<usize>p << 2)), s0);
      }
      store<f32>(z0 + (<usize>s << 2), t0 + s0);
    }
  }
  epilogue(EP_FORWARD, z, n, i0, i1, 0, n, act, actAlpha, bias, aOut, 0);
}

/**
 * Rows [i0, i1) of ∂C/∂W = alpha·δ·Xᵀ with X by its non-zeros (δ: m×n, dW: m×k): each row is
 * cleared, gets δ_is·x_js added at j for every non-zero of every column s in increasing s, and is
 * scaled by alpha: the order of the dense product when its depth n is one block (n ≤ KC), so the
 * same values to the bit; for larger batches equal within rounding.
 */
export function sparseWeightGradient(
  m: i32, n: i32, k: i32, alpha: f32, delta: usize, start: usize, index: usize, value: usize, dW: usize,
  i0: i32, i1: i32,
): void {
  const rowBytes = <usize>k << 2;
  let i = i0;
  // (each group of rows cleared, summed and scaled while it is in cache)
  for (; i + 4 <= i1; i += 4) {
    const g0 = dW + <usize>i * rowBytes, g1 = g0 + rowBytes, g2 = g1 + rowBytes, g3 = g2 + rowBytes;
    memory.fill(g0, 0, 4 * rowBytes);
    const d0p = delta + (<usize>i * <usize>n << 2), dn = <usize>n << 2;
    for (let s = 0; s < n; s++) {
      const so = <usize>s << 2;
      const d0 = load<f32>(d0p + so), d1 = load<f32>(d0p + dn + so), d2 = load<f32>(d0p + 2 * dn + so), d3 = load<f32>(d0p + 3 * dn + so);
      const end = load<i32>(start + (<usize>(s + 1) << 2));
      for (let p = load<i32>(start + so); p < end; p++) {
        const o = <usize>load<i32>(index + (<usize>p << 2)) << 2;
        const v = load<f32>(value + (<usize>p << 2));
        store<f32>(g0 + o, madd1(d0, v, load<f32>(g0 + o)));
        store<f32>(g1 + o, madd1(d1, v, load<f32>(g1 + o)));
        store<f32>(g2 + o, madd1(d2, v, load<f32>(g2 + o)));
        store<f32>(g3 + o, madd1(d3, v, load<f32>(g3 + o)));
      }
    }
    scale(g0, alpha, 4 * k);
  }
  for (; i < i1; i++) {
    const g0 = dW + <usize>i * rowBytes;
    memory.fill(g0, 0, rowBytes);
    const d0p = delta + (<usize>i * <usize>n << 2);
    for (let s = 0; s < n; s++) {
      const d0 = load<f32>(d0p + (<usize>s << 2));
      const end = load<i32>(start + (<usize>(s + 1) << 2));
      for (let p = load<i32>(start + (<usize>s << 2)); p < end; p++) {
        const o = <usize>load<i32>(index + (<usize>p << 2)) << 2;
        store<f32>(g0 + o, madd1(d0, load<f32>(value + (<usize>p << 2)), load<f32>(g0 + o)));
      }
    }
    scale(g0, alpha, k);
  }
}

/**
 * How many values nonZeros counts before it extracts any. Counting costs a tenth of what
 * extracting a non-zero does, so a dense batch is told apart by counting alone (1000 × 784 inputs
 * pass the limit of 10% after 157 k values at Fashion-MNIST's 50% non-zeros, after 413 k at
 * MNIST's 19%: 80 µs of extraction before); and the 2 MB counted stay in L2 for the extraction
 * that follows on a sparse batch.
 */
const COUNT_AHEAD: i32 = 1 << 19;

/** Bit q set when the float at o + 4q (q < 16) is not zero (NaN is not zero; −0 is). */
// @ts-ignore: decorator
@inline
function nonZeroMask16(o: usize): i32 {
  const zero = f32x4.splat(0);
  return i32x4.bitmask(f32x4.ne(v128.load(o), zero)) | (i32x4.bitmask(f32x4.ne(v128.load(o, 16), zero)) << 4)
    | (i32x4.bitmask(f32x4.ne(v128.load(o, 32), zero)) << 8) | (i32x4.bitmask(f32x4.ne(v128.load(o, 48), zero)) << 12);
}

/** The non-zeros of x[0 .. count), counted up to the first group of 16 that passes `limit`. */
function countNonZeros(x: usize, count: i32, limit: i32): i32 {
  let c = 0;
  let j = 0;
  for (; j + 16 <= count && c <= limit; j += 16) c += popcnt(nonZeroMask16(x + (<usize>j << 2)));
  if (c > limit) return c;
  for (; j < count; j++) if (load<f32>(x + (<usize>j << 2)) != 0) c++;
  return c;
}

/**
 * The rows of x (n × k, one sample per row) by their non-zeros, as the columns of a sparse X:
 * start[s] .. start[s+1] index the entries of sample s, column j in `index`, x_sj in `value`.
 * Returns the count of non-zeros, or −1 as soon as it passes `limit` (the batch is then taken
 * dense; the first COUNT_AHEAD values are counted before any is extracted). Zero is +0 or −0; NaN
 * counts as non-zero (the caller's finiteness check sees it). Sixteen values are tested at a time
 * into a bit mask, and only its set bits are visited.
 */
export function nonZeros(x: usize, n: i32, k: i32, limit: i32, start: usize, index: usize, value: usize): i32 {
  if (countNonZeros(x, min(n * k, COUNT_AHEAD), limit) > limit) return -1;
  let p = 0;
  for (let s = 0; s < n; s++) {
    store<i32>(start + (<usize>s << 2), p);
    const row = x + <usize>s * (<usize>k << 2);
    let j = 0;
    for (; j + 16 <= k; j += 16) {
      const o = row + (<usize>j << 2);
      // bit q of `nz` set when x[j + q] ≠ 0; the set bits are visited lowest first
      let nz = nonZeroMask16(o);
      if (p + popcnt(nz) > limit) return -1;
      while (nz != 0) {
        const q = ctz(nz);
        store<i32>(index + (<usize>p << 2), j + q);
        store<f32>(value + (<usize>p << 2), load<f32>(o + (<usize>q << 2)));
        p++;
        nz &= nz - 1;
      }
    }
    for (; j < k; j++) {
      const v = load<f32>(row + (<usize>j << 2));
      if (v == 0) continue;
      if (p == limit) return -1;
      store<i32>(index + (<usize>p << 2), j);
      store<f32>(value + (<usize>p << 2), v);
      p++;
    }
  }
  store<i32>(start + (<usize>n << 2), p);
  return p;
}

// ---- thread-pool jobs ------------------------------------------------------------------------
// The job a pool thread runs is read from a control block that src/kernels/wasm/threads.ts
// writes: the op code, its parameters, and each thread's block [i0, i1, j0, j1). Every thread,
// the caller's included, runs its block through runJob, so they all read the same float32 values
// and one dispatcher serves them. The words, op codes and parameter readers come from assembly/jobs.ts,
// generated from the protocol's one description (src/kernels/wasm/jobs.ts).

/** The hash of the job description this module was built from, which the pool checks against its own. */
export function jobLayout(): i32 {
  return JOB_LAYOUT;
}

/** Waits (asleep) until the caller's staging of a forwardRows job has reached `step` (JOB_STAGED). */
function staged(c: usize, step: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  const w = c + (JOB_STAGED << 2);
  for (;;) {
    const s = atomic.load<i32>(w);
    if (s >= step) return;
    atomic.wait<i32>(w, s, -1);
  }
}

/** Runs thread `index`'s block of the job posted in the control block (`ws`: that thread's GEMM workspace). */
export function runJob(c: usize, index: i32, ws: usize): void {
  const op = load<i32>(c + (JOB_OP << 2));
  const r = c + ((JOB_RANGES + <usize>(4 * index)) << 2);
  const i0 = load<i32>(r), i1 = load<i32>(r, 4), j0 = load<i32>(r, 8), j1 = load<i32>(r, 12);
  if (op == OP_GEMM) {
    gemmCore(
      Gemm.transA(c), Gemm.transB(c), Gemm.m(c), Gemm.n(c), Gemm.k(c), Gemm.alpha(c), Gemm.a(c), Gemm.b(c),
      Gemm.beta(c), Gemm.c(c), ws, i0, i1, j0, j1, EP_NONE, NONE, 0, 0, 0, 0, c, index,
    );
  } else if (op == OP_DENSE_FORWARD) {
    gemmCore(
      0, DenseForward.transX(c), DenseForward.m(c), DenseForward.n(c), DenseForward.k(c), 1, DenseForward.w(c),
      DenseForward.x(c), 0, DenseForward.z(c), ws, i0, i1, j0, j1, EP_FORWARD, DenseForward.act(c),
      DenseForward.actAlpha(c), DenseForward.bias(c), DenseForward.aOut(c), 0, c, index,
    );
  } else if (op == OP_DENSE_BACKWARD) {
    gemmCore(
      1, 0, DenseBackward.m(c), DenseBackward.n(c), DenseBackward.k(c), 1, DenseBackward.w(c), DenseBackward.delta(c),
      0, DenseBackward.dAPrev(c), ws, i0, i1, j0, j1, EP_BACKWARD, DenseBackward.act(c), DenseBackward.actAlpha(c),
      DenseBackward.zPrev(c), DenseBackward.aPrev(c), DenseBackward.deltaPrev(c), c, index,
    );
  } else if (op == OP_SPARSE_FORWARD) {
    sparseForward(
      SparseForward.m(c), SparseForward.n(c), SparseForward.k(c), SparseForward.w(c), SparseForward.start(c),
      SparseForward.index(c), SparseForward.value(c), SparseForward.bias(c), SparseForward.act(c),
      SparseForward.actAlpha(c), SparseForward.z(c), SparseForward.aOut(c), i0, i1,
    );
  } else if (op == OP_SPARSE_WEIGHT_GRADIENT) {
    sparseWeightGradient(
      SparseWeightGradient.m(c), SparseWeightGradient.n(c), SparseWeightGradient.k(c), SparseWeightGradient.alpha(c),
      SparseWeightGradient.delta(c), SparseWeightGradient.start(c), SparseWeightGradient.index(c),
      SparseWeightGradient.value(c), SparseWeightGradient.dW(c), i0, i1,
    );
  } else if (op == OP_GATHER_ROWS) {
    gatherRows(GatherRows.src(c), GatherRows.cols(c), GatherRows.idx(c), GatherRows.dst(c), i0, i1);
  } else if (op == OP_GATHER_COLUMNS) {
    gatherColumns(GatherColumns.src(c), GatherColumns.cols(c), GatherColumns.idx(c), GatherColumns.dst(c), GatherColumns.n(c), i0, i1);
  } else if (op == OP_FORWARD_ROWS) {
    // the first piece once the caller has copied it in, the rest once it has copied all of ours
    const layers = ForwardRows.layers(c), desc = ForwardRows.desc(c), n = ForwardRows.n(c), x = ForwardRows.x(c);
    staged(c, 1);
    forwardRows(layers, desc, n, x, ws, j0, i0);
    staged(c, 2);
    forwardRows(layers, desc, n, x, ws, i0, j1);
  } else if (i1 <= i0) {
    // an empty block of an elementwise job; an empty maxAbs block is 0
    if (op == OP_MAX_ABS) store<f32>(r, 0, 8);
  } else {
    // elementwise: the block [i0, i1) of the job's count (sumColumns: of its rows)
    const o = <usize>i0 << 2;
    const count = i1 - i0;
    if (op == OP_SUM_COLUMNS) {
      sumColumns(SumColumns.out(c) + o, SumColumns.x(c) + o * <usize>SumColumns.n(c), count, SumColumns.n(c), SumColumns.alpha(c));
    } else if (op == OP_ADAM_UPDATE) {
      adamUpdate(
        AdamUpdate.theta(c) + o, AdamUpdate.g(c) + o, AdamUpdate.m(c) + o, AdamUpdate.v(c) + o, AdamUpdate.lrc1(c),
        AdamUpdate.beta1(c), AdamUpdate.oneMinusBeta1(c), AdamUpdate.beta2(c), AdamUpdate.oneMinusBeta2(c),
        AdamUpdate.eps(c), AdamUpdate.invc2(c), count,
      );
    } else if (op == OP_RMSPROP_UPDATE) {
      rmspropUpdate(
        RmspropUpdate.theta(c) + o, RmspropUpdate.g(c) + o, RmspropUpdate.v(c) + o, RmspropUpdate.lr(c),
        RmspropUpdate.rho(c), RmspropUpdate.oneMinusRho(c), RmspropUpdate.eps(c), count,
      );
    } else if (op == OP_SGD_UPDATE) {
      sgdUpdate(SgdUpdate.theta(c) + o, SgdUpdate.g(c) + o, SgdUpdate.lr(c), count);
    } else if (op == OP_MOMENTUM_UPDATE) {
      momentumUpdate(
        MomentumUpdate.theta(c) + o, MomentumUpdate.g(c) + o, MomentumUpdate.v(c) + o, MomentumUpdate.lr(c),
        MomentumUpdate.mu(c), MomentumUpdate.nesterov(c), count,
      );
    } else if (op == OP_MAX_ABS) {
      store<f32>(r, maxAbs(MaxAbs.x(c) + o, count), 8);
    }
  }
}
