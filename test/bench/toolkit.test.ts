import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchOrder } from '../../bench/batches.js';
import { parseOptions, type BenchOptions } from '../../bench/cli.js';
import type { BenchData, Split } from '../../bench/data.js';
import { NET_SPECS, type NetSpec } from '../../bench/nets.js';
import { plan, TOOLKIT_SKIPS } from '../../bench/plan.js';
import type { Job } from '../../bench/protocol.js';
import { createBackpropTrainer } from '../../bench/runners/backprop.js';
import { PYTHON } from '../../bench/spawn.js';
import { initialWeights, writeInitialWeights } from '../../bench/weights.js';
import { scheduledRate } from '../../src/train/schedule.js';

const options = (argv: string[]) => parseOptions(argv) as BenchOptions;
const machine = { torch: true, cores: 2 };

describe('the toolkit net', () => {
  it('is the modern net plus dropout on both hidden layers, weight decay and a cosine schedule', () => {
    const { name: _n, description: _d, toolkit, ...rest } = NET_SPECS['modern-toolkit'];
    const { name: _m, description: _e, ...modern } = NET_SPECS.modern;
    expect(rest).toEqual(modern);
    expect(toolkit).toEqual({ dropout: [0.2, 0.2], weightDecay: 1e-4, schedule: { kind: 'cosine', minLearningRate: 1e-5, warmupEpochs: 0 } });
    expect(NET_SPECS['modern-toolkit'].description).toMatch(/dropout 0\.2, 0\.2, decoupled weight decay 0\.0001, cosine/);
    for (const net of ['tiny', 'seed', 'modern'] as const) expect(NET_SPECS[net].toolkit).toBeUndefined();
  });

  it('starts from the modern net’s initial weights', () => {
    const plain = initialWeights(NET_SPECS.modern, 3);
    const toolkit = initialWeights(NET_SPECS['modern-toolkit'], 3);
    plain.W.forEach((W, l) => expect(toolkit.W[l]).toEqual(W));
    plain.b.forEach((b, l) => expect(toolkit.b[l]).toEqual(b));
  });
});

describe('the plan', () => {
  it('trains the toolkit net on backprop and PyTorch only (onnxruntime runs its inference), with a note for each library left out', () => {
    const { jobs, skipped } = plan(options(['--quick', '--net', 'modern,modern-toolkit']), machine);
    const librariesOf = (net: string) => [...new Set(jobs.filter((j) => j.net === net).map((j) => j.library))];
    expect(librariesOf('modern')).toEqual(['backprop', 'tfjs-wasm', 'jax-js', 'pytorch', 'onnxruntime']);
    expect(librariesOf('modern-toolkit')).toEqual(['backprop', 'pytorch', 'onnxruntime']);
    expect(jobs.filter((j) => j.net === 'modern-toolkit').every((j) => j.spec.toolkit !== undefined)).toBe(true);
    // tfjs-cpu is not in a quick run, so it is not reported as skipped either
    expect(skipped.filter((s) => s.startsWith('modern-toolkit'))).toEqual([
      `modern-toolkit tfjs-wasm: ${TOOLKIT_SKIPS['tfjs-wasm']}`,
      `modern-toolkit jax-js: ${TOOLKIT_SKIPS['jax-js']}`,
    ]);
    expect(TOOLKIT_SKIPS['tfjs-wasm']).toMatch(/AdamW/);
    expect(TOOLKIT_SKIPS['jax-js']).toMatch(/optax/);
  });

  it('names tfjs-cpu too in a full run, and nothing when the skipped libraries are not asked for', () => {
    const full = plan(options(['--net', 'modern-toolkit']), machine);
    expect(full.skipped.filter((s) => s.startsWith('modern-toolkit')).map((s) => s.split(':')[0])).toEqual([
      'modern-toolkit tfjs-cpu',
      'modern-toolkit tfjs-wasm',
      'modern-toolkit jax-js',
    ]);
    const ours = plan(options(['--quick', '--net', 'modern-toolkit', '--library', 'backprop,pytorch']), machine);
    expect(ours.skipped.filter((s) => s.startsWith('modern-toolkit'))).toEqual([]);
    expect(ours.jobs.length).toBeGreaterThan(0);
  });
});

/** A few random samples of the net's shape: the runner never looks at the values. */
function fakeData(spec: NetSpec, count: number): BenchData {
  const inputs = spec.sizes[0]!;
  const outputs = spec.sizes[spec.sizes.length - 1]!;
  const split = (): Split => {
    const labels = Int32Array.from({ length: count }, (_, i) => i % outputs);
    const y = new Float32Array(count * outputs);
    labels.forEach((c, i) => (y[i * outputs + c] = 1));
    return { count, x: Float32Array.from({ length: count * inputs }, (_, i) => ((i * 7919) % 255) / 255), y, labels };
  };
  return { inputs, outputs, train: split(), test: split() };
}

