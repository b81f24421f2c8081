/**
 * Imports: backprop → TF.js / ONNX → backprop predicts as before (within 1e-6: the files hold
 * float32, so a float32 network comes back bit for bit and a float64 one within float32 rounding
 * of its weights); unsupported layers and bad files are refused with typed one-line errors and
 * nothing is written at --out.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossId } from '../../src/losses/index.js';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FormatError, network, OptionError, ShapeError, type Network } from '../../src/index.js';
import { fromOnnx, fromPytorch, fromTfjs } from '../../src/io/import.js';
import { importModel } from '../../src/io/import-files.js';
import { saveTfjsModel } from '../../src/io/node-files.js';
import { onnxModelType, toOnnx } from '../../src/io/onnx.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { toTfjs } from '../../src/io/tfjs.js';
import { ARCHITECTURES, makeNetwork, randomBatch } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-import-'));

function expectSamePredictions(a: Network, b: Network): void {
  const x = randomBatch(11, a.inputs, 3);
  const pa = a.predict(x).data;
  const pb = b.predict(x).data;
  expect(pb.length).toBe(pa.length);
  let worst = 0;
  for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i]! - pb[i]!));
  expect(worst).toBeLessThan(1e-6);
}

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'backprop', ...args], { result: (l) => out.push(l), info: (l) => err.push(l) });
  return { code, out, err };
}

/**
 * What a float32 file can hold of `net`: the same network in float32 (a float64 one with its
 * weights rounded to float32, which TF.js and ONNX files store).
 */
function asFloat32(net: Network): Network {
  if (net.dtype === 'float32') return net;
  const copy = network([net.inputs, ...net.specs], { loss: net.cost.id as LossId, dtype: 'float32', init: 'zeros' });
  copy.copyWeightsFrom(net);
  return copy;
}

describe('round trips through other formats', () => {
  for (const arch of ARCHITECTURES) {
    it(`backprop → TF.js → backprop: ${arch.label}`, async () => {
      const net = makeNetwork(arch);
      const { modelJsonPath } = await saveTfjsModel(join(dir, `tfjs-${arch.label.replace(/\W+/g, '-')}`), net);
      const { network: back } = await importModel({ from: 'tfjs', in: modelJsonPath });
      expect(back.specs).toEqual(net.specs);
      expectSamePredictions(asFloat32(net), back);
    });

    it(`backprop → ONNX → backprop: ${arch.label}`, () => {
      const net = makeNetwork(arch);
      const back = fromOnnx(toOnnx(net), 'model.onnx');
      expect(back.specs).toEqual(net.specs);
      expectSamePredictions(asFloat32(net), back);
    });
  }

  it('backprop → ONNX → backprop: gelu (Div, Erf, Add, Mul, Mul), silu (Sigmoid, Mul), elu(0.5), softplus', () => {
    const net = network(
      [3, { units: 5, activation: 'gelu' }, { units: 4, activation: 'silu' }, { units: 4, activation: 'elu', alpha: 0.5 }, { units: 2, activation: 'softplus' }],
      { loss: 'mse', seed: 5, init: 'normal' },
    );
    const back = fromOnnx(toOnnx(net), 'toolkit.onnx');
    expect(back.specs).toEqual(net.specs);
    expectSamePredictions(net, back);
  });

  it('the CLI imports ONNX and writes a model that eval opens', async () => {
    const net = makeNetwork(ARCHITECTURES[1]!);
    const onnx = join(dir, 'net.onnx');
    writeFileSync(onnx, toOnnx(net));
    const out = join(dir, 'from-onnx.safetensors');
    const r = await cli('import', '--from', 'onnx', '--in', onnx, '--out', out);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`imported 5-8-6-3 (relu, tanh, softmax; cross-entropy; float32) from ${onnx}`);
    const { network: back } = await importModel({ from: 'onnx', in: onnx });
    expectSamePredictions(net, back);
    expect(existsSync(out)).toBe(true);
  });
});

/** An ONNX model from nodes and initializers (float32 unless given), input `x` [N, inputs], output `y`. */
function onnx(nodes: object[], initializers: { name: string; dims: number[]; values?: number[]; data_type?: number }[], inputs = 2): Uint8Array {
  const type = onnxModelType();
  const tensor = (t: (typeof initializers)[number]) => {
    const values = t.values ?? Array.from({ length: t.dims.reduce((p, d) => p * d, 1) }, (_, k) => (k % 7) / 7 - 0.4);
    const raw = new Uint8Array(values.length * 4);
    values.forEach((v, k) => new DataView(raw.buffer).setFloat32(4 * k, v, true));
    return { name: t.name, dims: t.dims, data_type: t.data_type ?? 1, raw_data: raw };
  };
  const io = (name: string) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'N' }, { dim_value: inputs }] } } } });
  const model = {
    ir_version: 7,
    opset_import: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: nodes, initializer: initializers.map(tensor), input: [io('x')], output: [io('y')] },
  };
  return type.encode(type.fromObject(model)).finish();
}

