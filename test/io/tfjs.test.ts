import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { network, type ActivationId, type Network } from '../../src/index.js';
import { saveTfjsModel } from '../../src/io/node-files.js';
import { TFJS_WEIGHTS_FILE, toTfjs, type TfjsModelJson } from '../../src/io/tfjs.js';
import { ARCHITECTURES, makeNetwork, randomBatch } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** An ArrayBuffer holding exactly these bytes (TF.js wants an ArrayBuffer, not a view). */
function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/** Predicts with the TF.js model and compares with net.predict. */
async function expectSamePredictions(model: tf.LayersModel, net: Network): Promise<void> {
  const x = randomBatch(13, net.inputs, 5);
  const input = tf.tensor2d(Float32Array.from(x.data), [x.rows, x.cols]);
  const output = model.predict(input) as tf.Tensor;
  const data = await output.data();
  expect(output.shape).toEqual([x.rows, net.outputs]);
  tf.dispose([input, output]);
  model.dispose();
  const expected = net.predict(x).data;
  let worst = 0;
  for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i]! - expected[i]!));
  expect(worst).toBeLessThan(1e-5);
}

async function loadFromMemory(net: Network): Promise<tf.LayersModel> {
  const { modelJson, weights } = toTfjs(net);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: arrayBuffer(weights),
    }),
  );
}

const HIDDEN: ActivationId[] = ['sigmoid', 'relu', 'tanh', 'leaky-relu', 'linear'];

describe('TF.js Layers export loads in @tensorflow/tfjs with the same predictions', () => {
  for (const act of [...HIDDEN, 'softmax' as const]) {
    it(`${act} output layer after a ${act === 'softmax' ? 'relu' : act} hidden layer`, async () => {
      const hidden = act === 'softmax' ? 'relu' : act;
      const net = network([4, { units: 9, activation: hidden, alpha: 0.3 }, { units: 3, activation: act, alpha: 0.05 }], { seed: 4, init: 'normal' });
      await expectSamePredictions(await loadFromMemory(net), net);
    });
  }

  for (const arch of ARCHITECTURES) {
    it(arch.label, async () => {
      const net = makeNetwork(arch);
      await expectSamePredictions(await loadFromMemory(net), net);
    });
  }

  it('from the files saveTfjsModel writes (read back through an IOHandler)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'backprop-tfjs-'));
    try {
      const net = makeNetwork(ARCHITECTURES[2]!);
      const { modelJsonPath } = await saveTfjsModel(dir, net, { metadata: { classNames: ['a', 'b'] } });
      const handler: tf.io.IOHandler = {
        async load(): Promise<tf.io.ModelArtifacts> {
          const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as TfjsModelJson;
          const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
          return {
            modelTopology: json.modelTopology,
            weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
            weightData: arrayBuffer(new Uint8Array(Buffer.concat(shards))),
            // TF.js types metadata values as {} (no null); ours are JSON, which it stores as given
            ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata as Record<string, {}> } : {}),
          };
        },
      };
      const model = await tf.loadLayersModel(handler);
      expect(model.getUserDefinedMetadata()).toEqual({ classNames: ['a', 'b'] });
      await expectSamePredictions(model, net);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('model.json', () => {
  it('is a Keras Sequential of Dense layers with transposed kernels, leaky ReLU as its own layer', () => {
    const net = network([3, { units: 2, activation: 'leaky-relu', alpha: 0.1 }, { units: 1, activation: 'sigmoid' }], { seed: 1 });
    net.layers[0]!.W.set([1, 2, 3, 4, 5, 6]); // W = [[1, 2, 3], [4, 5, 6]]
    net.layers[0]!.b.set([7, 8]);
    net.layers[1]!.W.set([9, 10]);
    net.layers[1]!.b.set([11]);
    const { modelJson, weights } = toTfjs(net);
    expect(modelJson.format).toBe('layers-model');
    const layers = modelJson.modelTopology.config.layers;
    expect(layers.map((l) => [l.class_name, l.config['name'], l.config['activation'] ?? l.config['alpha']])).toEqual([
      ['Dense', 'dense_1', 'linear'],
      ['LeakyReLU', 'leaky_re_lu_1', 0.1],
      ['Dense', 'dense_2', 'sigmoid'],
    ]);
    expect(layers[0]!.config['batch_input_shape']).toEqual([null, 3]);
    expect(modelJson.weightsManifest).toEqual([
      {
        paths: [TFJS_WEIGHTS_FILE],
        weights: [
          { name: 'dense_1/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
          { name: 'dense_2/kernel', shape: [2, 1], dtype: 'float32' },
          { name: 'dense_2/bias', shape: [1], dtype: 'float32' },
        ],
      },
    ]);
    // kernel = Wᵀ = [[1, 4], [2, 5], [3, 6]], row-major, then b, then the second layer
    expect(Array.from(new Float32Array(arrayBuffer(weights)))).toEqual([1, 4, 2, 5, 3, 6, 7, 8, 9, 10, 11]);
  });
});
