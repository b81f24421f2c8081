// The thread-job protocol, described once in src/kernels/wasm/jobs.ts: every job in the table,
// written into a control block from its description and run by runJob as a one-thread job, writes
// exactly what a direct call of its wasm export with the same arguments writes. So runJob reads
// each parameter the pool writes, by name, and passes it where the export takes it.
import { describe, expect, it } from 'vitest';
import { wasmBytes } from '../../src/kernels/wasm/index.js';
import { CONTROL_WORDS, JOBS, type JobName, jobLayoutHash, jobSlots, LAYER, putParam, WORDS } from '../../src/kernels/wasm/jobs.js';
import { Random } from '../../src/random.js';

/**
 * How an export takes the thread's block after the job's parameters: tile (ws, i0, i1, j0, j1),
 * rows (i0, i1), samples (j0, j1), in the job's own `count` (elements), or pieces (ws, j0, j1: the
 * job runs samples [j0, i0) and [i0, j1) of its block as two calls).
 */
type Block = 'tile' | 'rows' | 'samples' | 'elements' | 'pieces';
const BLOCK: Record<JobName, Block> = {
  gemm: 'tile',
  denseForward: 'tile',
  denseBackward: 'tile',
  sparseForward: 'rows',
  sparseWeightGradient: 'rows',
  sumColumns: 'elements',
  adamUpdate: 'elements',
  rmspropUpdate: 'elements',
  sgdUpdate: 'elements',
  momentumUpdate: 'elements',
  gatherRows: 'samples',
  gatherColumns: 'samples',
  maxAbs: 'elements',
  forwardRows: 'pieces',
};

/** Integer parameters by name: sizes all different, so that a job reading one in place of another is caught. */
const INTS: Record<string, number> = { m: 24, n: 20, k: 16, units: 24, count: 37, cols: 12, transA: 1, transB: 0, transX: 1, act: 2 /* tanh */, nesterov: 1, layers: 2 };
/** forwardRows: where the first piece of its block ends. */
const PIECE = 7;
/** Samples a gatherRows job copies (its export has no count: only the block). */
const GATHERED = 20;
/** Floats in each pointer parameter's array: more than any job touches at the sizes above. */
const FLOATS = 4096;

describe('thread jobs', () => {
  it('the wasm module was built from this description (jobLayout)', () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
    const x = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(true)), { env: { memory } }).exports as unknown as { jobLayout(): number };
    expect(x.jobLayout()).toBe(jobLayoutHash());
  });

  for (const name of Object.keys(JOBS) as JobName[]) {
    it(`${name}: runJob on the parameters the description writes equals the direct ${name} call, bit for bit`, () => {
      const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
      const x = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(true)), { env: { memory } }).exports as unknown as Record<string, (...args: number[]) => number> & {
        heapBase(): number;
        workspaceBytes(): number;
      };
      let top = (x.heapBase() + 15) & ~15;
      const reserve = (bytes: number) => ((top += (bytes + 15) & ~15), top - ((bytes + 15) & ~15));
      const ws = reserve(x.workspaceBytes());
      const control = reserve(4 * CONTROL_WORDS);
      const views = { i32: new Int32Array(memory.buffer, control, CONTROL_WORDS), f32: new Float32Array(memory.buffer, control, CONTROL_WORDS), f64: new Float64Array(memory.buffer, control, CONTROL_WORDS / 2) };

      const s = jobSlots()[name];
      const rng = new Random(s.op);
      const arrays: Uint32Array[] = [];
      const args = s.names.map((p, i) => {
        const type = s.types[i];
        if (type === 'i32') {
          expect(INTS[p], `a value for the integer parameter ${p}`).toBeDefined();
          return INTS[p]!;
        }
        if (type === 'f32' || type === 'f64') return 0.25 + rng.uniform();
        const a = new Float32Array(memory.buffer, reserve(4 * FLOATS), FLOATS);
        const bits = new Uint32Array(a.buffer, a.byteOffset, FLOATS);
        // index arrays hold valid indices: gather rows < 8, sparse offsets 2 per sample/row, indices < k
        if (p === 'idx') bits.forEach((_, j) => (bits[j] = rng.int(8)));
        else if (p === 'start') bits.forEach((_, j) => (bits[j] = 2 * j));
        else if (p === 'index') bits.forEach((_, j) => (bits[j] = j % INTS.k!));
        else a.forEach((_, j) => (a[j] = 2 * rng.uniform() - 1));
        arrays.push(bits);
        return a.byteOffset;
      });
      const byName = (p: string) => args[s.names.indexOf(p)]!;
      // forwardRows' layer records: k → 6 tanh → 5 softmax, over arrays of their own
      if (name === 'forwardRows') {
        const area = (floats: number) => {
          const a = new Float32Array(memory.buffer, reserve(4 * floats), floats);
          a.forEach((_, j) => (a[j] = 2 * rng.uniform() - 1));
          arrays.push(new Uint32Array(a.buffer, a.byteOffset, floats));
          return a.byteOffset;
        };
        const n = byName('n');
        const shapes = [[6, INTS.k!, 2], [5, 6, 5]] as const;
        const desc = byName('desc');
        shapes.forEach(([units, inputs, act], l) => {
          const record = [units, inputs, area(units * inputs), area(units), act, 0, area(units * n), area(units * n)];
          LAYER.forEach((field, f) => {
            const o = desc + 4 * (LAYER.length * l + f);
            if (field.endsWith('f32')) new Float32Array(memory.buffer, o, 1)[0] = 0.5;
            else new Int32Array(memory.buffer, o, 1)[0] = record[f]!;
          });
        });
      }
      const before = arrays.map((a) => a.slice());

      const end = BLOCK[name] === 'samples' ? (name === 'gatherRows' ? GATHERED : byName('n')) : BLOCK[name] === 'elements' ? byName(name === 'sumColumns' ? 'units' : 'count') : BLOCK[name] === 'pieces' ? 0 : byName('m');
      const range = BLOCK[name] === 'tile' ? [0, end, 0, byName('n')] : BLOCK[name] === 'pieces' ? [PIECE, 0, 0, byName('n')] : [0, end, 0, 0];
      const block = { tile: [ws, ...range], rows: [0, end], samples: [0, end], elements: [], pieces: [ws, 0, byName('n')] }[BLOCK[name]];
      const direct = x[name]!(...args, ...block);
      const want = arrays.map((a) => a.slice());

      arrays.forEach((a, i) => a.set(before[i]!));
      views.i32[WORDS.OP] = s.op;
      args.forEach((v, i) => putParam(views, s, i, v));
      views.i32.set(range, WORDS.RANGES);
      views.i32[WORDS.SIZE] = 1;
      views.i32[WORDS.CLAIMS] = -1;
      // (forwardRows: the caller has copied every sample in)
      views.i32[WORDS.STAGED] = 2;
      x.runJob!(control, 0, ws);

      expect(want.some((a, i) => a.some((v, j) => v !== before[i]![j])) || name === 'maxAbs', 'the direct call wrote something').toBe(true);
      arrays.forEach((a, i) => expect(Array.from(a), `${s.names.filter((_, j) => s.types[j] === 'ptr')[i]}`).toEqual(Array.from(want[i]!)));
      if (name === 'maxAbs') {
        expect(direct).toBeGreaterThan(0);
        expect(views.f32[WORDS.RANGES + 2]).toBe(direct);
      }
    });
  }
});
