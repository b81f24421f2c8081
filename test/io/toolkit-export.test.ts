/**
 * The toolkit at inference in the exports: elu, gelu, softplus, silu/swish in ONNX (onnxruntime)
 * and TF.js (tf.loadLayersModel) against predict; dropout adds nothing; what neither format can
 * hold is refused naming the layer. Tolerance: 1e-5 absolute, as the other export tests (float32
 * evaluation orders and erf/exp implementations differ by a few ulps).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { network, OptionError, type ActivationId, type Matrix, type Network } from '../../src/index.js';
import { toOnnx } from '../../src/io/onnx.js';
import { toTfjs } from '../../src/io/tfjs.js';
import { randomBatch } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const TOLERANCE = 1e-5;

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
}

async function onnxPredict(net: Network, x: Matrix): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(toOnnx(net));
  try {
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]) });
    return output!.data as Float32Array;
  } finally {
    await session.release();
  }
}

async function tfjsPredict(net: Network, x: Matrix): Promise<Float32Array> {
  const { modelJson, weights } = toTfjs(net);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights), weightData: weights.slice().buffer as ArrayBuffer }),
  );
  const input = tf.tensor2d(Float32Array.from(x.data), [x.rows, x.cols]);
  const output = model.predict(input) as tf.Tensor;
  const data = (await output.data()) as Float32Array;
  tf.dispose([input, output]);
  model.dispose();
  return data;
}

const NEW: ActivationId[] = ['elu', 'gelu', 'softplus', 'silu', 'swish'];

/** Hidden and output layers of the activation, dropout on the hidden one; inputs with |z| up to ~15, into the tails. */
function make(act: ActivationId, alpha?: number): Network {
  return network([4, { units: 9, activation: act, alpha, dropout: 0.3 }, { units: 5, activation: 'tanh', dropout: 0.1 }, { units: 3, activation: act, alpha }], { seed: 6, init: 'normal' });
}

describe('ONNX export of the toolkit', () => {
  for (const act of NEW) {
    it(`${act}: onnxruntime predicts as predict`, async () => {
      const net = make(act, act === 'elu' ? 0.4 : undefined);
      const x = randomBatch(40, 4, 3);
      expect(worst(await onnxPredict(net, x), net.predict(x).data)).toBeLessThan(TOLERANCE);
    });
  }

  it('uses Elu(alpha), Softplus, Erf for GELU, Sigmoid·z for SiLU, and nothing for dropout (opset 13 kept)', () => {
    const ops = (act: ActivationId) => {
      const text = new TextDecoder('latin1').decode(toOnnx(make(act, 0.4)));
      return ['Elu', 'Softplus', 'Erf', 'Sigmoid', 'Dropout'].filter((op) => text.includes(op));
    };
    expect(ops('elu')).toEqual(['Elu']);
    expect(ops('softplus')).toEqual(['Softplus']);
    expect(ops('gelu')).toEqual(['Erf']);
    expect(ops('silu')).toEqual(['Sigmoid']);
  });
});

describe('TF.js export of the toolkit', () => {
  for (const act of NEW) {
    it(`${act}: tf.loadLayersModel predicts as predict`, async () => {
      const net = make(act);
      const x = randomBatch(40, 4, 3);
      expect(worst(await tfjsPredict(net, x), net.predict(x).data)).toBeLessThan(TOLERANCE);
    });
  }

  it("spells them elu, gelu, softplus and swish, with no layer for dropout", () => {
    const acts = NEW.map((act) => toTfjs(make(act)).modelJson.modelTopology.config.layers.map((l) => `${l.class_name}:${l.config['activation']}`));
    expect(acts).toEqual(NEW.map((a) => [`Dense:${a === 'silu' ? 'swish' : a}`, 'Dense:tanh', `Dense:${a === 'silu' ? 'swish' : a}`]));
  });
});

describe('what the exports cannot hold is refused naming the layer', () => {
  const custom = network([2, { units: 3, activation: 'relu' }, { units: 2, activation: { name: 'cube', f: (z) => z * z * z, df: (z) => 3 * z * z } }], { seed: 1 });
  it.each([
    ['ONNX', () => toOnnx(custom), /^ONNX export cannot hold the custom activation "cube" of layer 2: its functions are code, not ONNX operators$/],
    ['TF.js', () => toTfjs(custom), /^TF\.js export cannot hold the custom activation "cube" of layer 2: its functions are code, not a Keras activation$/],
    ['TF.js ELU α ≠ 1', () => toTfjs(make('elu', 0.4)), /^TF\.js export cannot hold ELU with α = 0\.4 \(layer 1\): TF\.js' elu and ELU layer support α = 1 only$/],
  ] as const)('%s', (_, fn, message) => {
    expect(fn).toThrow(OptionError);
    expect(fn).toThrow(message);
  });
});
