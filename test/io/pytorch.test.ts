/**
 * The PyTorch export, run in PyTorch: one epoch of train.py from the same initial weights on the
 * same batches equals backprop's own epoch; torchrun with 2 processes equals one process.
 *
 * Tolerances. Both sides compute in float32 but sum in different orders (backprop's kernels vs
 * OpenBLAS), so each gradient entry differs by a few float32 roundings, relative ≈ 6e-8 each
 * (half an ulp), and the runs compound them over their steps. Measured: 4.8e-7 (textbook net, 60
 * steps), 2.0e-7 (Adam net, 20), 8.0e-7 (gelu/RMSprop/clipNorm/step schedule, 30: RMSprop's
 * g/√v carries the gradients' relative error into the step), 1.2e-7 and 2.0e-7 (the other toolkit
 * nets), 1.2e-7 (CSV under momentum), 7.5e-8 (2 ranks vs 1 process, whose only difference is
 * averaging two half-batch means instead of one mean). The bound, 2e-6, is 2.5× the largest and
 * 17 float32 ulps at |w| = 1; every test also checks that the run moved the weights by ≥ 100× the
 * bound, and the first two that the same run on other batches misses it by as much.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readCsvDataset } from '../../src/data/csv.js';
import { loadDigits } from '../../src/data/digits.js';
import { DIGIT_CLASSES, loadMnistFamily } from '../../src/data/mnist-family.js';
import { idxBytes } from '../data/fixtures.js';
import { applyPreprocessing, fitPreprocessing } from '../../src/data/preprocess.js';
import { importModel } from '../../src/io/import-files.js';
import { subset, type Dataset } from '../../src/data/dataset.js';
import { modelFromBytes, modelToBytes, type JsonObject } from '../../src/io/model-file.js';
import { dataToBytes, pytorchModelOf } from '../../src/io/pytorch-files.js';
import { toPytorch, TORCHRUN, type PytorchExportOptions, type TrainingRecord } from '../../src/io/pytorch.js';
import { adam, momentum, network, Random, sgd, type FitOptions, type Network, type NetworkSpec, type NetworkOptions, type Optimizer } from '../../src/index.js';
import { rmsprop } from '../../src/optimizers/index.js';
import { range } from '../../src/train/data.js';

/** Debian's python3-torch installs for /usr/bin/python3 only (the python3 on PATH may be another). */
const PYTHON = '/usr/bin/python3';
const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const run = promisify(execFile);
/** One BLAS thread per process: the machine is shared, and two ranks on two cores must not oversubscribe. */
const ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

/** |Δ| bound for one epoch, float32 (see the file comment); measured maxima are printed by each test. */
const EPOCH_TOLERANCE = 2e-6;

interface Case {
  label: string;
  spec: NetworkSpec;
  options: NetworkOptions;
  training: TrainingRecord;
  optimizer: () => Optimizer;
  /** backprop's fit options for the toolkit settings the training record holds */
  fit?: FitOptions;
  samples: number;
}

