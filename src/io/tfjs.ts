/**
 * Export to the TensorFlow.js Layers format (browser-safe; the Node writer is saveTfjsModel in
 * node-files.ts): `model.json` holding a Keras Sequential topology and a weights manifest, plus one
 * binary file of little-endian float32 values in manifest order.
 *
 * Each of our dense layers becomes a Keras Dense layer. Keras kernels are [inputs, units], the
 * transpose of our W [units, inputs], so this export (and only this one) transposes. Keras has no
 * leaky-ReLU Dense activation: such a layer becomes Dense(activation 'linear') + LeakyReLU(alpha).
 * elu (α = 1), gelu (tfjs-layers' 'gelu' is the exact x·Φ(x) with erf, not the tanh form, which
 * is 'gelu_new'), softplus and silu ('swish': x·sigmoid(x)) are Dense activations. Dropout is the
 * identity at inference: no layer. Refused, naming the layer: custom activations (code, not
 * Keras), and ELU with α ≠ 1 (TF.js' ELU layer throws for any α but 1).
 */
import { OptionError } from '../errors.js';
import type { Network } from '../network.js';
import type { JsonObject } from './model-file.js';

/** The one weights file of an export (TF.js names shards groupG-shardKofN.bin). */
export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

export interface TfjsExportOptions {
  /** Name of the Sequential model in the topology (default 'sequential'). */
  name?: string;
  /** Stored as model.json's `userDefinedMetadata` (TF.js: `model.getUserDefinedMetadata()`), e.g. class names. */
  metadata?: JsonObject;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface TfjsLayerConfig {
  class_name: 'Dense' | 'LeakyReLU';
  config: Record<string, unknown>;
}

/** The parts of model.json that TF.js `loadLayersModel` reads. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: TfjsLayerConfig[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata?: JsonObject;
}

export interface TfjsExport {
  /** Serialise with JSON.stringify to get model.json. */
  modelJson: TfjsModelJson;
  /** The content of TFJS_WEIGHTS_FILE. */
  weights: Uint8Array;
}

/** Keras spellings of our activations; leaky-relu is handled as a separate layer. */
const KERAS_ACTIVATION: Record<string, string | undefined> = {
  sigmoid: 'sigmoid',
  relu: 'relu',
  tanh: 'tanh',
  linear: 'linear',
  softmax: 'softmax',
  elu: 'elu',
  gelu: 'gelu',
  softplus: 'softplus',
  silu: 'swish',
};

/** The model.json object and the weights bytes of a TF.js Layers model equal to `net` (in float32). */
export function toTfjs(net: Network, options: TfjsExportOptions = {}): TfjsExport {
  const layers: TfjsLayerConfig[] = [];
  const specs: TfjsWeightSpec[] = [];
  const values: Float32Array[] = [];
  let leaky = 0;
  net.layers.forEach((layer, i) => {
    // Layer names are unique within the model: TF.js matches weights to variables by `${layer}/kernel`.
    const name = `dense_${i + 1}`;
    if (layer.act.elementwise && layer.act.custom) {
      throw new OptionError(`TF.js export cannot hold the custom activation "${layer.act.id}" of layer ${i + 1}: its functions are code, not a Keras activation`);
    }
    const isLeaky = layer.act.id === 'leaky-relu';
    const activation = isLeaky ? 'linear' : KERAS_ACTIVATION[layer.act.id]!;
    if (layer.act.id === 'elu' && layer.act.alpha !== 1) {
      throw new OptionError(`TF.js export cannot hold ELU with α = ${layer.act.alpha} (layer ${i + 1}): TF.js' elu and ELU layer support α = 1 only`);
    }
    const config: Record<string, unknown> = {
      name,
      trainable: true,
      dtype: 'float32',
      units: layer.units,
      activation,
      use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
    if (i === 0) config['batch_input_shape'] = [null, net.inputs];
    layers.push({ class_name: 'Dense', config });
    if (isLeaky) {
      leaky++;
      layers.push({ class_name: 'LeakyReLU', config: { name: `leaky_re_lu_${leaky}`, trainable: true, dtype: 'float32', alpha: layer.act.alpha } });
    }

    // kernel[j][u] = W[u][j]: Keras computes x·kernel with x a row, we compute W·x with x a column.
    const kernel = new Float32Array(layer.inputs * layer.units);
    for (let u = 0; u < layer.units; u++) {
      for (let j = 0; j < layer.inputs; j++) kernel[j * layer.units + u] = layer.W[u * layer.inputs + j]!;
    }
    specs.push({ name: `${name}/kernel`, shape: [layer.inputs, layer.units], dtype: 'float32' });
    values.push(kernel);
    specs.push({ name: `${name}/bias`, shape: [layer.units], dtype: 'float32' });
    values.push(Float32Array.from(layer.b));
  });

  const total = values.reduce((s, v) => s + v.length, 0);
  const weights = new Uint8Array(total * 4);
  const view = new DataView(weights.buffer);
  let at = 0;
  for (const v of values) {
    for (let k = 0; k < v.length; k++, at += 4) view.setFloat32(at, v[k]!, true);
  }

  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'backprop',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: options.name ?? 'sequential', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: specs }],
  };
  if (options.metadata !== undefined) modelJson.userDefinedMetadata = options.metadata;
  return { modelJson, weights };
}
