/**
 * `npm run bench -- --sweep`: how the cost of a training step grows with the width of the net and
 * with the batch size. The sweep's nets are described here once (sweepSpec); its jobs are ordinary
 * benchmark jobs (one child process each, the same runners and timing protocol) that stop after
 * the training throughput (`trainOnly`). The curves go to JSON and to an SVG chart (svg.ts).
 */
import type { BenchOptions } from './cli.js';
import { SYNTHETIC_SIZES } from './data.js';
import type { gitState, Machine } from './environment.js';
import type { NetSpec } from './nets.js';
import { loadCommand } from './contention.js';
import { INFER_BATCH, variants, type Availability } from './plan.js';
import { isNoisy, NOISY_OTHER_CORES } from './report.js';
import type { Job, LibraryName, SweepNetName, Timing, TrainResult } from './protocol.js';
import { chartSvg, type Panel, type Series } from './svg.js';

/** The points of the sweep: widths at a fixed batch size, batch sizes at a fixed width. */
export interface SweepGrid {
  widths: readonly number[];
  batches: readonly number[];
  /** The batch size of the width family. */
  fixedBatch: number;
  /** The width of the batch family. */
  fixedWidth: number;
}

export const SWEEP_GRID: SweepGrid = {
  widths: [32, 64, 128, 256, 512, 1024, 2048],
  batches: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  fixedBatch: 128,
  fixedWidth: 256,
};
export const QUICK_SWEEP_GRID: SweepGrid = { widths: [32, 256, 2048], batches: [1, 16, 128, 1024], fixedBatch: 128, fixedWidth: 256 };

/**
 * Short segments: a sweep point is a rate, not a headline, and there are 17 points × 5 rows. One
 * step is enough for a segment (a step of the widest net takes a large fraction of a second).
 */
export const SWEEP_TIMING: Timing = { warmupSeconds: 0.3, warmupSteps: 2, segments: 3, segmentSeconds: 0.4, minSegmentSteps: 1, latencySeconds: 0 };
export const QUICK_SWEEP_TIMING: Timing = { warmupSeconds: 0.1, warmupSteps: 2, segments: 3, segmentSeconds: 0.1, minSegmentSteps: 1, latencySeconds: 0 };

/** The libraries a sweep runs unless --library says otherwise. */
export const SWEEP_LIBRARIES: readonly LibraryName[] = ['backprop', 'tfjs-wasm', 'pytorch'];

/** Fashion-MNIST's shape: 784 inputs, 10 classes (the data itself is synthetic, see data.ts). */
const INPUTS = 784;
const CLASSES = 10;

/** The sweep's net at one point: the modern net's recipe with two hidden layers of `width` units. */
export function sweepSpec(width: number, batch: number): NetSpec {
  return {
    name: sweepNetName(width, batch),
    sizes: [INPUTS, width, width, CLASSES],
    hidden: 'relu',
    output: 'softmax',
    loss: 'cross-entropy',
    optimizer: 'adam',
    learningRate: 1e-3,
    batchSize: batch,
    data: 'synthetic',
    description: `${INPUTS}-${width}-${width}-${CLASSES} ReLU, softmax cross-entropy, Adam 1e-3, batch ${batch}, synthetic dense inputs`,
  };
}

function sweepNetName(width: number, batch: number): SweepNetName {
  return `sweep-${width}x${batch}`;
}

/** Every net of the grid once: the width family, then the batch family (their shared point is measured once). */
export function sweepNets(grid: SweepGrid): NetSpec[] {
  const points = [...grid.widths.map((w) => [w, grid.fixedBatch] as const), ...grid.batches.map((b) => [grid.fixedWidth, b] as const)];
  const specs = new Map<string, NetSpec>();
  for (const [w, b] of points) specs.set(sweepNetName(w, b), sweepSpec(w, b));
  return [...specs.values()];
}

export function sweepGrid(options: Pick<BenchOptions, 'quick'>): SweepGrid {
  return options.quick ? QUICK_SWEEP_GRID : SWEEP_GRID;
}

/**
 * The sweep's jobs, net by net (all rows of one point one after another, so a passing disturbance
 * hits one point rather than one library), and why any rows were left out. backprop's js kernels
 * are left out: they are the reference path, not the fast one; onnxruntime only infers. A quick sweep keeps each library's
 * all-threads row only.
 */
export function sweepPlan(options: BenchOptions, available: Availability): { jobs: Job[]; skipped: string[] } {
  const rows = variants({ ...options, libraries: options.libraries ?? [...SWEEP_LIBRARIES] }, available);
  const chosen = rows.variants.filter((v) => !(v.library === 'backprop' && v.backend === 'js') && v.library !== 'onnxruntime');
  const jobs = sweepNets(sweepGrid(options)).flatMap((spec) =>
    chosen.map(
      (v): Job => ({
        net: spec.name as SweepNetName,
        spec,
        ...v,
        epochs: 0, // (no accuracy run)
        seed: options.seed,
        trainSamples: null,
        testSamples: null,
        inferBatch: INFER_BATCH,
        timing: options.quick ? QUICK_SWEEP_TIMING : SWEEP_TIMING,
        trainOnly: true,
        load: options.contended ? loadCommand(options.contendedCore) : null,
      }),
    ),
  );
  return { jobs, skipped: rows.skipped };
}

