import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { jsKernels } from '../../src/kernels/js.js';
import { adam, momentum, optimizer, sgd, type Parameter } from '../../src/optimizers/index.js';

function param(values: number[], grads: number[]): Parameter {
  return { name: 'p', value: new Float64Array(values), grad: new Float64Array(grads), decays: true };
}

describe('optimizers, derived by hand', () => {
  it('sgd: θ ← θ − η·g', () => {
    // [1, −1] − 0.1·[2, −4] = [0.8, −0.6]
    const p = param([1, -1], [2, -4]);
    sgd({ learningRate: 0.1 }).step([p], jsKernels);
    expect(p.value[0]).toBeCloseTo(0.8, 15);
    expect(p.value[1]).toBeCloseTo(-0.6, 15);
  });

  it('momentum: v ← μ·v + g; θ ← θ − η·v', () => {
    // μ = 0.9, η = 0.1, g = 1 twice:
    //   step 1: v = 0·0.9 + 1 = 1;        θ = 1 − 0.1·1 = 0.9
    //   step 2: v = 0.9·1 + 1 = 1.9;      θ = 0.9 − 0.1·1.9 = 0.71
    const p = param([1], [1]);
    const opt = momentum({ learningRate: 0.1, momentum: 0.9 });
    opt.step([p], jsKernels);
    expect(p.value[0]).toBeCloseTo(0.9, 15);
    opt.step([p], jsKernels);
    expect(p.value[0]).toBeCloseTo(0.71, 15);
  });

  it('adam: bias-corrected moments', () => {
    // β1 = 0.9, β2 = 0.999, η = 0.1, ε = 1e-8, g = 2 twice:
    //   step 1: m = 0.1·2 = 0.2, v = 0.001·4 = 0.004; m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4
    //           θ = 1 − 0.1·2/(√4 + 1e-8)
    //   step 2: m = 0.9·0.2 + 0.1·2 = 0.38, v = 0.999·0.004 + 0.001·4 = 0.007996
    //           m̂ = 0.38/(1 − 0.81) = 2, v̂ = 0.007996/(1 − 0.998001) = 4
    //           θ = θ₁ − 0.1·2/(2 + 1e-8)
    const p = param([1], [2]);
    const opt = adam({ learningRate: 0.1 });
    opt.step([p], jsKernels);
    const step = 0.2 / (2 + 1e-8);
    expect(p.value[0]).toBeCloseTo(1 - step, 14);
    opt.step([p], jsKernels);
    expect(p.value[0]).toBeCloseTo(1 - 2 * step, 12);
    const state = opt.state();
    expect(state.t).toBe(2);
    expect(state.slots['p.m']![0]).toBeCloseTo(0.38, 15);
    expect(state.slots['p.v']![0]).toBeCloseTo(0.007996, 15);
  });

  it('rejects bad hyper-parameters and unknown names', () => {
    expect(() => sgd({ learningRate: 0 })).toThrow(/learning rate must be a finite number > 0, got 0/);
    expect(() => adam({ learningRate: -1 })).toThrow(OptionError);
    expect(() => adam({ beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => momentum({ momentum: 1.5 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => optimizer('adagrad')).toThrow(/unknown optimizer "adagrad"; valid: sgd, momentum, adam, rmsprop/);
  });

  it('refuses the state of another optimizer', () => {
    expect(() => sgd().loadState(adam().state())).toThrow(/optimizer state is for 'adam'/);
  });
});