const CASES: Case[] = [
  {
    label: 'the textbook net: 784-30-10 sigmoid, MSE, SGD η = 3, batch 10',
    spec: [784, { units: 30, activation: 'sigmoid' }, { units: 10, activation: 'sigmoid' }],
    options: { loss: 'mse', init: 'normal', seed: 11 },
    training: { optimizer: { id: 'sgd', learningRate: 3 }, batchSize: 10, epochs: 1 },
    optimizer: () => sgd({ learningRate: 3 }),
    samples: 600,
  },
  {
    label: 'an Adam net: 784-32-10 relu, softmax cross-entropy, Adam η = 1e-3, batch 32',
    spec: [784, { units: 32, activation: 'relu' }, { units: 10, activation: 'softmax' }],
    options: { loss: 'cross-entropy', seed: 12 },
    training: { optimizer: { id: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, batchSize: 32, epochs: 1 },
    optimizer: () => adam({ learningRate: 1e-3 }),
    samples: 640,
  },
  {
    label: 'the toolkit: gelu with l2, RMSprop, clipNorm, step schedule with warm-up, 3 epochs',
    spec: [784, { units: 32, activation: 'gelu', l2: 1e-4 }, { units: 10, activation: 'softmax' }],
    options: { loss: 'cross-entropy', seed: 13 },
    training: { optimizer: { id: 'rmsprop', learningRate: 1e-3, rho: 0.9, epsilon: 1e-8 }, batchSize: 32, epochs: 3, clipNorm: 0.5, schedule: { kind: 'step', every: 1, factor: 0.5, warmupEpochs: 1 } },
    optimizer: () => rmsprop({ learningRate: 1e-3, rho: 0.9, epsilon: 1e-8 }),
    fit: { clipNorm: 0.5, schedule: { kind: 'step', every: 1, factor: 0.5, warmupEpochs: 1 } },
    samples: 320,
  },
  {
    label: 'the toolkit: silu with l1, elu, sigmoid/MSE, Nesterov with weight decay, clipValue, cosine schedule, 2 epochs',
    spec: [784, { units: 24, activation: 'silu', l1: 1e-5 }, { units: 16, activation: 'elu' }, { units: 10, activation: 'sigmoid' }],
    options: { loss: 'mse', seed: 14 },
    training: { optimizer: { id: 'momentum', learningRate: 0.5, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }, batchSize: 20, epochs: 2, clipValue: 0.01, schedule: { kind: 'cosine', minLearningRate: 0.05 } },
    optimizer: () => momentum({ learningRate: 0.5, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    fit: { clipValue: 0.01, schedule: { kind: 'cosine', minLearningRate: 0.05 } },
    samples: 300,
  },
  {
    label: 'the toolkit: softplus, sigmoid/binary cross-entropy, AdamW, exponential schedule, 2 epochs',
    spec: [784, { units: 20, activation: 'softplus' }, { units: 10, activation: 'sigmoid' }],
    options: { loss: 'binary-cross-entropy', seed: 15 },
    training: { optimizer: { id: 'adam', learningRate: 2e-3, weightDecay: 0.05 }, batchSize: 25, epochs: 2, schedule: { kind: 'exponential', factor: 0.8 } },
    optimizer: () => adam({ learningRate: 2e-3, weightDecay: 0.05 }),
    fit: { schedule: { kind: 'exponential', factor: 0.8 } },
    samples: 300,
  },
];

let digits: Dataset | undefined;
function digitsTrain(n: number): Dataset {
  digits ??= loadDigits().train;
  return subset(digits, range(n));
}

/** Writes the export of `net` for `training` into a fresh directory with the data; returns the directory. */
function exportTo(net: Network, ds: Dataset, training: TrainingRecord, more: { preprocessing?: JsonObject; options?: PytorchExportOptions } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-torch-'));
  const bytes = modelToBytes(net, { classNames: ds.classNames, task: ds.task, preprocessing: more.preprocessing ?? null });
  writeFileSync(join(dir, 'model.safetensors'), bytes);
  if (!more.options?.data) writeFileSync(join(dir, 'data.safetensors'), dataToBytes(ds));
  const { files } = toPytorch(pytorchModelOf(bytes, 'model.safetensors').model, { training, ...more.options });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function weightsOf(path: string): Float32Array[] {
  const { network: net } = modelFromBytes(new Uint8Array(readFileSync(path)), path);
  return net.layers.flatMap((l) => [Float32Array.from(l.W), Float32Array.from(l.b)]);
}

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((t, k) => t.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k]![i]!)))));
  return worst;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => ok(port));
    });
  });
}

