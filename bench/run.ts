/**
 * `npm run bench`: trains the benchmark nets with backprop and with its peers, one process at a
 * time (never two at once: they would share the cores), prints a table and writes the results as
 * JSON under bench/results/. See USAGE in cli.ts for the flags and bench/README.md for the method.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, USAGE, type BenchOptions } from './cli.js';
import { epochOrders } from './batches.js';
import { FASHION_MNIST_TRAIN, loadBenchData, rawSizes, writeRawData } from './data.js';
import { gitState, machine, versions } from './environment.js';
import { NET_SPECS } from './nets.js';
import { INFER_BATCH, plan } from './plan.js';
import type { ChildResult, Job, TrainResult } from './protocol.js';
import { isNoisy, ratios, table } from './report.js';
import { PYTHON, runChild } from './spawn.js';
import { sweepPlan, sweepReport, type SweepRun } from './sweep.js';
import { initialWeights, writeInitialWeights } from './weights.js';
import { FASHION_MNIST_DIR } from '../src/data/mnist-family.js';

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const started = new Date();
  const host = machine();
  const wantsTorch = options.libraries === null || options.libraries.includes('pytorch');
  const torch = wantsTorch && spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 120_000 }).status === 0;
  const { jobs, skipped } = (options.sweep ? sweepPlan : plan)(options, { torch, cores: host.cpus });
  const temp = mkdtempSync(join(tmpdir(), 'backprop-bench-'));
  if (jobs.some((j) => j.library === 'pytorch')) preparePython(jobs, temp);

  const busy = options.contended ? `, each beside a CPU-bound process${options.contendedCore === null ? '' : ` on core ${options.contendedCore}`}` : '';
  console.error(`bench: ${jobs.length} measurements, one at a time${options.sweep ? ', the sweep' : ''}${busy}${options.quick ? ' (quick)' : ''}`);
  for (const s of skipped) console.error(`bench: skipped ${s}`);
  const results: ChildResult[] = [];
  const failures: { net: string; library: string; backend: string; threads: number; error: string }[] = [];
  const notes: string[] = skipped.map((s) => `skipped ${s}`);
  for (const [i, job] of jobs.entries()) {
    console.error(`[${i + 1}/${jobs.length}] ${job.net} · ${job.library} ${job.backend}×${job.threads}`);
    const t0 = performance.now();
    const outcome = await measureWithRetries(job, options.retries);
    console.error(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    if (outcome.ok) {
      results.push(outcome.result);
      if (isNoisy(outcome.result)) {
        notes.push(`${job.net} ${job.library} ${job.backend}×${job.threads}: other processes used ${outcome.result.interference!.otherCores} cores while it was timed; its numbers are suspect`);
      }
    } else {
      console.error(`  failed: ${outcome.error}`);
      failures.push({ net: job.net, library: job.library, backend: job.backend, threads: job.threads, error: outcome.error });
    }
  }
  rmSync(temp, { recursive: true, force: true });
  const git = gitState();
  const stamp = started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  // (a sweep job's child returns the training fields only: a TrainResult, which sweepCurves reads)
  if (options.sweep) return writeSweep(options, results, { started, stamp, host, git, jobs, failures, notes });

  console.log(table(results));
  const pythonVersions = results.find((r) => r.library === 'pytorch')?.versions ?? {};
  const report = {
    date: started.toISOString(),
    machine: host,
    versions: { ...versions(), ...pythonVersions },
    git,
    settings: {
      quick: options.quick,
      epochs: options.epochs,
      seed: options.seed,
      timing: jobs[0]?.timing ?? null,
      inferBatch: INFER_BATCH,
      contended: options.contended ? { command: jobs[0]?.load ?? null, core: options.contendedCore } : null,
      method:
        'one child process per row, run one after another; training: warm-up excluded, median of timed segments ' +
        '(full batches, shuffled); then back to the same initial weights for the accuracy run over whole epochs; ' +
        'inference: test set in batches, warm-up excluded, median of segments; all libraries start from the same ' +
        "initial weights (backprop's, seeded) and use the same data, batch size, epochs and optimizer constants",
    },
    nets: Object.fromEntries(options.nets.map((n) => [n, NET_SPECS[n]])),
    results: results.map(({ versions: _v, ...r }) => r),
    ratios: ratios(results),
    failures,
    notes,
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
  };
  mkdirSync(options.outDir, { recursive: true });
  const path = join(options.outDir, `${stamp}-${git.commit}${options.contended ? '-contended' : ''}${options.quick ? '-quick' : ''}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path} (${report.seconds} s)${notes.length ? `\nnotes:\n- ${notes.join('\n- ')}` : ''}`);
  return failures.length === 0 ? 0 : 1;
}

/** The sweep's report as JSON, its chart as SVG beside it, and its curves in brief on stdout. */
function writeSweep(options: BenchOptions, results: readonly TrainResult[], run: SweepRun): number {
  const { report, svg, summary } = sweepReport(options, results, { ...run, versions: versions() });
  mkdirSync(options.outDir, { recursive: true });
  const stem = join(options.outDir, `${run.stamp}-${run.git.commit}-sweep${options.quick ? '-quick' : ''}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${stem}.svg`, svg);
  console.log(`${summary}\n\nwrote ${stem}.json and .svg (${report.seconds} s)${run.notes.length ? `\nnotes:\n- ${run.notes.join('\n- ')}` : ''}`);
  return run.failures.length === 0 ? 0 : 1;
}

/** Reruns a measurement that other processes disturbed, keeping the least disturbed attempt. */
async function measureWithRetries(job: Job, retries: number): Promise<Awaited<ReturnType<typeof runChild>>> {
  let best = await runChild(job);
  for (let attempt = 1; attempt <= retries && best.ok && isNoisy(best.result); attempt++) {
    console.error(`  other processes used ${best.result.interference!.otherCores} cores while timing: measuring again (${attempt}/${retries})`);
    const next = await runChild(job);
    if (next.ok && next.result.interference!.otherCores < best.result.interference!.otherCores) best = next;
  }
  return best;
}

/**
 * The Python child gets, as raw files: backprop's initial weights, the accuracy run's batch order
 * (so that PyTorch trains on the same batches as the JavaScript libraries), and the generated sets
 * (XOR, bag of words, synthetic), each written once per net however many PyTorch rows read it.
 */
function preparePython(jobs: Job[], dir: string): void {
  const written = new Set<string>();
  for (const job of jobs.filter((j) => j.library === 'pytorch')) {
    const spec = job.spec;
    const prefix = join(dir, `${job.net}-`);
    const fullCount = spec.data === 'fashion-mnist' ? FASHION_MNIST_TRAIN : rawSizes(spec).train;
    const count = Math.min(job.trainSamples ?? fullCount, fullCount);
    job.initialWeightsPath = `${prefix}weights.f32`;
    job.epochOrderPath = `${prefix}order.i32`;
    writeInitialWeights(job.initialWeightsPath, spec, initialWeights(spec, job.seed));
    const order = epochOrders(count, job.seed, job.epochs);
    writeFileSync(job.epochOrderPath, Buffer.from(order.buffer, order.byteOffset, order.byteLength));
    job.fashionMnistDir = FASHION_MNIST_DIR;
    if (spec.data !== 'fashion-mnist') {
      job.rawDataPath = `${prefix}data.f32`;
      job.rawDataCounts = rawSizes(spec);
      if (!written.has(job.rawDataPath)) writeRawData(job.rawDataPath, loadBenchData(spec, { train: null, test: null }));
      written.add(job.rawDataPath);
    }
  }
}

process.exitCode = await main();