/** Adam's arithmetic per parameter: m ← β₁m + (1−β₁)g (3), v ← β₂v + (1−β₂)g² (4), θ ← θ − α̂·m/(√v + ε̂) (5). */
const ADAM_FLOPS_PER_PARAMETER = 12;
/** SGD's: θ ← θ − η·g. */
const SGD_FLOPS_PER_PARAMETER = 2;

/**
 * Floating-point operations of one training step of a dense net on a batch of B samples, layer l
 * taking n(l−1) inputs to n(l) units (a multiply-add counts 2, a sum of B terms B):
 *   forward    z(l) = W(l)·a(l−1) + b(l)               2·B·n(l−1)·n(l) + B·n(l)
 *   backward   ∂C/∂W(l) = δ(l)·a(l−1)ᵀ, ∂C/∂b(l) = Σ δ  2·B·n(l−1)·n(l) + B·n(l)
 *              δ(l−1) = W(l)ᵀ·δ(l), l ≥ 2               2·B·n(l−1)·n(l)   (the input needs no δ)
 *   update     per parameter, P = Σ (n(l−1) + 1)·n(l)  12·P (Adam) or 2·P (SGD)
 * Left out: activations and their derivatives (ReLU is a comparison), softmax and the loss. They
 * are O(B·Σn) against O(B·Σn(l−1)·n(l)): under 1% of the count at every point of the sweep.
 */
export function flopsPerStep(spec: Pick<NetSpec, 'sizes' | 'batchSize' | 'optimizer'>): number {
  const B = spec.batchSize;
  const n = spec.sizes;
  let flops = 0;
  for (let l = 1; l < n.length; l++) {
    const product = 2 * B * n[l - 1]! * n[l]!;
    flops += product + B * n[l]!; // forward
    flops += product + B * n[l]!; // ∂C/∂W, ∂C/∂b
    if (l >= 2) flops += product; // δ(l−1)
    const P = (n[l - 1]! + 1) * n[l]!;
    flops += (spec.optimizer === 'adam' ? ADAM_FLOPS_PER_PARAMETER : SGD_FLOPS_PER_PARAMETER) * P;
  }
  return flops;
}

/** One measured point of a curve. */
export interface SweepPoint {
  width: number;
  batch: number;
  samplesPerSec: number;
  /** flopsPerStep × steps per second, in 10⁹ per second. */
  gflops: number;
  /** Other processes took more than NOISY_OTHER_CORES while it was timed (a ring on the chart). */
  suspect: boolean;
}

/** One row (library, backend, threads) across the grid. */
export interface SweepCurve {
  name: string;
  library: LibraryName;
  backend: string;
  threads: number;
  /** The width family (batch = grid.fixedBatch), by width. */
  width: SweepPoint[];
  /** The batch family (width = grid.fixedWidth), by batch size. */
  batch: SweepPoint[];
}

const LIBRARY_NAMES: Record<LibraryName, string> = {
  backprop: 'backprop',
  'tfjs-cpu': 'TF.js cpu',
  'tfjs-wasm': 'TF.js wasm',
  'jax-js': 'jax-js',
  pytorch: 'PyTorch',
  onnxruntime: 'onnxruntime',
};

/** The curves of a sweep's results; a failed job leaves a gap in its curve. */
export function sweepCurves(results: readonly TrainResult[], grid: SweepGrid): SweepCurve[] {
  const specs = new Map(sweepNets(grid).map((s) => [s.name, s]));
  const curves = new Map<string, SweepCurve>();
  for (const r of results) {
    const spec = specs.get(r.net);
    if (!spec || r.trainSamplesPerSec === null) continue; // (null: an inference engine's row, never in a sweep)
    const key = `${r.library} ${r.backend} ${r.threads}`;
    let curve = curves.get(key);
    if (!curve) {
      const backend = r.library === 'backprop' ? ` ${r.backend}` : '';
      curve = { name: `${LIBRARY_NAMES[r.library]}${backend}, ${r.threads} thread${r.threads === 1 ? '' : 's'}`, library: r.library, backend: r.backend, threads: r.threads, width: [], batch: [] };
      curves.set(key, curve);
    }
    const width = spec.sizes[1]!;
    const point: SweepPoint = { width, batch: spec.batchSize, samplesPerSec: r.trainSamplesPerSec, gflops: round3((flopsPerStep(spec) * r.trainSamplesPerSec) / spec.batchSize / 1e9), suspect: isNoisy(r) };
    if (spec.batchSize === grid.fixedBatch) curve.width.push(point);
    if (width === grid.fixedWidth) curve.batch.push(point);
  }
  for (const c of curves.values()) {
    c.width.sort((a, b) => a.width - b.width);
    c.batch.sort((a, b) => a.batch - b.batch);
  }
  return [...curves.values()];
}

