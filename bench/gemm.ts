// GEMM throughput of the kernels on the products a training step does, per transpose form: the
// deterministic kernels (f32x4 multiply, then add) and the FMA kernels (relaxed SIMD's
// f32x4.relaxed_madd; the default where the runtime has it) side by side, on the CPU named in the
// header.
//
//   node --import tsx bench/gemm.ts [--js] [--quick] [--threads N]
//
// Next to each product: the machine's sgemm on the same product (numpy's BLAS through
// /usr/bin/python3 with the same thread count, when it is there; OpenBLAS with
// `apt-get install -y libopenblas0-pthread`), and our share of it.
//
// Shapes: the three products of each layer of the modern net (784-256-128-10, batch 128) and of
// the textbook net (784-30-10, batch 10): forward z = W·X (NN), ∂C/∂W = δ·Xᵀ (NT) and
// ∂C/∂a_prev = Wᵀ·δ (TN, also for the first layer here, so that every form is measured at
// 784×256×128). GFLOP/s = 2·m·n·k / time, best of several timed runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { jsKernels } from '../src/kernels/js.js';
import { createWasmKernelsSync } from '../src/kernels/wasm/index.js';
import type { Kernels } from '../src/kernels/types.js';

interface Shape {
  net: string;
  what: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

/** The three products of a dense layer with `units` outputs and `inputs` inputs at batch n. */
function layer(net: string, l: number, inputs: number, units: number, n: number): Shape[] {
  return [
    { net, what: `L${l} W·X    (NN)`, transA: false, transB: false, m: units, n, k: inputs },
    { net, what: `L${l} δ·Xᵀ   (NT)`, transA: false, transB: true, m: units, n: inputs, k: n },
    { net, what: `L${l} Wᵀ·δ   (TN)`, transA: true, transB: false, m: inputs, n, k: units },
  ];
}

const shapes: Shape[] = [
  ...layer('modern 784-256-128-10, batch 128', 1, 784, 256, 128),
  ...layer('modern 784-256-128-10, batch 128', 2, 256, 128, 128),
  ...layer('modern 784-256-128-10, batch 128', 3, 128, 10, 128),
  ...layer('textbook 784-30-10, batch 10', 1, 784, 30, 10),
  ...layer('textbook 784-30-10, batch 10', 2, 30, 10, 10),
];

const quick = process.argv.includes('--quick');
const withJs = process.argv.includes('--js');

function fill(a: Float32Array): Float32Array {
  let s = 12345;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

function gflops(kernels: Kernels, s: Shape): number {
  const A = fill(kernels.alloc(s.m * s.k));
  const B = fill(kernels.alloc(s.k * s.n));
  const C = kernels.alloc(s.m * s.n);
  const flop = 2 * s.m * s.n * s.k;
  const target = quick ? 0.01 : 0.02;
  let reps = 1;
  // Warm up and find a repetition count that takes a measurable time.
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) kernels.gemm(s.transA, s.transB, s.m, s.n, s.k, 1, A, B, 0, C);
    const dt = (performance.now() - t0) / 1000;
    if (dt > target) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let run = 0; run < (quick ? 5 : 25); run++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) kernels.gemm(s.transA, s.transB, s.m, s.n, s.k, 1, A, B, 0, C);
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return flop / best / 1e9;
}

const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : 1;
const wasm = createWasmKernelsSync({ threads, parallelMinFlops: 0, deterministic: true });
const fma = createWasmKernelsSync({ threads, parallelMinFlops: 0 });
// Let V8 tier the modules up (Liftoff → TurboFan) before anything is timed.
for (const s of shapes) {
  gflops(wasm, s);
  if (fma.fma) gflops(fma, s);
}
/** numpy's sgemm on the same shapes and thread count, or null when /usr/bin/python3 has no numpy. */
function machineSgemm(): { blas: string; gflops: number[] } | null {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return null;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(wasm.threads), OMP_NUM_THREADS: String(wasm.threads) };
  try {
    const out = execFileSync(python, [new URL('./sgemm_peak.py', import.meta.url).pathname], { input: JSON.stringify(shapes), env, encoding: 'utf8' });
    return JSON.parse(out) as { blas: string; gflops: number[] };
  } catch {
    return null;
  }
}

const peak = machineSgemm();
const plural = wasm.threads > 1 ? 's' : '';
console.log(`GEMM, ${wasm.threads} thread${plural}, float32 (${wasm.shared ? 'shared' : 'plain'} memory), GFLOP/s, on ${cpus()[0]?.model.trim() ?? 'an unknown CPU'} (${cpus().length} logical cores)`);
console.log(`  plain: deterministic kernels (f32x4 mul + add); fma: ${fma.fma ? 'relaxed SIMD kernels (f32x4.relaxed_madd), the default' : 'not available here (no relaxed SIMD)'}`);
if (peak) console.log(`  machine sgemm: numpy with ${peak.blas}, ${wasm.threads} thread${plural}`);
let net = '';
const header =
  `  ${'product'.padEnd(18)} ${'m×n×k'.padEnd(14)} ${'plain'.padStart(7)} ${'fma'.padStart(7)} ${'fma/plain'.padStart(9)}` +
  `${withJs ? '     js' : ''}${peak ? '  sgemm  fma/sgemm' : ''}`;
shapes.forEach((s, i) => {
  if (s.net !== net) {
    net = s.net;
    console.log(`\n${net}\n${header}`);
  }
  const w = gflops(wasm, s);
  const f = fma.fma ? gflops(fma, s) : NaN;
  const j = withJs ? gflops(jsKernels, s) : NaN;
  const best = fma.fma ? f : w;
  const p = peak ? `${peak.gflops[i]!.toFixed(1).padStart(7)}  ${(best / peak.gflops[i]!).toFixed(2).padStart(9)}` : '';
  console.log(
    `  ${s.what.padEnd(18)} ${`${s.m}×${s.n}×${s.k}`.padEnd(14)} ${w.toFixed(1).padStart(7)} ${f.toFixed(1).padStart(7)} ${(f / w).toFixed(2).padStart(9)}` +
      `${withJs ? j.toFixed(2).padStart(7) : ''}${p}`,
  );
});
wasm.dispose();
fma.dispose();
