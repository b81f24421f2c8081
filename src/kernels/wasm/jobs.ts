/**
 * The thread pool's protocol, described once: the control block's words and each job's op code and
 * parameters. The pool (threads.ts) writes a job's parameters from this table, and
 * scripts/build-wasm.mjs generates from it assembly/jobs.ts, whose readers runJob in
 * assembly/kernels.ts uses: the two sides agree by construction. The generated module also returns
 * the table's hash (jobLayout), which the pool checks against its own, so a stale binary is caught.
 *
 * This module is read by the build script too: plain data and pure functions only.
 */

/** A parameter's type: a 32-bit integer, a byte offset into the memory, a float32, a float64 (two words, 8-byte aligned). */
export type ParamType = 'i32' | 'ptr' | 'f32' | 'f64';

/** Word offsets in the control block (one Int32Array over it; the assembly side adds them to its byte offset × 4). */
export const WORDS = {
  /** bumped by the caller for every job */
  GEN: 0,
  /** the GEN whose block 0 the caller has finished (on GEN's line, which the workers poll) */
  CALLER: 1,
  /** µs the workers have waited for the caller to finish block 0, summed until the caller takes them */
  LATE: 2,
  /** blocks other than block 0 finished (own cache line) */
  DONE: 16,
  /** bit t (word TAKEN + (t >> 5)): block t of the current job has been taken; on DONE's line, which the caller reads anyway */
  TAKEN: 17,
  /** workers that have instantiated the module */
  READY: 32,
  /** 1 when a worker failed a job */
  ERROR: 33,
  /** forwardRows: how far the caller has copied the samples in (1: every worker's first piece, 2: all of the workers' samples) */
  STAGED: 34,
  /** threads in the current job */
  SIZE: 36,
  /** the job's op code */
  OP: 40,
  /** the job's parameters, P..RANGES − 1 (even: a float64 parameter is 8-byte aligned) */
  P: 42,
  /** i0, i1, j0, j1 per thread (forwardRows: samples [j0, j1), its first piece [j0, i0)) */
  RANGES: 64,
  /** each thread's claim word for sharing a product's last depth block (assembly/kernels.ts, lastBlockShared): RANGES + 4 · MAX_THREADS */
  CLAIMS: 320,
} as const;

export const MAX_THREADS = 64;
export const CONTROL_WORDS = WORDS.CLAIMS + MAX_THREADS;

/**
 * Each job: its parameters by name and type, in the order of the wasm export it runs, without the
 * thread's block (ws, i0, i1, j0, j1: from RANGES) — an elementwise job's `count` is split into
 * blocks [i0, i1) of it. The op code is the position in this table, from 1.
 */
export const JOBS = {
  gemm: ['transA: i32', 'transB: i32', 'm: i32', 'n: i32', 'k: i32', 'alpha: f32', 'a: ptr', 'b: ptr', 'beta: f32', 'c: ptr'],
  denseForward: ['m: i32', 'n: i32', 'k: i32', 'w: ptr', 'x: ptr', 'transX: i32', 'bias: ptr', 'act: i32', 'actAlpha: f32', 'z: ptr', 'aOut: ptr'],
  denseBackward: ['m: i32', 'n: i32', 'k: i32', 'w: ptr', 'delta: ptr', 'act: i32', 'actAlpha: f32', 'zPrev: ptr', 'aPrev: ptr', 'dAPrev: ptr', 'deltaPrev: ptr'],
  sparseForward: ['m: i32', 'n: i32', 'k: i32', 'w: ptr', 'start: ptr', 'index: ptr', 'value: ptr', 'bias: ptr', 'act: i32', 'actAlpha: f32', 'z: ptr', 'aOut: ptr'],
  sparseWeightGradient: ['m: i32', 'n: i32', 'k: i32', 'alpha: f32', 'delta: ptr', 'start: ptr', 'index: ptr', 'value: ptr', 'dW: ptr'],
  sumColumns: ['out: ptr', 'x: ptr', 'units: i32', 'n: i32', 'alpha: f64'],
  adamUpdate: ['theta: ptr', 'g: ptr', 'm: ptr', 'v: ptr', 'lrc1: f32', 'beta1: f32', 'oneMinusBeta1: f32', 'beta2: f32', 'oneMinusBeta2: f32', 'eps: f32', 'invc2: f32', 'count: i32'],
  rmspropUpdate: ['theta: ptr', 'g: ptr', 'v: ptr', 'lr: f32', 'rho: f32', 'oneMinusRho: f32', 'eps: f32', 'count: i32'],
  sgdUpdate: ['theta: ptr', 'g: ptr', 'lr: f32', 'count: i32'],
  momentumUpdate: ['theta: ptr', 'g: ptr', 'v: ptr', 'lr: f32', 'mu: f32', 'nesterov: i32', 'count: i32'],
  gatherRows: ['src: ptr', 'cols: i32', 'idx: ptr', 'dst: ptr'],
  gatherColumns: ['src: ptr', 'cols: i32', 'idx: ptr', 'dst: ptr', 'n: i32'],
  maxAbs: ['x: ptr', 'count: i32'],
  forwardRows: ['layers: i32', 'desc: ptr', 'n: i32', 'x: ptr'],
} as const satisfies Record<string, readonly `${string}: ${ParamType}`[]>;

