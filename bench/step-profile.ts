// Where one training step of the modern net (784-256-128-10, ReLU, softmax cross-entropy, Adam,
// batch 128, Fashion-MNIST) spends its time: every call the step makes into the wasm kernels is
// timed (by kernel and shape), so that the products' GFLOP/s in the step can be set against their
// isolated rates (`npm run bench:gemm`) and the rest of the step (Adam, gather, guard, JavaScript)
// seen beside them.
//
//   node --import tsx bench/step-profile.ts [--threads N] [--steps S]
//
// Per kernel: mean µs per step, and the median and minimum over the steps (the median is what a
// busy machine disturbs least; run under the heavy lock anyway). "JavaScript" is the step's time
// outside kernel calls (loss, fused δ, the optimizer's bookkeeping, argument checks), on the
// calling thread while any worker waits. Timing each call adds ~0.1 µs to it.
import { loadFashionMnist } from '../src/data/mnist-family.js';
import { createWasmKernelsSync } from '../src/kernels/wasm/index.js';
import { network } from '../src/network.js';
import { adam } from '../src/optimizers/index.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const threads = arg('--threads', 2);
const steps = arg('--steps', 1000);
const batch = 128;

const kernels = createWasmKernelsSync({ threads });
// as the bench's wasm rows load it: straight into the kernels' memory (no staged copy)
const { train } = loadFashionMnist({ alloc: (n) => kernels.alloc(n) });
const net = network([784, { units: 256, activation: 'relu' }, { units: 128, activation: 'relu' }, { units: 10, activation: 'softmax' }], {
  loss: 'cross-entropy',
  seed: 1,
  kernels,
});

/** Per kernel and shape: the time of each call, in ms. */
const calls = new Map<string, number[]>();
/** The label of a call: the kernel, with the product's shape (m×n×k) or the element count. */
function label(name: string, a: unknown[]): string {
  const v = (i: number) => a[i] as number;
  if (name === 'gemm') return `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${v(2)}×${v(3)}×${v(4)}`;
  if (name === 'denseForward') return `denseForward ${v(6)}×${v(7)}×${v(8)}${a[9] ? ' (Xᵀ)' : ''}`;
  if (name === 'denseBackward') return `denseBackward ${v(9)}×${v(8)}×${v(7)}`;
  if (name === 'sumColumns') return `sumColumns ${v(2)}×${v(3)}`;
  if (name === 'maxAbs' || name === 'adamUpdate') return `${name} ${(a[0] as Float32Array).length}`;
  if (name === 'gatherColumns' || name === 'gatherRows') return `${name} ${v(1)}×${v(4)}`;
  return name;
}
let depth = 0;
const table = kernels as unknown as Record<string, unknown>;
for (const [name, f] of Object.entries(table)) {
  if (typeof f !== 'function' || name === 'alloc' || name === 'owns' || name === 'dispose') continue;
  table[name] = (...a: unknown[]) => {
    // kernels calling kernels (denseForward → activate for softmax) count in the outer call
    if (depth > 0) return (f as (...a: unknown[]) => unknown)(...a);
    depth++;
    const t0 = performance.now();
    try {
      return (f as (...a: unknown[]) => unknown)(...a);
    } finally {
      const dt = performance.now() - t0;
      depth--;
      const key = label(name, a);
      let list = calls.get(key);
      if (!list) calls.set(key, (list = []));
      list.push(dt);
    }
  };
}

const trainer = net.trainer(train.x, train.y, adam({ learningRate: 1e-3 }));
const N = train.x.rows;
const order = Uint32Array.from({ length: N }, (_, i) => (i * 7919) % N);
let at = 0;
function run(count: number): void {
  for (let s = 0; s < count; s++) {
    if (at + batch > N) at = 0;
    trainer.step(order, at, batch);
    at += batch;
  }
}
run(300); // warm-up: JIT tiers, Adam past its first steps
calls.clear();
const t0 = performance.now();
run(steps);
const total = (performance.now() - t0) * 1000;

const flopsOf = (key: string) => {
  const s = /(\d+)×(\d+)×(\d+)/.exec(key);
  return s ? 2 * Number(s[1]) * Number(s[2]) * Number(s[3]) : 0;
};
const rows = [...calls].map(([key, list]) => {
  const per = list.length / steps;
  const sorted = list.slice().sort((a, b) => a - b);
  const mean = (list.reduce((s, t) => s + t, 0) * 1000) / steps;
  return { key, per, mean, median: sorted[sorted.length >> 1]! * 1000 * per, min: sorted[0]! * 1000 * per, flops: flopsOf(key) };
});
rows.sort((a, b) => b.mean - a.mean);
const inKernels = rows.reduce((s, r) => s + r.mean, 0);
const medians = rows.reduce((s, r) => s + r.median, 0);
const js = total / steps - inKernels;
const pad = (s: string, w: number) => s.padStart(w);
console.log(`modern net, batch ${batch}, wasm ${kernels.fma ? 'FMA' : 'plain'} kernels, ${kernels.threads} thread${kernels.threads > 1 ? 's' : ''}, ${steps} steps: µs per step`);
console.log(`${'kernel'.padEnd(36)}${pad('mean', 8)}${pad('share', 7)}${pad('median', 8)}${pad('min', 8)}  GFLOP/s at the median`);
for (const r of rows) {
  const gf = r.flops ? ((r.flops * r.per) / r.median / 1e3).toFixed(1) : '';
  console.log(`${`${r.key}${r.per !== 1 ? ` (×${r.per})` : ''}`.padEnd(36)}${pad(r.mean.toFixed(1), 8)}${pad(`${((100 * r.mean) / (total / steps)).toFixed(1)}%`, 7)}${pad(r.median.toFixed(1), 8)}${pad(r.min.toFixed(1), 8)}  ${gf}`);
}
console.log(`${'JavaScript (outside kernel calls)'.padEnd(36)}${pad(js.toFixed(1), 8)}${pad(`${((100 * js) / (total / steps)).toFixed(1)}%`, 7)}`);
console.log(`step: mean ${(total / steps).toFixed(1)} µs (${Math.round((batch * steps * 1e6) / total).toLocaleString('en-US')} samples/s); kernels' medians + JavaScript ${(medians + js).toFixed(1)} µs (${Math.round((batch * 1e6) / (medians + js)).toLocaleString('en-US')} samples/s)`);
kernels.dispose();
