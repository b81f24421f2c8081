import type { FloatArray } from '../../src/tensor/matrix.js';

/** float64 reference of C = alpha·op(A)·op(B) + beta·C, and the scale |alpha|·|op(A)|·|op(B)| + |beta·C| of each entry. */
export function gemmReference(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray,
): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i]! : a[i * k + p]!;
        const y = transB ? b[j * k + p]! : b[p * n + j]!;
        s += x * y;
        abs += Math.abs(x * y);
      }
      const old = beta === 0 ? 0 : beta * c[i * n + j]!;
      value[i * n + j] = alpha * s + old;
      scale[i * n + j] = Math.abs(alpha) * abs + Math.abs(old);
    }
  }
  return { value, scale };
}