describe.runIf(HAVE_TORCH)('train.py in PyTorch', () => {
  CASES.forEach((c, k) => {
    it(`the same batches from the same weights end where backprop's fit ends: ${c.label}`, async () => {
      const ds = digitsTrain(c.samples);
      const net = network(c.spec, c.options);
      const dir = exportTo(net, ds, c.training);
      const before = net.layers.flatMap((l) => [Float32Array.from(l.W), Float32Array.from(l.b)]);

      // One permutation for both: train.py takes it from --order, backprop gets the data in that order unshuffled.
      const order = new Random(5).shuffle(range(ds.x.rows));
      writeFileSync(join(dir, 'order.json'), JSON.stringify(Array.from({ length: c.training.epochs }, () => Array.from(order))));
      const torchRun = run(PYTHON, ['train.py', '--order', 'order.json'], { cwd: dir, env: ENV });
      // The control (on the first two nets): the same run on DistributedSampler's own batches must not pass the bound.
      const control = k < 2;
      const otherBatches = control ? run(PYTHON, ['train.py', '--out', 'other.safetensors'], { cwd: dir, env: ENV }) : null;
      const shuffled = subset(ds, order);
      await net.fit(shuffled.x, shuffled.y, { ...c.fit, epochs: c.training.epochs, batchSize: c.training.batchSize, optimizer: c.optimizer(), shuffle: false });
      const { stdout } = await torchRun;
      await otherBatches;
      expect(stdout).toMatch(new RegExp(`^epoch ${c.training.epochs}/${c.training.epochs} {2}loss [\\d.]+ {2}accuracy [\\d.]+`, 'm'));

      const ours = net.layers.flatMap((l) => [Float32Array.from(l.W), Float32Array.from(l.b)]);
      const theirs = weightsOf(join(dir, 'trained.safetensors'));
      const difference = maxDifference(ours, theirs);
      const moved = maxDifference(ours, before);
      console.log(`${c.label}: max |backprop − PyTorch| = ${difference.toExponential(2)} after ${c.training.epochs * Math.ceil(c.samples / c.training.batchSize)} steps; max weight change ${moved.toFixed(3)}`);
      expect(difference).toBeLessThan(EPOCH_TOLERANCE);
      expect(moved).toBeGreaterThan(100 * EPOCH_TOLERANCE);
      if (control) expect(maxDifference(ours, weightsOf(join(dir, 'other.safetensors')))).toBeGreaterThan(100 * EPOCH_TOLERANCE);
    });
  });

  it('reads a CSV as backprop does (label column by name, string classes, the stored standardization): one epoch equal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-torch-csv-'));
    const csv = join(dir, 'flowers.csv');
    const rng = new Random(3);
    const kinds = ['virginica', 'setosa', 'versicolor'];
    const rows = Array.from({ length: 96 }, (_, i) => {
      const k = i % 3;
      const f = [10 + 3 * k + rng.normal(), 200 - 40 * k + 9 * rng.normal(), 0.5 * k + 0.1 * rng.normal(), rng.normal()];
      return [f[0]!.toFixed(3), f[1]!.toFixed(2), kinds[k], f[2]!.toFixed(4), f[3]!.toFixed(3)].join(',');
    });
    writeFileSync(csv, ['length,weight,kind,width,noise', ...rows].join('\n') + '\n');
    const ds = readCsvDataset(csv, { label: 'kind' });
    const preprocessing = fitPreprocessing('standardize', ds.x);
    const training: TrainingRecord = { optimizer: { id: 'momentum', learningRate: 0.05, momentum: 0.9 }, batchSize: 8, epochs: 1 };
    const net = network([4, { units: 6, activation: 'tanh' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 4 });
    const exported = exportTo(net, ds, training, { preprocessing: preprocessing as unknown as JsonObject, options: { data: { kind: 'csv', path: csv, label: 'kind' } } });
    const order = new Random(6).shuffle(range(ds.x.rows));
    writeFileSync(join(exported, 'order.json'), JSON.stringify([Array.from(order)]));
    const torchRun = run(PYTHON, ['train.py', '--order', 'order.json'], { cwd: exported, env: ENV });
    const shuffled = subset({ ...ds, x: applyPreprocessing(preprocessing, ds.x) }, order);
    await net.fit(shuffled.x, shuffled.y, { epochs: 1, batchSize: 8, optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }), shuffle: false });
    await torchRun;
    const ours = net.layers.flatMap((l) => [Float32Array.from(l.W), Float32Array.from(l.b)]);
    const difference = maxDifference(ours, weightsOf(join(exported, 'trained.safetensors')));
    console.log(`CSV, momentum: max |backprop − PyTorch| = ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(EPOCH_TOLERANCE);
    expect(maxDifference(ours, weightsOf(join(exported, 'model.safetensors')))).toBeGreaterThan(100 * EPOCH_TOLERANCE);
  });

  it('reads an IDX directory as backprop does (gzipped or not, pixels / 255, the stored scale transform) and reports its test split', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-torch-idx-'));
    const rng = new Random(8);
    const images = (n: number) => idxBytes([n, 4, 4], Array.from({ length: n * 16 }, () => rng.int(256)));
    const labels = (n: number) => idxBytes([n], Array.from({ length: n }, (_, i) => (i * 7) % 10));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(images(60)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labels(60));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images(20));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels(20)));
    const { train, test } = loadMnistFamily(dir, { name: 'mini', classNames: DIGIT_CLASSES, missingHint: '' });
    const preprocessing = fitPreprocessing('scale', train.x);
    const net = network([16, { units: 8, activation: 'relu' }, { units: 10, activation: 'softmax' }], { loss: 'cross-entropy', seed: 2 });
    const training: TrainingRecord = { optimizer: { id: 'sgd', learningRate: 0.1 }, batchSize: 6, epochs: 1 };
    const exported = exportTo(net, train, training, { preprocessing: preprocessing as unknown as JsonObject, options: { data: { kind: 'idx', dir } } });
    const order = new Random(7).shuffle(range(train.x.rows));
    writeFileSync(join(exported, 'order.json'), JSON.stringify([Array.from(order)]));
    const torchRun = run(PYTHON, ['train.py', '--order', 'order.json'], { cwd: exported, env: ENV });
    const shuffled = subset({ ...train, x: applyPreprocessing(preprocessing, train.x) }, order);
    await net.fit(shuffled.x, shuffled.y, { epochs: 1, batchSize: 6, optimizer: sgd({ learningRate: 0.1 }), shuffle: false });
    const { stdout } = await torchRun;
    const ours = net.layers.flatMap((l) => [Float32Array.from(l.W), Float32Array.from(l.b)]);
    expect(maxDifference(ours, weightsOf(join(exported, 'trained.safetensors')))).toBeLessThan(EPOCH_TOLERANCE);
    expect(maxDifference(ours, weightsOf(join(exported, 'model.safetensors')))).toBeGreaterThan(100 * EPOCH_TOLERANCE);
    // The test split, through the same transform: backprop's evaluation of the same weights (printed to 4 decimals).
    const printed = /^test: loss ([\d.]+) {2}accuracy ([\d.]+) {2}\(20 samples\)$/m.exec(stdout);
    expect(printed).not.toBeNull();
    const expected = net.evaluate(applyPreprocessing(preprocessing, test.x), test.y);
    expect(Math.abs(Number(printed![1]) - expected.loss)).toBeLessThanOrEqual(5e-5 + EPOCH_TOLERANCE);
    expect(Number(printed![2])).toBeCloseTo(expected.accuracy, 4);
  });

  it("the CLI round trip: export → python3 train.py → eval; the state dict and torch.onnx.export's file, imported back, predict as trained", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-torch-cli-'));
    const cli = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['node', 'backprop', ...args], { result: (l) => out.push(l), info: (l) => err.push(l) });
      return { code, out, err };
    };
    const model = join(dir, 'circles.safetensors');
    expect((await cli('train', '--data', 'circles', '--layers', '8', '--activation', 'tanh', '--epochs', '2', '--out', model)).code).toBe(0);
    const exported = join(dir, 'torch');
    const e = await cli('export', '--model', model, '--format', 'pytorch', '--out', exported, '--optimizer', 'sgd', '--lr', '0.1', '--epochs', '3', '--batch-size', '16');
    expect(e.code).toBe(0);
    expect(e.out[0]).toBe(`wrote ${['model.safetensors', 'data.safetensors', 'train.py', 'README.md'].map((f) => join(exported, f)).join(', ')}`);
    const { stdout } = await run(PYTHON, ['train.py', '--state-dict', 'state.safetensors'], { cwd: exported, env: ENV });
    expect(stdout.split('\n').filter((l) => l.startsWith('epoch '))).toHaveLength(3);
    expect(stdout).toContain('training 200 samples on 1 process (cpu), batch 16 (16 per process), SGD');

    const trained = join(exported, 'trained.safetensors');
    const r = await cli('eval', '--model', trained, '--data', 'circles', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!).samples).toBe(200);
    const trainedModel = modelFromBytes(new Uint8Array(readFileSync(trained)), trained);
    const original = modelFromBytes(new Uint8Array(readFileSync(model)), model);
    expect(trainedModel.info).toEqual(original.info); // the same metadata: preprocessing, classes, seed, createdAt

    const imported = join(dir, 'imported.safetensors');
    const i = await cli('import', '--from', 'pytorch', '--in', join(exported, 'state.safetensors'), '--out', imported, '--activation', 'tanh', '--loss', 'cross-entropy');
    expect(i.code).toBe(0);
    const { network: back } = await importModel({ from: 'pytorch', in: join(exported, 'state.safetensors'), activation: 'tanh', loss: 'cross-entropy' });
    const points = { data: Float32Array.from({ length: 40 }, (_, k) => Math.sin(k) * 1.3), rows: 20, cols: 2 };
    const a = trainedModel.network.predict(points).data;
    const b = back.predict(points).data;
    let worst = 0;
    a.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - b[k]!))));
    expect(worst).toBeLessThan(1e-6);
    expect(maxDifference(weightsOf(trained), weightsOf(model))).toBeGreaterThan(100 * EPOCH_TOLERANCE);

    // An ONNX file written by torch.onnx.export (not by backprop) of the trained network, and torch's own predictions.
    const script = [
      'import json, sys, torch',
      'sys.argv = ["train.py"]',
      'import train',
      'net, _ = train.load_network("trained.safetensors", torch.device("cpu"))',
      'x = torch.tensor(json.load(open("points.json")), dtype=torch.float32).reshape(-1, 2)',
      'torch.onnx.export(net, x, "torch.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}}, opset_version=13)',
      'print(json.dumps(torch.softmax(net(x), 1).detach().flatten().tolist()))',
    ].join('\n');
    writeFileSync(join(exported, 'points.json'), JSON.stringify(Array.from(points.data)));
    const torchOut = JSON.parse((await run(PYTHON, ['-c', script], { cwd: exported, env: ENV })).stdout) as number[];
    // torch's graph ends with the logits (the softmax is in its CrossEntropyLoss): put the softmax back on import.
    const { network: fromTorch } = await importModel({ from: 'onnx', in: join(exported, 'torch.onnx'), outputActivation: 'softmax', loss: 'cross-entropy' });
    expect(fromTorch.specs.map((s) => s.activation)).toEqual(['tanh', 'softmax']);
    let worstTorch = 0;
    fromTorch.predict(points).data.forEach((v, j) => (worstTorch = Math.max(worstTorch, Math.abs(v - torchOut[j]!))));
    expect(worstTorch).toBeLessThan(1e-6);
  });

  it(`torchrun --nproc_per_node 2 (gloo): both ranks identical and equal to one process on the same global batches`, async () => {
    const c = CASES[1]!;
    const ds = digitsTrain(c.samples);
    const net = network(c.spec, c.options);
    const dir = exportTo(net, ds, c.training);
    const port = await freePort();
    // The README's invocation, with a static rendezvous on a free port instead of --standalone's fixed 29400.
    const launcher = TORCHRUN.replace(' --standalone', '').split(' ');
    const two = run(launcher[0]!, [...launcher.slice(1), '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port), 'train.py', '--out', 'rank{rank}.safetensors'], { cwd: dir, env: ENV });
    const one = await run(PYTHON, ['train.py', '--out', 'one.safetensors'], { cwd: dir, env: ENV });
    const { stdout } = await two;
    expect(stdout).toContain('on 2 processes (cpu), batch 32 (16 per process)');
    expect(one.stdout).toContain('on 1 process (cpu), batch 32 (32 per process)');

    const rank0 = readFileSync(join(dir, 'rank0.safetensors'));
    const rank1 = readFileSync(join(dir, 'rank1.safetensors'));
    expect(Buffer.compare(rank0, rank1)).toBe(0);
    const difference = maxDifference(weightsOf(join(dir, 'rank0.safetensors')), weightsOf(join(dir, 'one.safetensors')));
    const moved = maxDifference(weightsOf(join(dir, 'one.safetensors')), weightsOf(join(dir, 'model.safetensors')));
    console.log(`torchrun 2 ranks vs 1 process: max difference ${difference.toExponential(2)}; max weight change ${moved.toFixed(3)}`);
    expect(difference).toBeLessThan(EPOCH_TOLERANCE);
    expect(moved).toBeGreaterThan(100 * EPOCH_TOLERANCE);
  });
});

describe.runIf(!HAVE_TORCH)('train.py in PyTorch', () => {
  // CI sets BACKPROP_REQUIRE_TORCH=1: there a missing PyTorch is a failure, never a skip.
  const required = Boolean(process.env['BACKPROP_REQUIRE_TORCH']);
  it.skipIf(!required)(`need PyTorch for ${PYTHON} (BACKPROP_REQUIRE_TORCH is set)`, () => {
    expect.fail(`${PYTHON} cannot import torch: apt-get install -y python3-torch libopenblas0-pthread`);
  });
  it.skipIf(true)(`SKIPPED: ${PYTHON} cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)`, () => {});
});
