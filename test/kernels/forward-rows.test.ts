// A forward pass alone over samples the caller gives as rows (Kernels.forwardRows): the rows are
// copied into the kernels' memory by the calling thread while the workers already run the whole
// net on the samples copied first. Checked: the values equal layer-by-layer denseForward bit for
// bit on 1, 2 and 3 threads; the pool's protocol (workers' first pieces before the post, the rest
// of theirs before STAGED 2, the caller's own last); a copy that throws; and which batches predict
// sends this way (Batch's density decision on the first samples).
import { describe, expect, it } from 'vitest';
import { activation, type Activation } from '../../src/activations/index.js';
import { createWasmKernels, createWasmKernelsSync, sharedMemorySupported, threadsSupported, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { LAYER, LAYER_WORD, WORDS } from '../../src/kernels/wasm/jobs.js';
import type { ForwardLayer, Kernels } from '../../src/kernels/types.js';
import { network, type NetworkSpec } from '../../src/network.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { DECIDE_VALUES } from '../../src/train/batch.js';
import { poolOver, product, sharedKernels } from './pool.js';

const threaded = sharedMemorySupported() && threadsSupported();

/** Layers of `sizes` with activations `acts` in the kernels' memory, weights from `seed`, z and a for n samples. */
function layersIn(k: WasmKernels, sizes: number[], acts: Activation[], n: number, seed: number): ForwardLayer[] {
  const r = new Random(seed);
  return acts.map((act, l) => {
    const [inputs, units] = [sizes[l]!, sizes[l + 1]!];
    const W = k.alloc(units * inputs);
    const b = k.alloc(units);
    for (const v of [W, b]) for (let i = 0; i < v.length; i++) v[i] = r.normal() / Math.sqrt(inputs);
    return { act, W, b, z: k.alloc(units * n), a: k.alloc(units * n), units, inputs };
  });
}

function rowsOf(n: number, inputs: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n * inputs }, () => (r.uniform() < 0.5 ? 0 : r.normal()));
}

const hex = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

const swish = activation({ name: 'swish-test', f: (z) => z / (1 + Math.exp(-z)), df: (z) => 1 / (1 + Math.exp(-z)) + (z * Math.exp(-z)) / (1 + Math.exp(-z)) ** 2 });

const NETS: { name: string; sizes: number[]; acts: Activation[] }[] = [
  { name: '37-13-7 (sigmoid, softmax)', sizes: [37, 13, 7], acts: [activation('sigmoid'), activation('softmax')] },
  { name: '97-33-18-5 (relu, tanh, linear)', sizes: [97, 33, 18, 5], acts: [activation('relu'), activation('tanh'), activation('linear')] },
  { name: '20-9-3 (a custom activation: layer by layer)', sizes: [20, 9, 3], acts: [swish, activation('sigmoid')] },
];

describe('forwardRows', () => {
  it.each(NETS)('$name: every layer’s z and a equal denseForward layer by layer, bit for bit, on 1, 2 and 3 threads', async ({ sizes, acts }) => {
    const all = [createWasmKernelsSync({ threads: 1 })];
    if (threaded) all.push(createWasmKernelsSync({ threads: 2, parallelMinFlops: 0 }), await createWasmKernels({ threads: 3, parallelMinFlops: 0 }));
    try {
      for (const n of [257, 1031]) {
        const rows = rowsOf(n, sizes[0]!, n);
        // the reference: the rows copied in, then denseForward per layer, on one thread
        const one = all[0]!;
        const ref = layersIn(one, sizes, acts, n, 5);
        const x = one.alloc(n * sizes[0]!);
        x.set(rows);
        ref.forEach((l, i) => one.denseForward(l.act, l.W, i === 0 ? x : ref[i - 1]!.a, l.b, l.z, l.a, l.units, n, l.inputs, i === 0));
        const want = ref.map((l) => [hex(l.z.subarray(0, l.units * n)), hex(l.a.subarray(0, l.units * n))]);
        for (const k of all) {
          for (const staged of [0, 128]) {
            const layers = layersIn(k, sizes, acts, n, 5);
            for (const l of layers) l.z.fill(NaN), l.a.fill(NaN);
            const stage = k.alloc(n * sizes[0]!);
            stage.set(rows.subarray(0, staged * sizes[0]!));
            for (let call = 0; call < 3; call++) {
              k.forwardRows(layers, rows, n, stage, staged);
              expect(hex(stage)).toBe(hex(rows));
              layers.forEach((l, i) => expect([hex(l.z.subarray(0, l.units * n)), hex(l.a.subarray(0, l.units * n))], `${k.threads} threads, n ${n}, staged ${staged}, layer ${i + 1}`).toEqual(want[i]));
            }
          }
        }
      }
    } finally {
      for (const k of all) k.dispose();
    }
  });

  it('checks its arrays: a layer that does not take the one before, or a short stage', () => {
    const k = createWasmKernelsSync({ threads: 1 });
    try {
      const layers = layersIn(k, [6, 4, 3], [activation('tanh'), activation('linear')], 8, 1);
      const rows = rowsOf(8, 6, 1);
      expect(() => k.forwardRows([layers[1]!, layers[0]!], rows, 8, k.alloc(48), 0)).toThrow('layer 2 has 6 inputs, the layer before it 3 units');
      expect(() => k.forwardRows(layers, rows, 8, k.alloc(40), 0)).toThrow(RangeError);
    } finally {
      k.dispose();
    }
  });
});