/** Colours by library (solid: its fastest configuration; dashed: its one-thread row beside a multi-thread one). */
const COLOURS: Record<LibraryName, string> = {
  backprop: '#1864ab',
  'tfjs-cpu': '#7048e8',
  'tfjs-wasm': '#2b8a3e',
  'jax-js': '#a61e4d',
  pytorch: '#d9480f',
  onnxruntime: '#495057',
};

/** The sweep's chart: samples/s and GFLOP/s against width (top row) and against batch size (bottom row). */
export function sweepChart(curves: readonly SweepCurve[], grid: SweepGrid, about: { machine: Machine; commit: string; date: string }): string {
  const series = (pick: (c: SweepCurve) => SweepPoint[], x: (p: SweepPoint) => number, y: (p: SweepPoint) => number): Series[] =>
    curves.map((c) => ({
      name: c.name,
      colour: COLOURS[c.library],
      dashed: curves.some((o) => o.library === c.library && o.threads > c.threads),
      points: pick(c).map((p) => [x(p), y(p), p.suspect] as const),
    }));
  const widthAxis = { label: `width w of both hidden layers (batch ${grid.fixedBatch})`, ticks: grid.widths };
  const batchAxis = { label: `batch size (width ${grid.fixedWidth})`, ticks: grid.batches };
  const panels: Panel[] = [
    { title: 'samples/s against width', x: widthAxis, y: { label: 'training samples/s' }, series: series((c) => c.width, (p) => p.width, (p) => p.samplesPerSec) },
    { title: 'GFLOP/s against width', x: widthAxis, y: { label: 'GFLOP/s' }, series: series((c) => c.width, (p) => p.width, (p) => p.gflops) },
    { title: 'samples/s against batch size', x: batchAxis, y: { label: 'training samples/s' }, series: series((c) => c.batch, (p) => p.batch, (p) => p.samplesPerSec) },
    { title: 'GFLOP/s against batch size', x: batchAxis, y: { label: 'GFLOP/s' }, series: series((c) => c.batch, (p) => p.batch, (p) => p.gflops) },
  ];
  return chartSvg({
    title: `Training cost of a ${INPUTS}-w-w-${CLASSES} ReLU net (Adam, softmax cross-entropy)`,
    notes: [
      `${about.machine.model}, ${about.machine.cpus} cores, Node ${about.machine.node}; ${about.date.slice(0, 10)}, commit ${about.commit}`,
      'synthetic dense inputs; median of timed segments after warm-up; GFLOP/s from the exact flop count of forward, backward and update (bench/sweep.ts)',
      ...(curves.some((c) => [...c.width, ...c.batch].some((p) => p.suspect)) ? [`rings: other processes took over ${NOISY_OTHER_CORES} cores while the point was timed (suspect)`] : []),
    ],
    panels,
    columns: 2,
  });
}

/** What the harness knows about a finished sweep besides its results. */
export interface SweepRun {
  started: Date;
  stamp: string;
  host: Machine;
  git: ReturnType<typeof gitState>;
  jobs: readonly Job[];
  failures: readonly unknown[];
  notes: readonly string[];
}

/** The sweep's JSON report, its chart and a few lines of its curves for the terminal. */
export function sweepReport(options: BenchOptions, results: readonly TrainResult[], run: SweepRun & { versions: Record<string, string> }) {
  const grid = sweepGrid(options);
  const curves = sweepCurves(results, grid);
  const date = run.started.toISOString();
  const report = {
    date,
    machine: run.host,
    versions: { ...run.versions, ...(results.find((r) => r.library === 'pytorch')?.versions ?? {}) },
    git: run.git,
    settings: {
      quick: options.quick,
      seed: options.seed,
      timing: run.jobs[0]?.timing ?? null,
      grid,
      data: `synthetic: ${SYNTHETIC_SIZES.train} seeded samples, inputs uniform in (0, 1), random classes (bench/data.ts)`,
      method:
        'one child process per point and row, one after another; training throughput only: warm-up excluded, median of ' +
        'timed segments (full batches, shuffled); GFLOP/s = flopsPerStep (bench/sweep.ts: forward, backward and Adam update) × steps/s',
    },
    nets: Object.fromEntries([...new Set(run.jobs.map((j) => j.spec))].map((s) => [s.name, s.description])),
    results: results.map(({ versions: _v, ...r }) => r),
    curves,
    failures: run.failures,
    notes: run.notes,
    seconds: Math.round((Date.now() - run.started.getTime()) / 1000),
  };
  const brief = (points: SweepPoint[], x: (p: SweepPoint) => string) => points.map((p) => `${x(p)} ${Math.round(p.samplesPerSec)}/s ${p.gflops} GFLOP/s`).join(', ');
  const summary = curves
    .map((c) => `${c.name}: ${brief(c.width, (p) => `w${p.width}`)}\n${' '.repeat(c.name.length)}  ${brief(c.batch, (p) => `b${p.batch}`)}`)
    .join('\n');
  return { report, svg: sweepChart(curves, grid, { machine: run.host, commit: run.git.commit, date }), summary };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