describe('ONNX: MatMul + Add chains, and what is refused', () => {
  it('reads MatMul [inputs, units] + Add as z = W·a + b (the transpose of B)', () => {
    const net = fromOnnx(
      onnx(
        [
          { op_type: 'MatMul', input: ['x', 'B'], output: ['m'], name: 'mm' },
          { op_type: 'Add', input: ['m', 'c'], output: ['z'], name: 'add' },
          { op_type: 'Tanh', input: ['z'], output: ['y'], name: 'tanh' },
        ],
        [
          { name: 'B', dims: [2, 3], values: [1, 2, 3, 4, 5, 6] },
          { name: 'c', dims: [3], values: [0.5, -0.5, 0] },
        ],
      ),
      'mm.onnx',
    );
    // x = [1, 1]: z = x·B + c = [1 + 4, 2 + 5, 3 + 6] + c = [5.5, 6.5, 9]
    const y = net.predict([[1, 1]]).data;
    // (the wasm tanh is within 5e-7 of Math.tanh, relative)
    [Math.tanh(5.5), Math.tanh(6.5), Math.tanh(9)].forEach((want, i) => expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(5e-7 * want));
    expect(net.specs).toEqual([{ units: 3, activation: 'tanh' }]);
  });

  it('names the first unsupported op in one line', () => {
    const bytes = onnx(
      [
        { op_type: 'Gemm', input: ['x', 'W', 'b'], output: ['z'], name: 'fc1', attribute: [{ name: 'transB', type: 2, i: 1 }] },
        { op_type: 'Selu', input: ['z'], output: ['y'], name: 'selu1' },
      ],
      [
        { name: 'W', dims: [3, 2] },
        { name: 'b', dims: [3] },
      ],
    );
    expect(() => fromOnnx(bytes, 'selu.onnx')).toThrow(new FormatError("selu.onnx: unsupported op Selu (node 'selu1'); backprop imports chains of Gemm or MatMul + Add and activations"));
  });

  it('refuses a Gemm without bias, a float64 initializer and a truncated file with FormatErrors', () => {
    const noBias = onnx([{ op_type: 'Gemm', input: ['x', 'W'], output: ['y'], name: 'fc', attribute: [{ name: 'transB', type: 2, i: 1 }] }], [{ name: 'W', dims: [3, 2] }]);
    expect(() => fromOnnx(noBias, 'a.onnx')).toThrow(/a\.onnx: Gemm node 'fc' has no bias C \(missing bias\)/);
    const float64 = onnx(
      [{ op_type: 'Gemm', input: ['x', 'W', 'b'], output: ['y'], name: 'fc', attribute: [{ name: 'transB', type: 2, i: 1 }] }],
      [
        { name: 'W', dims: [3, 2], data_type: 11 },
        { name: 'b', dims: [3] },
      ],
    );
    expect(() => fromOnnx(float64, 'b.onnx')).toThrow(new FormatError('b.onnx: initializer "W" has data type float64; only float32 can be imported'));
    const whole = toOnnx(makeNetwork(ARCHITECTURES[0]!));
    const cut = whole.subarray(0, whole.length - 9);
    expect(() => fromOnnx(cut, 'cut.onnx')).toThrow(FormatError);
    expect(() => fromOnnx(cut, 'cut.onnx')).toThrow(/^cut\.onnx is not a valid ONNX file \(.*truncated\?\)$/);
  });

  it('refuses layers that do not chain with a ShapeError naming both', () => {
    const bytes = onnx(
      [
        { op_type: 'Gemm', input: ['x', 'W1', 'b1'], output: ['h'], name: 'fc1', attribute: [{ name: 'transB', type: 2, i: 1 }] },
        { op_type: 'Gemm', input: ['h', 'W2', 'b2'], output: ['y'], name: 'fc2', attribute: [{ name: 'transB', type: 2, i: 1 }] },
      ],
      [
        { name: 'W1', dims: [3, 2] },
        { name: 'b1', dims: [3] },
        { name: 'W2', dims: [1, 4] },
        { name: 'b2', dims: [1] },
      ],
    );
    expect(() => fromOnnx(bytes, 'c.onnx')).toThrow(new ShapeError("c.onnx: layer 'Gemm node 'fc2'' takes 4 inputs but layer 'Gemm node 'fc1'' before it gives 3"));
  });
});

