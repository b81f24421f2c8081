// The bag-of-words row: its data (deterministic, about 1% non-zero, labels from the planted rule),
// its plan (the forced-input rows), the backprop runner's choice, and the PyTorch child's sparse
// first layer (the same outputs and gradients as its dense one).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions, type BenchOptions } from '../../bench/cli.js';
import { loadBenchData, writeRawData } from '../../bench/data.js';
import { NET_SPECS } from '../../bench/nets.js';
import { plan } from '../../bench/plan.js';
import type { Job } from '../../bench/protocol.js';
import { PYTHON } from '../../bench/spawn.js';
import { initialWeights, writeInitialWeights } from '../../bench/weights.js';

const options = (argv: string[]) => parseOptions(argv) as BenchOptions;
const spec = NET_SPECS['bag-of-words'];
const small = { train: 300, test: 100 };

describe('the bag-of-words set', () => {
  const data = loadBenchData(spec, small);

  it('is 10,000 word counts per document, about 1% non-zero, the same on every call', () => {
    expect(data.inputs).toBe(10000);
    let nonZero = 0;
    for (const v of data.train.x) if (v !== 0) nonZero++;
    expect(nonZero / data.train.x.length).toBeGreaterThan(0.009);
    expect(nonZero / data.train.x.length).toBeLessThan(0.0101);
    // counts: each document's 100 draws
    for (let s = 0; s < 10; s++) expect(data.train.x.subarray(s * 10000, (s + 1) * 10000).reduce((a, b) => a + b, 0)).toBe(100);
    const again = loadBenchData(spec, small);
    expect(again.train.x.every((v, i) => v === data.train.x[i])).toBe(true);
    expect(again.test.labels).toEqual(data.test.labels);
  });

  it('has every class, none of them most of the samples (the planted rule is not constant)', () => {
    const counts = new Array(10).fill(0);
    for (const c of data.train.labels) counts[c]++;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(0.3 * data.train.count);
  });
});

describe('the bag-of-words plan', () => {
  it('adds backprop with the input forced dense and PyTorch with sparse tensors, each with all threads', () => {
    const { jobs } = plan(options(['--quick', '--net', 'bag-of-words', '--library', 'backprop,pytorch']), { torch: true, cores: 2 });
    expect(jobs.map((j) => [j.library, j.backend, j.threads, j.input])).toEqual([
      ['backprop', 'js', 1, undefined],
      ['backprop', 'wasm', 2, undefined],
      ['pytorch', 'cpu', 2, undefined],
      ['backprop', 'wasm', 2, 'dense'],
      ['pytorch', 'cpu', 2, 'sparse'],
    ]);
  });

  it('forces the other nets sparse only with --input-rows', () => {
    const plain = plan(options(['--quick', '--net', 'modern', '--library', 'backprop']), { torch: false, cores: 2 });
    expect(plain.jobs.every((j) => j.input === undefined)).toBe(true);
    const forced = plan(options(['--quick', '--net', 'modern', '--library', 'backprop', '--input-rows']), { torch: false, cores: 2 });
    expect(forced.jobs.filter((j) => j.input).map((j) => [j.backend, j.input])).toEqual([['wasm', 'sparse']]);
  });
});

const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** The first layer's output and W's gradient through torch_bench.py's sparse batches and through dense ones. */
const COMPARE_TORCH = `
import json, sys, numpy as np, torch
import torch_bench as tb
job = json.loads(sys.argv[1])
train_x, _, train_labels, _, _ = tb.load_data(job)
rows = tb.SparseRows(train_x)
idx = np.array([5, 0, 17, 3, 3, 42])
out = {}
for name, x in (("sparse", rows.batch(idx)), ("dense", torch.from_numpy(train_x[idx]))):
    model = tb.SparseFirst(tb.build_model(job))
    y = model(x)
    torch.nn.functional.cross_entropy(y, torch.from_numpy(train_labels[idx])).backward()
    out[name] = {"y": y.detach().numpy().ravel().tolist(), "dW": model.first.weight.grad.numpy()[:, :200].ravel().tolist()}
out["same_rows"] = bool(np.array_equal(rows.batch(idx).to_dense().numpy(), train_x[idx]))
print(json.dumps(out))
`;

describe.skipIf(!HAVE_TORCH)('the PyTorch child on sparse tensors', () => {
  it('gathers the same batches and computes the same outputs and gradients as on dense ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-sparse-'));
    try {
      const job = { spec, initialWeightsPath: join(dir, 'weights.f32'), rawDataPath: join(dir, 'data.f32'), rawDataCounts: small, trainSamples: null, testSamples: null } as Job;
      writeInitialWeights(job.initialWeightsPath!, spec, initialWeights(spec, 1));
      writeRawData(job.rawDataPath!, loadBenchData(spec, small));
      const run = spawnSync(PYTHON, ['-c', COMPARE_TORCH, JSON.stringify(job)], { cwd: 'bench', encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout) as { sparse: { y: number[]; dW: number[] }; dense: { y: number[]; dW: number[] }; same_rows: boolean };
      expect(r.same_rows).toBe(true);
      r.sparse.y.forEach((v, i) => expect(v).toBeCloseTo(r.dense.y[i]!, 5));
      r.sparse.dW.forEach((v, i) => expect(v).toBeCloseTo(r.dense.dW[i]!, 6));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
