// predict called in bursts: two nets, each on its own two-thread wasm kernels, take turns in one
// process every 200 ms, so that each one's kernels are idle between their bursts (a server between
// requests, a page between frames). Their calls should take as long as in one continuous run: the
// pacer (src/kernels/wasm/pacer.ts) must not take the idle time for a slow thread.
//
//   node --import tsx bench/bursts.ts [--turns N]
//
// The textbook net (784-30-10, sigmoid) on 1000-sample batches of seeded inputs, half of them exact
// zeros (as Fashion-MNIST), cycling through 10 batches (31 MB). Prints µs per call: the median call
// of a continuous run, and the median over turns of each turn's mean call.
import { cpus } from 'node:os';
import { createWasmKernelsSync } from '../src/kernels/wasm/index.js';
import { network } from '../src/network.js';
import { Random } from '../src/random.js';
import { Matrix } from '../src/tensor/matrix.js';
import { median } from './measure.js';

const turnsArg = process.argv.indexOf('--turns');
const turns = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 30;
const TURN_MS = 200;
const rows = 1000;
const batches = 10;
const inputs = 784;

const r = new Random(1);
const x = Float32Array.from({ length: rows * batches * inputs }, () => (r.uniform() < 0.5 ? 0 : r.uniform()));
const views = Array.from({ length: batches }, (_, b) => new Matrix(rows, inputs, x.subarray(b * rows * inputs, (b + 1) * rows * inputs)));

function make() {
  const kernels = createWasmKernelsSync({ threads: 2 });
  const net = network([inputs, { units: 30, activation: 'sigmoid' }, { units: 10, activation: 'sigmoid' }], { seed: 1, kernels });
  let call = 0;
  return { kernels, predict: () => net.predict(views[call++ % batches]!) };
}
const nets = [make(), make()];

/** Calls `predict` for `ms`; returns each call's µs. */
function run(predict: () => unknown, ms: number): number[] {
  const times: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    predict();
    times.push((performance.now() - t0) * 1000);
  }
  return times;
}

for (const n of nets) run(n.predict, 1000);
const continuous = median(run(nets[0]!.predict, 3000));
const perTurn: number[] = [];
for (let t = 0; t < turns; t++) {
  for (const n of nets) {
    const times = run(n.predict, TURN_MS);
    perTurn.push(times.reduce((s, v) => s + v, 0) / times.length);
  }
}
const inTurns = median(perTurn);
console.log(`predict, textbook net, batches of ${rows}, wasm 2 threads, on ${cpus()[0]?.model.trim() ?? 'an unknown CPU'} (${cpus().length} logical cores)`);
console.log(`  continuous:               ${continuous.toFixed(1)} µs a call (median call)`);
console.log(`  two nets taking turns:    ${inTurns.toFixed(1)} µs a call (median of ${perTurn.length} turns of ${TURN_MS} ms)`);
console.log(`  turns / continuous:       ${(inTurns / continuous).toFixed(2)}`);
for (const n of nets) n.kernels.dispose();