describe('TF.js: a model written by @tensorflow/tfjs itself', () => {
  it('Dense, LeakyReLU, Dropout and Activation layers predict as in TF.js', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 5, activation: 'tanh' }),
        tf.layers.dense({ units: 6 }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 4 }),
        tf.layers.activation({ activation: 'softmax' }),
      ],
    });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const modelJson = { modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }] };
    const weights = new Uint8Array(artifacts!.weightData as ArrayBuffer);
    const net = fromTfjs(modelJson, () => weights, 'model.json');
    expect(net.specs).toEqual([
      { units: 5, activation: 'tanh' },
      { units: 6, activation: 'leaky-relu', alpha: 0.2 },
      { units: 4, activation: 'softmax' },
    ]);
    expect(net.cost.id).toBe('cross-entropy');
    const x = randomBatch(9, 3, 4);
    const input = tf.tensor2d(Float32Array.from(x.data), [9, 3]);
    const output = model.predict(input) as tf.Tensor;
    const expected = await output.data();
    tf.dispose([input, output]);
    model.dispose();
    const got = net.predict(x).data;
    let worst = 0;
    got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!))));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('Keras layers models as tensorflowjs_converter writes them', () => {
  /** model.json of a Keras 3 Sequential (InputLayer with batch_shape, wrapped in model_config) of one Dense 3 → 2. */
  const keras = (features: number) => ({
    modelTopology: {
      keras_version: '3.0.0',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, features], name: 'input_layer' } },
            { class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'relu', use_bias: true } },
          ],
        },
      },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'dense/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'dense/bias', shape: [2], dtype: 'float32' }] }],
  });
  // kernel [[1, 2], [3, 4], [5, 6]] (inputs × units), bias [0.5, −100]
  const weights = new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6, 0.5, -100]).buffer);

  it('reads the kernel as the transpose of W: relu(x·kernel + b)', () => {
    const net = fromTfjs(keras(3), () => weights, 'model.json');
    // x = [1, 1, 1]: x·kernel + b = [1 + 3 + 5 + 0.5, 2 + 4 + 6 − 100] = [9.5, −88] → relu → [9.5, 0]
    expect(Array.from(net.predict([[1, 1, 1]]).data)).toEqual([9.5, 0]);
  });

  it("refuses an input shape that the first Dense does not take", () => {
    expect(() => fromTfjs(keras(4), () => weights, 'model.json')).toThrow(new ShapeError("model.json: the model's input has 4 features but layer 'dense' takes 3"));
  });
});

describe('TF.js / Keras: what is refused', () => {
  const net = makeNetwork(ARCHITECTURES[0]!);
  const { modelJson, weights } = toTfjs(net);
  const read = () => weights;

  it('names the first unsupported layer in one line', () => {
    const json = structuredClone(modelJson) as unknown as { modelTopology: { config: { layers: object[] } } };
    json.modelTopology.config.layers.splice(1, 0, { class_name: 'BatchNormalization', config: { name: 'batch_normalization_1' } });
    expect(() => fromTfjs(json, read, 'model.json')).toThrow(
      new FormatError("model.json: unsupported layer 'batch_normalization_1' (BatchNormalization); backprop imports Dense layers, their activations and Dropout"),
    );
  });

  it('refuses a Dense without bias, float16 weights and truncated weights with FormatErrors', () => {
    const noBias = structuredClone(modelJson) as unknown as { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } } };
    noBias.modelTopology.config.layers[1]!.config['use_bias'] = false;
    expect(() => fromTfjs(noBias, read, 'm.json')).toThrow(new FormatError("m.json: layer 'dense_2' has use_bias false (missing bias): every backprop layer has a bias b"));
    const half = structuredClone(modelJson);
    half.weightsManifest[0]!.weights[0]!.dtype = 'float16' as 'float32';
    expect(() => fromTfjs(half, read, 'm.json')).toThrow(new FormatError('m.json: weight "dense_1/kernel" has dtype float16; only float32 weights can be imported'));
    expect(() => fromTfjs(modelJson, () => weights.subarray(0, weights.length - 4), 'm.json')).toThrow(/m\.json: weight "dense_2\/bias" ends at byte \d+ but the weight files of its group hold \d+ bytes \(truncated\?\)/);
  });

  it('refuses kernels that do not chain with a ShapeError', () => {
    const json = structuredClone(modelJson);
    json.weightsManifest[0]!.weights[2]!.shape = [2, 1];
    const bigger = new Uint8Array(weights.length - 8);
    // dense_2/kernel now [2, 1]: 2 values fewer, so the bytes still tile the manifest exactly
    bigger.set(weights.subarray(0, 4 * (2 * 4 + 4 + 2)));
    bigger.set(weights.subarray(weights.length - 4), bigger.length - 4);
    expect(() => fromTfjs(json, () => bigger, 'm.json')).toThrow(new ShapeError("m.json: layer 'dense_2' takes 2 inputs but layer 'dense_1' before it gives 4"));
  });
});

