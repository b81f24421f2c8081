/**
 * `npm run bench:reference`: the textbook net (784-30-10, sigmoid, MSE, SGD η = 3.0, batch 10) on
 * Fashion-MNIST for 10 epochs, trained by backprop and by TensorFlow.js as an independent
 * reference, from the same initial weights (ours, copied into TF.js with each kernel transposed
 * to [in, out]) and on the same batches (one seeded shuffle per epoch with our Random, fed to
 * both). The costs agree too: backprop's C = (1/n_L)·Σ(a − y)² averaged over the batch is
 * tf.losses.meanSquaredError's mean over all batch × output elements, so the gradients are the
 * same function. The test accuracies must end within 1 point; the result goes to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchOrder } from './batches.js';
import { loadBenchData } from './data.js';
import { gitState, machine, versions } from './environment.js';
import { testMetrics, type TestMetrics } from './evaluate.js';
import { NET_SPECS } from './nets.js';
import { FULL_TIMING, INFER_BATCH } from './plan.js';
import type { Job, LibraryName } from './protocol.js';
import { trainerFactory } from './runners/index.js';
import { initialWeights } from './weights.js';

/** The bar: backprop within this many percentage points of the reference. */
const TOLERANCE_POINTS = 1;

interface Run {
  library: 'backprop' | 'tfjs';
  backend: string;
  perEpoch: (TestMetrics & { epoch: number; seconds: number })[];
}

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'tfjs-backend': { type: 'string', default: 'wasm' },
    backends: { type: 'string', default: 'js,wasm' },
    out: { type: 'string', default: 'bench/results' },
  },
  strict: true,
});
const epochs = Number(values.epochs);
const seed = Number(values.seed);
if (!Number.isInteger(epochs) || epochs < 1 || !Number.isInteger(seed) || seed < 0) {
  console.error('bench:reference: --epochs must be an integer ≥ 1 and --seed an integer ≥ 0');
  process.exit(2);
}

const spec = NET_SPECS.seed;
const started = new Date();
const data = loadBenchData(spec, { train: null, test: null });
const init = initialWeights(spec, seed);
const configs: { library: LibraryName; backend: string }[] = [
  ...values.backends.split(',').map((backend) => ({ library: 'backprop' as const, backend })),
  { library: values['tfjs-backend'] === 'cpu' ? 'tfjs-cpu' : 'tfjs-wasm', backend: values['tfjs-backend'] },
];

const runs: Run[] = [];
for (const { library, backend } of configs) {
  const job: Job = {
    net: 'seed',
    spec,
    library,
    backend,
    threads: 1,
    epochs,
    seed,
    trainSamples: null,
    testSamples: null,
    inferBatch: INFER_BATCH,
    timing: FULL_TIMING,
    load: null,
  };
  const trainer = await (await trainerFactory(library as Exclude<LibraryName, 'pytorch'>))({ spec, data, init, job });
  const run: Run = { library: library === 'backprop' ? 'backprop' : 'tfjs', backend: trainer.backend, perEpoch: [] };
  // Same seed, same shuffles: every run sees the same batches in the same order.
  const batches = new BatchOrder(data.train.count, spec.batchSize, seed);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    await trainer.train(batches, batches.batchesPerEpoch, false);
    const seconds = (performance.now() - t0) / 1000;
    const metrics = await testMetrics(trainer, data.test, spec, INFER_BATCH);
    run.perEpoch.push({ epoch, ...metrics, seconds: Math.round(seconds * 10) / 10 });
    console.error(
      `${run.library} (${run.backend}) epoch ${epoch}: test accuracy ${metrics.accuracy.toFixed(4)}, test MSE ${metrics.loss.toFixed(6)}, ${seconds.toFixed(1)} s`,
    );
  }
  trainer.dispose();
  runs.push(run);
}

const final = (r: Run): number => r.perEpoch[r.perEpoch.length - 1]!.accuracy;
const reference = runs.find((r) => r.library === 'tfjs')!;
const comparisons = runs
  .filter((r) => r.library === 'backprop')
  .map((r) => {
    const points = Math.round(Math.abs(final(r) - final(reference)) * 10000) / 100;
    return { backprop: r.backend, reference: `tfjs ${reference.backend}`, differencePoints: points, withinTolerance: points <= TOLERANCE_POINTS };
  });
const git = gitState();
const report = {
  date: started.toISOString(),
  machine: machine(),
  versions: versions(),
  git,
  net: spec,
  epochs,
  seed,
  trainSamples: data.train.count,
  testSamples: data.test.count,
  method:
    "same initial weights (backprop's seeded default init, copied into TF.js with kernels transposed), same batches " +
    '(one shuffle per epoch with our seeded Random), same cost (mean over batch × outputs of (a − y)²), plain SGD η = 3.0',
  tolerancePoints: TOLERANCE_POINTS,
  runs,
  comparisons,
};
mkdirSync(values.out, { recursive: true });
const stamp = started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
const path = join(values.out, `${stamp}-${git.commit}-textbook-reference.json`);
writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);

for (const r of runs) console.log(`${r.library.padEnd(8)} ${r.backend.padEnd(5)} test accuracy after ${epochs} epochs: ${final(r).toFixed(4)}`);
for (const c of comparisons) {
  console.log(`backprop ${c.backprop} vs ${c.reference}: ${c.differencePoints} points apart (${c.withinTolerance ? 'within' : 'NOT within'} ${TOLERANCE_POINTS})`);
}
console.log(`wrote ${path}`);
process.exit(comparisons.every((c) => c.withinTolerance) ? 0 : 1);