describe.runIf(threaded)('forwardRows on the pool', () => {
  /** A 40-24-10 (tanh, softmax) net's records in the test kernels' memory, n samples, and its values computed by the export on this thread. */
  function job(kernels: ReturnType<typeof sharedKernels>, n: number) {
    const { memory, x, reserve, ws } = kernels;
    const r = new Random(9);
    const area = (floats: number, fill: boolean) => {
      const a = new Float32Array(memory.buffer, reserve(4 * floats), floats);
      if (fill) for (let i = 0; i < floats; i++) a[i] = r.normal() / 5;
      return a;
    };
    const shapes = [[24, 40, 2], [10, 24, 5]] as const; // units, inputs, act (tanh, softmax)
    const descAt = reserve(4 * LAYER.length * shapes.length);
    const i32 = new Int32Array(memory.buffer, descAt, LAYER.length * shapes.length);
    const f32 = new Float32Array(memory.buffer, descAt, LAYER.length * shapes.length);
    const outs = shapes.map(([units, inputs, act], l) => {
      const d = LAYER.length * l;
      const [W, b, z, a] = [area(units * inputs, true), area(units, true), area(units * n, false), area(units * n, false)];
      Object.assign(i32, { [d + LAYER_WORD.units]: units, [d + LAYER_WORD.inputs]: inputs, [d + LAYER_WORD.act]: act });
      i32[d + LAYER_WORD.w] = W.byteOffset;
      i32[d + LAYER_WORD.bias] = b.byteOffset;
      i32[d + LAYER_WORD.z] = z.byteOffset;
      i32[d + LAYER_WORD.a] = a.byteOffset;
      f32[d + LAYER_WORD.actAlpha] = 0;
      return { z, a };
    });
    const rows = rowsOf(n, 40, 4);
    const stage = area(n * 40, false);
    stage.set(rows);
    x.forwardRows(shapes.length, descAt, n, stage.byteOffset, ws, 0, n);
    const want = outs.map(({ z, a }) => [hex(z), hex(a)]);
    for (const { z, a } of outs) z.fill(NaN), a.fill(NaN);
    stage.fill(NaN);
    /** The copying a caller does: samples [from, to) of the rows into the stage. */
    const copy = (from: number, to: number) => stage.set(rows.subarray(from * 40, to * 40), from * 40);
    return { desc: descAt, rows, stage, copy, outs, want, layers: shapes.length, work: 2 * n * (24 * 40 + 10 * 24) };
  }

  it('the workers’ first pieces are copied before the post, the rest of theirs before STAGED 2, the caller’s own last; the values as on one thread', () => {
    const kernels = sharedKernels();
    const { pool, control } = poolOver(kernels, kernels.x);
    try {
      const n = 600;
      const j = job(kernels, n);
      for (const staged of [0, 128]) {
        j.stage.fill(NaN).set(j.rows.subarray(0, staged * 40));
        const calls: [number, number, number, number][] = [];
        const gen = control[WORDS.GEN]!;
        const took = pool.forwardRows(j.layers, j.desc, n, j.stage.byteOffset, j.work, staged, (from, to) => {
          calls.push([from, to, control[WORDS.GEN]! - gen, control[WORDS.STAGED]!]);
          j.copy(from, to);
        });
        expect(took).toBe(true);
        expect(hex(j.stage)).toBe(hex(j.rows));
        j.outs.forEach(({ z, a }, l) => expect([hex(z), hex(a)], `layer ${l + 1}`).toEqual(j.want[l]));
        // each sample copied once (from `staged` on), in three phases
        const covered = new Int32Array(n);
        for (const [from, to] of calls) for (let s = from; s < to; s++) covered[s]!++;
        expect(Array.from(covered.subarray(0, staged)).every((c) => c === 0)).toBe(true);
        expect(Array.from(covered.subarray(staged)).every((c) => c === 1)).toBe(true);
        const [workerFirst, workerRest, callerOwn] = [calls.filter((c) => c[2] === 0), calls.filter((c) => c[2] === 1 && c[3] < 2), calls.filter((c) => c[2] === 1 && c[3] === 2)];
        expect(workerFirst.length + workerRest.length + callerOwn.length).toBe(calls.length);
        expect(callerOwn).toHaveLength(1);
        // the caller's samples are the last ones, at most an even share
        expect(callerOwn[0]![1]).toBe(n);
        expect(n - callerOwn[0]![0]).toBeLessThanOrEqual(n / 2);
        expect(workerRest.length).toBeGreaterThan(0);
        if (staged === 0) expect(workerFirst.length).toBeGreaterThan(0);
      }
    } finally {
      pool.dispose();
    }
  });

  it('a copy that throws: the same error after the barrier, and the pool runs the next job', () => {
    const kernels = sharedKernels();
    const { pool } = poolOver(kernels, kernels.x);
    try {
      const n = 600;
      const j = job(kernels, n);
      let calls = 0;
      const fail = new TypeError('the rows were detached');
      expect(() =>
        pool.forwardRows(j.layers, j.desc, n, j.stage.byteOffset, j.work, 0, (from, to) => {
          if (++calls === 2) throw fail;
          j.copy(from, to);
        }),
      ).toThrow(fail);
      const { m, n: cols, k, a, b, c, single } = product(kernels, 21);
      pool.gemm(0, 0, m, cols, k, 1, a.byteOffset, b.byteOffset, 0, c.byteOffset);
      expect(Array.from(c)).toEqual(Array.from(single));
      expect(pool.forwardRows(j.layers, j.desc, n, j.stage.byteOffset, j.work, 0, j.copy)).toBe(true);
      j.outs.forEach(({ z, a: out }, l) => expect([hex(z), hex(out)], `layer ${l + 1}`).toEqual(j.want[l]));
    } finally {
      pool.dispose();
    }
  });

  it('too few samples for the threads: not taken (the kernels then go layer by layer)', () => {
    const kernels = sharedKernels();
    const { pool } = poolOver(kernels, kernels.x);
    try {
      const j = job(kernels, 200);
      expect(pool.forwardRows(j.layers, j.desc, 200, j.stage.byteOffset, j.work, 0, () => expect.unreachable())).toBe(false);
    } finally {
      pool.dispose();
    }
  });
});

