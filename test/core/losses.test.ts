import { describe, expect, it } from 'vitest';
import { activation } from '../../src/activations/index.js';
import { jsKernels } from '../../src/kernels/js.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm/index.js';
import { loss } from '../../src/losses/index.js';

// Two samples (columns) of three logits each, laid out units × n as the network holds them.
//   sample 0: z = [0, ln 3, 0]  → Σe^z = 5, softmax = [1/5, 3/5, 1/5]; y = class 1 → C = −ln(3/5)
//   sample 1: z = [0, 0, 800]   → softmax ≈ [e^−800, e^−800, 1] (the first two underflow to 0 in
//             float32 and float64); y = class 0 → C = −(0 − 800 − ln(1 + 2e^−800)) = 800
const n = 2;
const units = 3;
const z = [0, 0, Math.log(3), 0, 0, 800];
const y = [0, 1, 1, 0, 0, 0];
const expected = (-Math.log(3 / 5) + 800) / 2;

describe('cross-entropy value, −(1/n) Σ_k Σ_i y_i·log softmax(z)_i', () => {
  const ce = loss('cross-entropy');
  const softmax = activation('softmax');

  it('float64 (js kernels): hand-computed, with an underflowed probability on the target', () => {
    const zz = new Float64Array(z);
    const a = new Float64Array(units * n);
    jsKernels.activate(softmax, zz, a, units, n);
    expect(a[1]).toBe(0); // sample 1, class 0: e^−800 underflows, so log a itself would be −∞
    expect(ce.value(a, zz, new Float64Array(y), units, n)).toBeCloseTo(expected, 12);
  });

  it('float32 (wasm kernels): the same value within float32 rounding', () => {
    const k = createWasmKernelsSync();
    const zz = k.alloc(units * n);
    zz.set(z);
    const a = k.alloc(units * n);
    k.activate(softmax, zz, a, units, n);
    expect(ce.value(a, zz, Float32Array.from(y), units, n)).toBeCloseTo(expected, 5);
  });

  it('a NaN logit makes the loss NaN (the divergence check sees it)', () => {
    const zz = new Float64Array(z);
    zz[4] = NaN; // sample 0, a non-target, non-maximal logit
    const a = new Float64Array(units * n);
    jsKernels.activate(softmax, zz, a, units, n);
    expect(ce.value(a, zz, new Float64Array(y), units, n)).toBeNaN();
  });
});