/**
 * A forwardRows job's layers: `desc` holds one record per layer, in this order, LAYER.length words
 * each (act: the kernels' activation id, softmax included).
 */
export const LAYER = ['units: i32', 'inputs: i32', 'w: ptr', 'bias: ptr', 'act: i32', 'actAlpha: f32', 'z: ptr', 'a: ptr'] as const satisfies readonly `${string}: ${Exclude<ParamType, 'f64'>}`[];

/** Each LAYER field's word in a record. */
export const LAYER_WORD = Object.fromEntries(LAYER.map((f, i) => [f.split(': ')[0], i])) as { readonly [F in (typeof LAYER)[number] as F extends `${infer N}: ${string}` ? N : never]: number };

export type JobName = keyof typeof JOBS;
/** A job's parameters as numbers, one per entry of its description (the pool's writer takes them in this order). */
export type JobArgs<N extends JobName> = Numbers<(typeof JOBS)[N]>;
type Numbers<T extends readonly unknown[]> = { -readonly [I in keyof T]: number };

/** The op that stops the workers (not a job: no thread runs it). */
export const OP_EXIT = -1;

/** A job as the pool writes it: its op code, and per parameter its word in the control block and its type. */
export interface JobSlots<N extends JobName = JobName> {
  readonly name: N;
  readonly op: number;
  readonly names: readonly string[];
  readonly words: readonly number[];
  readonly types: readonly ParamType[];
}

/** Each job's op code and parameter words: laid out from P in order, a float64 on an even word. */
export function jobSlots(): { [N in JobName]: JobSlots<N> } {
  const slots = {} as Record<JobName, JobSlots>;
  (Object.keys(JOBS) as JobName[]).forEach((name, i) => {
    const params = JOBS[name].map((p) => p.split(': '));
    const names = params.map(([n]) => n!);
    const types = params.map(([, t]) => t as ParamType);
    const words: number[] = [];
    let w = WORDS.P;
    for (const t of types) {
      if (t === 'f64') w += w & 1;
      words.push(w);
      w += t === 'f64' ? 2 : 1;
    }
    if (w > WORDS.RANGES) throw new Error(`job ${name}: its parameters do not fit between P and RANGES`);
    slots[name] = { name, op: i + 1, names, words, types };
  });
  return slots as { [N in JobName]: JobSlots<N> };
}

/** Int32, Float32 and Float64 views over the control block. */
export interface ControlViews {
  readonly i32: Int32Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

/** Stores parameter i of job s (none when the job has fewer), of the type the description gives it: a 32-bit integer and a pointer are the same bits. */
export function putParam(c: ControlViews, s: JobSlots, i: number, v: number): void {
  if (i >= s.words.length) return;
  const w = s.words[i]!;
  const type = s.types[i];
  if (type === 'f32') c.f32[w] = v;
  else if (type === 'f64') c.f64[w >> 1] = v;
  else c.i32[w] = v;
}

/** The whole description hashed into an i32 (h·31 + each character code of its JSON), which the wasm module returns from jobLayout(). */
export function jobLayoutHash(): number {
  const text = JSON.stringify({ WORDS, MAX_THREADS, OP_EXIT, JOBS, LAYER });
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