describe('predict: which batches are copied in by the forward pass', () => {
  const inputs = 600;
  const spec: NetworkSpec = [inputs, { units: 12, activation: 'relu' }, { units: 4, activation: 'softmax' }];
  /** the samples whose density decides ('auto') before the rest is copied in */
  const decide = Math.ceil(DECIDE_VALUES / inputs);

  /** predict on wasm kernels whose nonZeros and forwardRows are spied on (or forwardRows removed), with the calls seen. */
  function predictWith(x: Float32Array, rows: number, withRows: boolean) {
    const k = createWasmKernelsSync({ threads: threaded ? 2 : 1, parallelMinFlops: 0 });
    const seen = { nonZeros: [] as number[], forwardRows: [] as number[] };
    const spied: Kernels = Object.create(k, {
      nonZeros: { value: (...args: Parameters<NonNullable<Kernels['nonZeros']>>) => (seen.nonZeros.push(args[1]), k.nonZeros!(...args)) },
      forwardRows: { value: withRows ? (...args: Parameters<NonNullable<Kernels['forwardRows']>>) => (seen.forwardRows.push(args[4]), k.forwardRows(...args)) : undefined },
    });
    try {
      const net = network(spec, { seed: 4, kernels: spied, loss: 'cross-entropy' });
      return { out: hex(net.predict(new Matrix(rows, inputs, x)).data), seen };
    } finally {
      k.dispose();
    }
  }

  const rows = 1000;
  const r = new Random(6);
  const dense = Float32Array.from({ length: rows * inputs }, () => (r.uniform() < 0.5 ? 0 : r.normal()));
  const sparse = Float32Array.from({ length: rows * inputs }, (_, i) => (i % 97 === 0 ? 1 : 0));
  const denseStart = Float32Array.from({ length: rows * inputs }, (_, i) => (i < decide * inputs ? dense[i]! : 0));

  it('decides by the first 110 samples (600 inputs)', () => expect(decide).toBe(110));

  it.each([
    ['half zeros: dense by its first samples, copied in by forwardRows', dense, [decide], [decide]],
    ['1% non-zero: by its non-zeros (its first samples, then all), copied in before', sparse, [decide, rows], []],
    ['a dense start and zeros after: dense by its first samples', denseStart, [decide], [decide]],
  ] as const)('%s; the same values as without forwardRows', (_, x, nonZeros, forwardRows) => {
    const got = predictWith(x, rows, true);
    expect(got.seen).toEqual({ nonZeros, forwardRows });
    const without = predictWith(x, rows, false);
    expect(without.seen.forwardRows).toEqual([]);
    expect(got.out).toBe(without.out);
  });
});
