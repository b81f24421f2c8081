import type { Activation } from '../activations/index.js';
import type { FloatArray } from '../tensor/matrix.js';
import type { Kernels } from './types.js';

/**
 * The reference kernels in plain TypeScript. They work on Float32Array and Float64Array alike
 * (gradient checks run in float64), allocate nothing, and order their loops so that the innermost
 * one walks memory contiguously.
 */
export const jsKernels: Kernels = {
  name: 'js',

  alloc: (length) => new Float32Array(length),

  gatherColumns(src, cols, order, start, n, dst) {
    // A transpose, sixteen samples at a time, so that each group of writes fills a 64-byte line of a
    // row of dst instead of striding through all of dst once per sample (the rest one by one).
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      const r0 = order[start + j]! * cols;
      const r1 = order[start + j + 1]! * cols;
      const r2 = order[start + j + 2]! * cols;
      const r3 = order[start + j + 3]! * cols;
      const r4 = order[start + j + 4]! * cols;
      const r5 = order[start + j + 5]! * cols;
      const r6 = order[start + j + 6]! * cols;
      const r7 = order[start + j + 7]! * cols;
      const r8 = order[start + j + 8]! * cols;
      const r9 = order[start + j + 9]! * cols;
      const r10 = order[start + j + 10]! * cols;
      const r11 = order[start + j + 11]! * cols;
      const r12 = order[start + j + 12]! * cols;
      const r13 = order[start + j + 13]! * cols;
      const r14 = order[start + j + 14]! * cols;
      const r15 = order[start + j + 15]! * cols;
      for (let f = 0, o = j; f < cols; f++, o += n) {
        dst[o] = src[r0 + f]!;
        dst[o + 1] = src[r1 + f]!;
        dst[o + 2] = src[r2 + f]!;
        dst[o + 3] = src[r3 + f]!;
        dst[o + 4] = src[r4 + f]!;
        dst[o + 5] = src[r5 + f]!;
        dst[o + 6] = src[r6 + f]!;
        dst[o + 7] = src[r7 + f]!;
        dst[o + 8] = src[r8 + f]!;
        dst[o + 9] = src[r9 + f]!;
        dst[o + 10] = src[r10 + f]!;
        dst[o + 11] = src[r11 + f]!;
        dst[o + 12] = src[r12 + f]!;
        dst[o + 13] = src[r13 + f]!;
        dst[o + 14] = src[r14 + f]!;
        dst[o + 15] = src[r15 + f]!;
      }
    }
    for (; j < n; j++) {
      const row = order[start + j]! * cols;
      for (let f = 0; f < cols; f++) dst[f * n + j] = src[row + f]!;
    }
  },

  gatherRows(src, cols, order, start, n, dst) {
    for (let j = 0; j < n; j++) {
      const row = order[start + j]! * cols;
      dst.set(src.subarray(row, row + cols), j * cols);
    }
  },

  transpose(src, rows, cols, dst) {
    for (let r = 0; r < rows; r++) {
      const s = r * cols;
      for (let c = 0, o = r; c < cols; c++, o += rows) dst[o] = src[s + c]!;
    }
  },

  gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
    if (beta === 0) c.fill(0, 0, m * n);
    else if (beta !== 1) for (let i = 0; i < m * n; i++) c[i]! *= beta;
    if (!transA && !transB) {
      // C += alpha·A(m×k)·B(k×n): for each A_ip, add a scaled row of B to a row of C.
      for (let i = 0; i < m; i++) {
        const ci = i * n;
        for (let p = 0; p < k; p++) {
          const s = alpha * a[i * k + p]!;
          if (s === 0) continue;
          const bp = p * n;
          for (let j = 0; j < n; j++) c[ci + j]! += s * b[bp + j]!;
        }
      }
    } else if (transA && !transB) {
      // C += alpha·Aᵀ·B with A stored k×m: row p of A and row p of B make a rank-1 update.
      for (let p = 0; p < k; p++) {
        const ap = p * m;
        const bp = p * n;
        for (let i = 0; i < m; i++) {
          const s = alpha * a[ap + i]!;
          if (s === 0) continue;
          const ci = i * n;
          for (let j = 0; j < n; j++) c[ci + j]! += s * b[bp + j]!;
        }
      }
    } else if (!transA && transB) {
      // C += alpha·A·Bᵀ with B stored n×k: each C_ij is a dot product of two contiguous rows.
      for (let i = 0; i < m; i++) {
        const ai = i * k;
        for (let j = 0; j < n; j++) {
          const bj = j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
          c[i * n + j]! += alpha * s;
        }
      }
    } else {
      // C += alpha·Aᵀ·Bᵀ: rarely needed; correct rather than fast.
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[p * m + i]! * b[j * k + p]!;
          c[i * n + j]! += alpha * s;
        }
      }
    }
  },

  denseForward(act, W, X, b, z, a, units, n, inputs, transX = false) {
    jsKernels.gemm(false, transX, units, n, inputs, 1, W, X, 0, z);
    jsKernels.addBias(z, b, units, n);
    jsKernels.activate(act, z, a, units, n);
  },

  denseBackward(act, W, delta, zPrev, aPrev, dAPrev, deltaPrev, units, n, inputs) {
    jsKernels.gemm(true, false, inputs, n, units, 1, W, delta, 0, dAPrev);
    jsKernels.activateBackward(act, zPrev, aPrev, dAPrev, deltaPrev, inputs, n);
  },

  sparseForward(act, W, X, b, z, a, units, n, inputs) {
    // z_is = Σ_{j ∈ nz(s)} W_ij·x_js, in increasing j (the order of gemm's sum with the zero terms left out)
    const { start, index, value } = X;
    for (let i = 0; i < units; i++) {
      const row = i * inputs;
      for (let s = 0; s < n; s++) {
        let sum = 0;
        for (let p = start[s]!; p < start[s + 1]!; p++) sum += W[row + index[p]!]! * value[p]!;
        z[i * n + s] = sum;
      }
    }
    jsKernels.addBias(z, b, units, n);
    jsKernels.activate(act, z, a, units, n);
  },

  sparseWeightGradient(delta, X, dW, units, n, inputs, alpha) {
    // dW_ij = alpha·Σ_s δ_is·x_js: row i of dW gets δ_is·x_js at each non-zero j of each column s
    const { start, index, value } = X;
    dW.fill(0, 0, units * inputs);
    for (let i = 0; i < units; i++) {
      const row = i * inputs;
      for (let s = 0; s < n; s++) {
        const d = delta[i * n + s]!;
        for (let p = start[s]!; p < start[s + 1]!; p++) dW[row + index[p]!]! += d * value[p]!;
      }
      for (let j = row; j < row + inputs; j++) dW[j]! *= alpha;
    }
  },

  nonZeros(x, n, cols, limit, out) {
    const { start, index, value } = out;
    let p = 0;
    for (let s = 0; s < n; s++) {
      start[s] = p;
      for (let j = 0, o = s * cols; j < cols; j++, o++) {
        const v = x[o]!;
        if (v === 0) continue;
        if (p === limit) return -1;
        index[p] = j;
        value[p++] = v;
      }
    }
    start[n] = p;
    return p;
  },

  addBias(z, b, units, n) {
    for (let i = 0; i < units; i++) {
      const bi = b[i]!;
      const row = i * n;
      for (let j = 0; j < n; j++) z[row + j]! += bi;
    }
  },

  sumColumns(out, x, units, n, alpha) {
    for (let i = 0; i < units; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += x[row + j]!;
      out[i] = alpha * s;
    }
  },

  activate(act, z, a, units, n) {
    if (act.elementwise) {
      const f = act.f;
      for (let i = 0; i < units * n; i++) a[i] = f(z[i]!);
      return;
    }
    softmaxColumns(z, a, units, n);
  },

  activateBackward(act, z, a, dA, delta, units, n) {
    if (act.elementwise) {
      const df = act.df;
      for (let i = 0; i < units * n; i++) delta[i] = dA[i]! * df(z[i]!, a[i]!);
      return;
    }
    // Softmax Jacobian-vector product per sample: δ_i = a_i·(∂C/∂a_i − Σ_j a_j·∂C/∂a_j).
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < units; i++) dot += a[i * n + j]! * dA[i * n + j]!;
      for (let i = 0; i < units; i++) delta[i * n + j] = a[i * n + j]! * (dA[i * n + j]! - dot);
    }
  },

  activationDerivative(act: Activation, z, a, out, count) {
    if (!act.elementwise) throw new Error('softmax has a Jacobian, not an elementwise derivative');
    for (let i = 0; i < count; i++) out[i] = act.df(z[i]!, a[i]!);
  },

  maxAbs(x) {
    // Math.max propagates NaN; |±Infinity| is Infinity
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
    return m;
  },

  sumSquares(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return s;
  },

  scale(x, s) {
    for (let i = 0; i < x.length; i++) x[i]! *= s;
  },

  clamp(x, c) {
    for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(x[i]!, -c), c);
  },

  multiply(out, x, y, count) {
    for (let i = 0; i < count; i++) out[i] = x[i]! * y[i]!;
  },

  dropoutMask(mask, count, rate, key) {
    const threshold = dropoutThreshold(rate);
    const keep = 1 / (1 - rate);
    for (let i = 0; i < count; i++) mask[i] = dropoutHash(key, i) >= threshold ? keep : 0;
  },

  penalty(W, dW, l1, l2) {
    let abs = 0;
    let sq = 0;
    for (let i = 0; i < W.length; i++) {
      const w = W[i]!;
      dW[i]! += l1 * Math.sign(w) + 2 * l2 * w;
      abs += Math.abs(w);
      sq += w * w;
    }
    return l1 * abs + l2 * sq;
  },

  sgdUpdate(theta, g, lr) {
    for (let i = 0; i < theta.length; i++) theta[i]! -= lr * g[i]!;
  },

  momentumUpdate(theta, g, v, lr, mu, nesterov) {
    for (let i = 0; i < theta.length; i++) {
      const vi = mu * v[i]! + g[i]!;
      v[i] = vi;
      theta[i]! -= lr * (nesterov ? g[i]! + mu * vi : vi);
    }
  },

  rmspropUpdate(theta, g, v, lr, rho, eps) {
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i]!;
      const vi = rho * v[i]! + (1 - rho) * gi * gi;
      v[i] = vi;
      theta[i]! -= (lr * gi) / (Math.sqrt(vi) + eps);
    }
  },

  adamUpdate(theta, g, m, v, lr, beta1, beta2, eps, t) {
    const c1 = 1 - Math.pow(beta1, t);
    const c2 = 1 - Math.pow(beta2, t);
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * gi;
      const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      theta[i]! -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  },
};

/** a = softmax(z) for each column, shifted by the column's max so that exp never overflows. */
function softmaxColumns(z: FloatArray, a: FloatArray, units: number, n: number): void {
  for (let j = 0; j < n; j++) {
    let max = -Infinity;
    for (let i = 0; i < units; i++) max = Math.max(max, z[i * n + j]!);
    let sum = 0;
    for (let i = 0; i < units; i++) {
      const e = Math.exp(z[i * n + j]! - max);
      a[i * n + j] = e;
      sum += e;
    }
    for (let i = 0; i < units; i++) a[i * n + j]! /= sum;
  }
}

/** Entry i of a dropout mask is kept when dropoutHash(key, i) ≥ this (rate·2^32, so P(keep) = 1 − rate). */
export function dropoutThreshold(rate: number): number {
  return Math.min(2 ** 32 - 1, Math.round(rate * 2 ** 32));
}

/** lowbias32 of key + i·0x9e3779b9 as an unsigned 32-bit integer (assembly/kernels.ts hash4, lane by lane). */
export function dropoutHash(key: number, i: number): number {
  let h = (key + Math.imul(i, 0x9e3779b9)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