/** A safetensors file with one raw tensor of any dtype (encodeSafetensors writes F32/F64 only). */
function rawSafetensors(name: string, dtype: string, shape: number[], bytesPerValue: number): Uint8Array {
  const size = shape.reduce((p, d) => p * d, 1) * bytesPerValue;
  const header = new TextEncoder().encode(JSON.stringify({ [name]: { dtype, shape, data_offsets: [0, size] } }).padEnd(64, ' '));
  const out = new Uint8Array(8 + header.length + size);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

describe('PyTorch state dicts: what is refused', () => {
  const f32 = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((p, d) => p * d, 1)) });
  const flags = { activation: 'relu', loss: 'mse' };

  it('reads nn.Sequential keys (0.weight, 2.weight: the activation between holds no tensor)', () => {
    const bytes = encodeSafetensors({ '0.weight': f32([3, 2]), '0.bias': f32([3]), '2.weight': f32([1, 3]), '2.bias': f32([1]) });
    expect(fromPytorch(bytes, 's.safetensors', flags).specs).toEqual([
      { units: 3, activation: 'relu' },
      { units: 1, activation: 'linear' },
    ]);
  });

  it('names the first unsupported layer, the missing bias, the wrong dtype, the truncation; shapes that do not chain are ShapeErrors', () => {
    const batchNorm = encodeSafetensors({ '0.weight': f32([3, 2]), '0.bias': f32([3]), '1.weight': f32([3]), '1.bias': f32([3]), '1.running_mean': f32([3]) });
    expect(() => fromPytorch(batchNorm, 's', flags)).toThrow(
      new FormatError("s: unsupported layer '1' (1.weight [3], 1.bias [3], 1.running_mean [3]); only a chain of nn.Linear modules numbered as in nn.Sequential can be imported"),
    );
    const noBias = encodeSafetensors({ '0.weight': f32([3, 2]) });
    expect(() => fromPytorch(noBias, 's', flags)).toThrow(new FormatError("s: layer '0' has 0.weight but no 0.bias (nn.Linear(bias=False) is not supported: every backprop layer has a bias b)"));
    expect(() => fromPytorch(rawSafetensors('0.weight', 'F16', [3, 2], 2), 's', flags)).toThrow(new FormatError('s is not a valid safetensors file: tensor "0.weight" has dtype "F16"; only F32 and F64 are supported'));
    const whole = encodeSafetensors({ '0.weight': f32([3, 2]), '0.bias': f32([3]) });
    expect(() => fromPytorch(whole.subarray(0, whole.length - 4), 's', flags)).toThrow(/^s is not a valid safetensors file: .*truncated file\?\)$/);
    const unchained = encodeSafetensors({ '0.weight': f32([3, 2]), '0.bias': f32([3]), '2.weight': f32([1, 4]), '2.bias': f32([1]) });
    expect(() => fromPytorch(unchained, 's', flags)).toThrow(new ShapeError("s: layer '2' takes 4 inputs but layer '0' before it gives 3"));
    expect(() => fromPytorch(whole, 's', {})).toThrow(OptionError);
  });

  it('the CLI prints one line, exits 1 and writes nothing at --out', async () => {
    const cases: [string, Uint8Array][] = [
      ['unchained', encodeSafetensors({ '0.weight': f32([3, 2]), '0.bias': f32([3]), '2.weight': f32([1, 4]), '2.bias': f32([1]) })],
      ['no-bias', encodeSafetensors({ '0.weight': f32([3, 2]) })],
      ['f16', rawSafetensors('0.weight', 'F16', [3, 2], 2)],
      ['truncated', encodeSafetensors({ '0.weight': f32([3, 2]), '0.bias': f32([3]) }).subarray(0, 40)],
    ];
    for (const [name, bytes] of cases) {
      const input = join(dir, `${name}.safetensors`);
      const out = join(dir, `${name}-imported.safetensors`);
      writeFileSync(input, bytes);
      const r = await cli('import', '--from', 'pytorch', '--in', input, '--out', out, '--activation', 'relu', '--loss', 'mse');
      expect(r.code, name).toBe(1);
      expect(r.err, name).toHaveLength(1);
      expect(r.err[0], name).toMatch(new RegExp(`^backprop: ${input.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      expect(existsSync(out), name).toBe(false);
    }
  });
});
