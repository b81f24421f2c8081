/**
 * What the README says each command and flag does, each checked against an independent count or
 * computation (not just "exit 0").
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers.js';
import { loadDataset } from '../../src/data/load.js';
import { applyPreprocessing, fitPreprocessing, trainValidationSplit, type Preprocessing } from '../../src/data/preprocess.js';
import { checkpointToBytes } from '../../src/io/model-file.js';
import { loadCheckpoint, loadModel, saveModel } from '../../src/io/node-files.js';
import { Matrix, network, type Network } from '../../src/index.js';
import type { TfjsModelJson } from '../../src/io/tfjs.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-claims-'));
const model = join(dir, 'moons.safetensors');
const common = ['--data', 'moons', '--layers', '6', '--activation', 'tanh', '--batch-size', '16', '--lr', '0.02', '--seed', '2'];

beforeAll(async () => {
  const r = await run('train', ...common, '--epochs', '5', '--out', model);
  expect(r.code).toBe(0);
});

function weights(net: Network): number[] {
  return net.layers.flatMap((l) => [...l.W, ...l.b]);
}

describe('eval', () => {
  it('per-class accuracy and confusion matrix equal a hand count of the predictions', async () => {
    const report = JSON.parse((await run('eval', '--model', model, '--data', 'moons', '--json')).out[0]!);
    const { network: net, info } = await loadModel(model);
    const { train } = loadDataset('moons', { seed: net.seed });
    const x = applyPreprocessing(info.preprocessing as unknown as Preprocessing, train.x);
    const out = net.predict(x);
    const confusion = [
      [0, 0],
      [0, 0],
    ];
    for (let i = 0; i < x.rows; i++) {
      const truth = train.y.data[i * 2 + 1]! > train.y.data[i * 2]! ? 1 : 0;
      const predicted = out.data[i * 2 + 1]! > out.data[i * 2]! ? 1 : 0;
      confusion[truth]![predicted]!++;
    }
    expect(report.confusion).toEqual(confusion);
    expect(report.samples).toBe(x.rows);
    expect(report.accuracy).toBeCloseTo((confusion[0]![0]! + confusion[1]![1]!) / x.rows, 12);
    expect(report.perClass.map((c: { samples: number }) => c.samples)).toEqual(confusion.map((r) => r[0]! + r[1]!));
    expect(report.perClass[1].accuracy).toBeCloseTo(confusion[1]![1]! / (confusion[1]![0]! + confusion[1]![1]!), 12);
  });

  it('--limit n evaluates the first n samples of the split', async () => {
    const all = JSON.parse((await run('eval', '--model', model, '--data', 'moons', '--json')).out[0]!);
    const seven = JSON.parse((await run('eval', '--model', model, '--data', 'moons', '--json', '--limit', '7')).out[0]!);
    expect(seven.samples).toBe(7);
    expect(seven.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(7);
    expect(seven.loss).not.toBe(all.loss);
  });
});

describe('explain', () => {
  it('prints the numbers explain() computes for that sample', async () => {
    const json = JSON.parse((await run('explain', '--model', model, '--data', 'moons', '--index', '3', '--lr', '0.5', '--json')).out[0]!);
    const { network: net, info } = await loadModel(model);
    const { train } = loadDataset('moons', { seed: net.seed });
    const x = applyPreprocessing(info.preprocessing as unknown as Preprocessing, new Matrix(1, 2, train.x.row(3).slice()));
    const e = JSON.parse(JSON.stringify(net.explain(x, new Matrix(1, 2, train.y.row(3).slice()), { learningRate: 0.5 })));
    expect(json.index).toBe(3);
    expect(json.loss).toBe(e.loss);
    expect(json.layers).toEqual(e.layers);
    expect(json.x).toEqual(e.x);
  });

  it('--limit n loads only n samples, so --index must be below n', async () => {
    expect((await run('explain', '--model', model, '--data', 'moons', '--limit', '4', '--index', '3')).code).toBe(0);
    const r = await run('explain', '--model', model, '--data', 'moons', '--limit', '4', '--index', '4');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--index 4 is out of range: moons has samples 0\.\.3/);
  });
});

describe('export: the written files predict what predict() does', () => {
  const x = new Matrix(5, 2, Float32Array.from([0.1, 0.2, -1, 0.4, 0.9, -0.3, 1.5, 0, 0, 0]));

  it('ONNX, in onnxruntime-node', async () => {
    const path = join(dir, 'moons.onnx');
    expect((await run('export', '--model', model, '--format', 'onnx', '--out', path)).code).toBe(0);
    const { network: net } = await loadModel(model);
    const session = await ort.InferenceSession.create(readFileSync(path));
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), [5, 2]) });
    await session.release();
    expect(output!.dims).toEqual([5, 2]);
    const expected = net.predict(x).data;
    (output!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('TF.js, in tf.loadLayersModel', async () => {
    const out = join(dir, 'moons-tfjs');
    expect((await run('export', '--model', model, '--format', 'tfjs', '--out', out)).code).toBe(0);
    const { network: net } = await loadModel(model);
    await tf.setBackend('cpu');
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as TfjsModelJson;
    const weightData = new Uint8Array(Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(out, p))))).slice().buffer;
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }));
    const y = loaded.predict(tf.tensor2d(Float32Array.from(x.data), [5, 2])) as tf.Tensor;
    const expected = net.predict(x).data;
    Array.from(await y.data()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });
});

describe('train flags do what they claim', () => {
  it('validation data is used: the last "val loss" is the saved model\'s loss on the held-out split', async () => {
    const out = join(dir, 'val.safetensors');
    const r = await run('train', ...common, '--epochs', '2', '--validation', '0.25', '--out', out);
    const printed = Number(/val loss ([\d.]+)/.exec(r.err.filter((l) => l.startsWith('epoch 2/2')).at(-1)!)![1]);
    const { network: net, info } = await loadModel(out);
    const { train } = loadDataset('moons', { seed: 2 });
    const { validation } = trainValidationSplit(train, 0.25, 2);
    expect(validation.x.rows).toBe(50);
    const v = net.evaluate(applyPreprocessing(info.preprocessing as unknown as Preprocessing, validation.x), validation.y);
    expect(printed).toBeCloseTo(v.loss, 4);
    expect(r.err.join('\n')).toMatch(/150 samples, 50 for validation/);
  });

  it('--preprocess scale stores the training split\'s own column ranges', async () => {
    const out = join(dir, 'scale.safetensors');
    expect((await run('train', ...common, '--epochs', '1', '--preprocess', 'scale', '--out', out)).code).toBe(0);
    const { train } = loadDataset('moons', { seed: 2 });
    const expected = fitPreprocessing('scale', trainValidationSplit(train, 0.1, 2).train.x);
    expect((await loadModel(out)).info.preprocessing).toEqual(expected);
  });

  it('--loss and --init change the model: the cost, its output layer and the initial weights', async () => {
    const bce = join(dir, 'bce.safetensors');
    expect((await run('train', ...common, '--epochs', '1', '--loss', 'binary-cross-entropy', '--out', bce)).code).toBe(0);
    const b = await loadModel(bce);
    expect(b.info.loss).toBe('binary-cross-entropy');
    expect(b.info.layers.at(-1)!.activation).toBe('sigmoid');
    const zeros = join(dir, 'zeros.safetensors');
    const glorot = join(dir, 'glorot.safetensors');
    expect((await run('train', ...common, '--epochs', '1', '--init', 'zeros', '--lr', '1e-9', '--out', zeros)).code).toBe(0);
    expect((await run('train', ...common, '--epochs', '1', '--init', 'glorot', '--lr', '1e-9', '--out', glorot)).code).toBe(0);
    // η = 1e-9 leaves the initial weights all but untouched: zeros stay within 1e-7 of 0, Glorot's do not
    expect(Math.max(...weights((await loadModel(zeros)).network).map(Math.abs))).toBeLessThan(1e-6);
    expect(Math.max(...weights((await loadModel(glorot)).network).map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('--momentum is the optimizer\'s μ (kept in the checkpoint) and changes training', async () => {
    const a = join(dir, 'mu0.safetensors');
    const b = join(dir, 'mu9.safetensors');
    expect((await run('train', ...common, '--epochs', '1', '--optimizer', 'momentum', '--momentum', '0', '--out', a)).code).toBe(0);
    expect((await run('train', ...common, '--epochs', '1', '--optimizer', 'momentum', '--momentum', '0.9', '--checkpoint-every', '1', '--out', b)).code).toBe(0);
    expect((await loadCheckpoint(join(dir, 'mu9.ckpt.safetensors'))).optimizerConfig).toMatchObject({ id: 'momentum', momentum: 0.9 });
    expect(weights((await loadModel(a)).network)).not.toEqual(weights((await loadModel(b)).network));
  });

  it('--threads 2 trains on two threads, bit-identical to one', async () => {
    const one = join(dir, 't1.safetensors');
    const two = join(dir, 't2.safetensors');
    const digits = ['--data', 'digits', '--limit', '600', '--layers', '64', '--epochs', '1', '--batch-size', '64', '--backend', 'wasm'];
    expect((await run('train', ...digits, '--threads', '1', '--out', one)).code).toBe(0);
    const r = await run('train', ...digits, '--threads', '2', '--out', two);
    expect(r.err[0]).toMatch(/with the wasm kernels \(2 threads(, FMA)?\)/);
    expect(weights((await loadModel(one)).network)).toEqual(weights((await loadModel(two)).network));
  });

  it('--deterministic trains on the kernels without FMA (named in the log), bit-identical on 1 and 2 threads', async () => {
    const digits = ['--data', 'digits', '--limit', '600', '--layers', '64', '--epochs', '1', '--batch-size', '64', '--backend', 'wasm', '--threads', '2'];
    const fma = await run('train', ...digits, '--out', join(dir, 'fma.safetensors'));
    expect(fma.err[0]).toMatch(/with the wasm kernels \(2 threads, FMA\)/);
    const one = join(dir, 'd1.safetensors');
    const two = join(dir, 'd2.safetensors');
    expect((await run('train', ...digits, '--threads', '1', '--deterministic', '--out', one)).code).toBe(0);
    const r = await run('train', ...digits, '--deterministic', '--out', two);
    expect(r.err[0]).toMatch(/with the wasm kernels \(2 threads\):/);
    expect(weights((await loadModel(one)).network)).toEqual(weights((await loadModel(two)).network));
  });

  it('--limit n trains on the first n samples (before the validation split)', async () => {
    const r = await run('train', ...common, '--epochs', '1', '--limit', '40', '--out', join(dir, 'limit.safetensors'));
    expect(r.err[0]).toMatch(/on moons .*: 36 samples, 4 for validation/);
  });
});

describe('two-class models with one sigmoid output (as the playground exports them)', () => {
  let path: string;
  beforeAll(async () => {
    const net = network([2, { units: 1, activation: 'sigmoid' }], { loss: 'binary-cross-entropy', seed: 1 });
    net.layers[0]!.W.set([4, 0]); // P(class 1) = σ(4·x1): class 1 exactly when x1 ≥ 0
    path = join(dir, 'sigmoid.safetensors');
    await saveModel(path, net, { task: 'classification', classNames: ['left', 'right'] });
  });

  it('predict: class 1 when P ≥ 0.5, with the probability of the class it names', async () => {
    const input = join(dir, 'sides.csv');
    writeFileSync(input, '-1,0\n0.5,0\n0,3\n');
    const r = await run('predict', '--model', path, '--input', input, '--format', 'json');
    const rows = JSON.parse(r.out[0]!);
    const sigma = (z: number) => 1 / (1 + Math.exp(-z));
    expect(rows.map((p: { class: string }) => p.class)).toEqual(['left', 'right', 'right']);
    expect(rows[0].probability).toBeCloseTo(1 - sigma(-4), 6);
    expect(rows[1].probability).toBeCloseTo(sigma(2), 6);
    expect(rows[2].probability).toBeCloseTo(0.5, 6);
  });

  it('eval: accuracy and confusion from P ≥ 0.5 against the second one-hot column', async () => {
    const data = join(dir, 'sides-labelled.csv');
    // columns x1, x2, label; the model is right on rows 1, 2, 4 and wrong on row 3
    writeFileSync(data, 'x1,x2,side\n-2,0,left\n1,0,right\n-1,1,right\n3,3,right\n');
    const r = await run('eval', '--model', path, '--data', data, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out[0]!);
    expect(report.classes).toEqual(['left', 'right']);
    expect(report.confusion).toEqual([
      [1, 0],
      [1, 2],
    ]);
    expect(report.accuracy).toBe(0.75);
  });
});

describe('non-finite numbers never reach the output or a file', () => {
  it('predict refuses an output that overflows float32 instead of printing NaN', async () => {
    const net = network([1, { units: 1, activation: 'linear' }], { seed: 1 });
    net.layers[0]!.W.set([3e38]);
    const path = join(dir, 'huge.safetensors');
    await saveModel(path, net);
    const input = join(dir, 'two.csv');
    writeFileSync(input, '0\n2\n');
    const r = await run('predict', '--model', path, '--input', input);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`backprop: ${path} gives Infinity for row 1 (output 0): the computation overflows float32 on this input`]);
    expect(r.out).toEqual([]);
  });

  it('a checkpoint holding NaN is refused by eval, naming the tensor (exit 1)', async () => {
    const net = network([2, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
    const bytes = checkpointToBytes(net, {}, { optimizer: (await import('../../src/index.js')).sgd(), epoch: 1, fitSeed: 1 });
    // flip the first weight to NaN in place: the tensor data starts right after the header
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    new DataView(bytes.buffer).setFloat32(8 + headerLength, NaN, true);
    const path = join(dir, 'nan.ckpt.safetensors');
    writeFileSync(path, bytes);
    const r = await run('eval', '--model', path, '--data', 'moons');
    expect(r.code).toBe(1);
    expect(r.err[0]).toBe(`backprop: ${path}: tensor "layers.0.weight" holds NaN at index 0 (row 0, column 0); every value must be finite`);
  });
});

describe('exit codes and paths', () => {
  it('--out naming a device or a directory: exit 1, one line naming that path, the device untouched', async () => {
    const r = await run('train', ...common, '--epochs', '1', '--out', '/dev/null');
    expect(r.code).toBe(1);
    expect(r.err.at(-1)).toBe('backprop: cannot write /dev/null: it is a character device, not a regular file; only regular files are replaced');
    const d = await run('train', ...common, '--epochs', '1', '--out', dir);
    expect(d.err.at(-1)).toBe(`backprop: cannot write ${dir}: it is a directory, not a regular file; only regular files are replaced`);
  });

  it('CSV numbers beyond float32 stop training before it starts, naming file, line and column', async () => {
    const csv = join(dir, 'big.csv');
    writeFileSync(csv, 'a,b,label\n1,2,x\n3,1e39,y\n');
    const r = await run('train', '--data', csv, '--out', join(dir, 'big.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`backprop: ${csv}: line 3, column "b": 1e39 is outside the float32 range (±3.4028235e38)`]);
  });
});
