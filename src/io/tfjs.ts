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

/** What {@link toTfjs} writes besides the layers. */
export interface TfjsExportOptions {
  /** Name of the Sequential model in the topology (default 'sequential'). */
  name?: string;
  /** Stored as model.json's `userDefinedMetadata` (TF.js: `model.getUserDefinedMetadata()`), e.g. class names. */
  metadata?: JsonObject;
}

/** One weight of the manifest: its name, shape and type, in the order of the weights file. */
export interface TfjsWeightSpec {
  /** e.g. `dense_1/kernel` */
  name: string;
  /** [inputs, units] for a kernel, [units] for a bias. */
  shape: number[];
  /** Always float32. */
  dtype: 'float32';
}

/** One layer of the Keras Sequential topology. */
export interface TfjsLayerConfig {
  /** Dense, or LeakyReLU after a linear Dense. */
  class_name: 'Dense' | 'LeakyReLU';
  /** The Keras layer config (units, activation, use_bias, …). */
  config: Record<string, unknown>;
}

/** The parts of model.json that TF.js `loadLayersModel` reads. */
export interface TfjsModelJson {
  /** Always 'layers-model'. */
  format: 'layers-model';
  /** backprop and its version. */
  generatedBy: string;
  /** Not converted from a Python model. */
  convertedBy: null;
  /** The Keras Sequential model. */
  modelTopology: {
    /** Always 'Sequential'. */
    class_name: 'Sequential';
    /** The model's name and layers. */
    config: {
      /** The model's name. */
      name: string;
      /** The layers, input first. */
      layers: TfjsLayerConfig[];
    };
    /** The Keras version the topology follows. */
    keras_version: string;
    /** Always 'tensor_flow.js'. */
    backend: string;
  };
  /** One group: the weights file and the weights it holds, in order. */
  weightsManifest: {
    /** The weight files, relative to model.json. */
    paths: string[];
    /** The weights, in the order of their bytes. */
    weights: TfjsWeightSpec[];
  }[];
  /** TfjsExportOptions.metadata, when given. */
  userDefinedMetadata?: JsonObject;
}

/** A TF.js Layers model in memory: what `saveTfjsModel` (backprop/node) writes to a directory. */
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

/**
 * The model.json object and the weights bytes of a TF.js Layers model equal to `net` (in float32).
 * Keras kernels are [inputs, units]: Wᵀ of our W.
 *
 * @example
 * ```ts
 * import { network } from 'backprop';
 * import { TFJS_WEIGHTS_FILE, toTfjs } from 'backprop/export';
 *
 * const net = network([4, { units: 8, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * const { modelJson, weights } = toTfjs(net, { metadata: { classNames: ['setosa', 'versicolor', 'virginica'] } });
 * // write JSON.stringify(modelJson) as model.json and `weights` as TFJS_WEIGHTS_FILE beside it
 * console.log(modelJson.modelTopology.config.layers.length, weights.length, TFJS_WEIGHTS_FILE);   // 2 268 group1-shard1of1.bin
 * ```
 */
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