async function backpropRunner(net: 'modern' | 'modern-toolkit') {
  const job = plan(options(['--quick', '--net', net, '--library', 'backprop']), { torch: false, cores: 1 }).jobs.find((j) => j.backend === 'js')!;
  return createBackpropTrainer({ spec: job.spec, data: fakeData(job.spec, 40), init: initialWeights(job.spec, job.seed), job });
}

describe('the backprop runner', () => {
  it('builds the toolkit net with dropout on the hidden layers and AdamW', async () => {
    const runner = await backpropRunner('modern-toolkit');
    expect(runner.net.specs.map((s) => s.dropout ?? 0)).toEqual([0.2, 0.2, 0]);
    expect(runner.optimizer.id).toBe('adam');
    expect(runner.optimizer.hyperParameters()).toEqual({ learningRate: 1e-3, weightDecay: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    runner.dispose();
  });

  it('sets the cosine rate of each epoch of the accuracy run, and reset goes back to a fresh AdamW at η₀', async () => {
    const runner = await backpropRunner('modern-toolkit');
    const rates = [0, 1, 2, 3].map((e) => {
      runner.startEpoch!(e, 4);
      return runner.optimizer.learningRate;
    });
    // η_min + (η₀ − η_min)(1 + cos(π·e/4))/2 with η₀ = 1e-3, η_min = 1e-5
    const expected = [1e-3, 1e-5 + 0.99e-3 * (1 + Math.SQRT1_2) / 2, 1e-5 + 0.99e-3 / 2, 1e-5 + 0.99e-3 * (1 - Math.SQRT1_2) / 2];
    rates.forEach((r, e) => expect(r).toBeCloseTo(expected[e]!, 12));

    await runner.train(new BatchOrder(40, 16, 1), 2, true);
    expect(runner.optimizer.t).toBe(2);
    await runner.reset();
    expect(runner.optimizer.t).toBe(0);
    expect(runner.optimizer.hyperParameters()).toMatchObject({ learningRate: 1e-3, weightDecay: 1e-4 });
    runner.dispose();
  });

  it('builds the plain modern net as before: no dropout, no weight decay, no schedule', async () => {
    const runner = await backpropRunner('modern');
    expect(runner.net.specs.map((s) => s.dropout)).toEqual([undefined, undefined, undefined]);
    expect(runner.optimizer.hyperParameters()).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expect(runner.startEpoch).toBeUndefined();
    runner.dispose();
  });
});

const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** What torch_bench.py builds for a job: its layers, optimizer, parameter groups and η per epoch of 4. */
const DESCRIBE_TORCH = `
import json, sys, torch
import torch_bench as tb
job = json.loads(sys.argv[1])
model = tb.build_model(job)
opt = tb.build_optimizer(job, model)
print(json.dumps({
    "layers": [type(m).__name__ + (f"({m.p})" if isinstance(m, torch.nn.Dropout) else "") for m in model],
    "optimizer": type(opt).__name__,
    "defaults": {k: opt.defaults[k] for k in ("betas", "eps")},
    "groups": [{"shapes": [list(p.shape) for p in g["params"]], "weight_decay": g["weight_decay"]} for g in opt.param_groups],
    "rates": [tb.scheduled_rate(job["spec"], e, 4) for e in range(4)],
}))
`;

describe.skipIf(!HAVE_TORCH)('the PyTorch child', () => {
  it('builds the same toolkit net: dropout after the hidden ReLUs, AdamW on the weights only, fit’s cosine rates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-toolkit-'));
    try {
      const base = NET_SPECS['modern-toolkit'];
      // a warm-up epoch too, so that both branches of the rate are compared
      const spec: NetSpec = { ...base, toolkit: { ...base.toolkit!, schedule: { ...base.toolkit!.schedule, warmupEpochs: 1 } } };
      const job = { spec, initialWeightsPath: join(dir, 'weights.f32') } as Job;
      writeInitialWeights(job.initialWeightsPath!, spec, initialWeights(spec, 1));
      const run = spawnSync(PYTHON, ['-c', DESCRIBE_TORCH, JSON.stringify(job)], { cwd: 'bench', encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      const torch = JSON.parse(run.stdout) as { layers: string[]; optimizer: string; defaults: object; groups: object[]; rates: number[] };
      expect(torch.layers).toEqual(['Linear', 'ReLU', 'Dropout(0.2)', 'Linear', 'ReLU', 'Dropout(0.2)', 'Linear']);
      expect(torch.optimizer).toBe('AdamW');
      expect(torch.defaults).toEqual({ betas: [0.9, 0.999], eps: 1e-8 });
      expect(torch.groups).toEqual([
        { shapes: [[256, 784], [128, 256], [10, 128]], weight_decay: 1e-4 },
        { shapes: [[256], [128], [10]], weight_decay: 0 },
      ]);
      const ours = [0, 1, 2, 3].map((e) => scheduledRate(spec.toolkit!.schedule, spec.learningRate, e, 4, spec.learningRate));
      torch.rates.forEach((r, e) => expect(r).toBeCloseTo(ours[e]!, 15));
      // the warm-up epoch, then the cosine from η₀ over the 3 epochs left
      expect(ours[1]).toBe(1e-3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
