/**
 * Imports of dense networks written by other libraries (browser-safe: bytes in, a Network out).
 *
 *   pytorch         a state dict saved as safetensors: modules whose tensors are exactly
 *                   {i}.weight [units, inputs] and {i}.bias [units] (nn.Linear), in the order of i.
 *                   The file holds no activations or cost: the caller names them.
 *   tfjs / keras    a layers model: model.json (a Keras Sequential topology and a weights
 *                   manifest) and its weight files; Dense layers (kernel [inputs, units], the
 *                   transpose of our W), their activations, Activation/ReLU/Softmax/LeakyReLU
 *                   layers after a linear Dense, and Dropout (the identity at inference).
 *   onnx            a graph that is a chain of Gemm, or MatMul + Add, each optionally followed by
 *                   one activation node, or SiLU/GELU in the nodes backprop's export writes.
 *
 * Anything else is refused with one line naming the first unsupported layer or op. Bad files are
 * typed errors: FormatError (not the format, truncated, wrong dtype, missing bias), ShapeError
 * (layers that do not chain); nothing is built from a file that failed.
 */
import { ACTIVATIONS, type ActivationId } from '../activations/index.js';
import { FormatError, OptionError, ShapeError } from '../errors.js';
import { LOSSES, type LossId } from '../losses/index.js';
import { Network } from '../network.js';
import type { DType } from '../tensor/matrix.js';
import { onnxModelType } from './onnx.js';
import { decodeSafetensors } from './safetensors.js';

/** The formats {@link importModel} reads ('keras' is the TF.js layers format as Keras writes it). */
export const IMPORT_FORMATS = ['pytorch', 'keras', 'tfjs', 'onnx'] as const;
/** One of {@link IMPORT_FORMATS}. */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** What a foreign file does not say and the imported network needs: activations, cost, seed. */
export interface ImportOptions {
  /** pytorch (required): the activation of every hidden layer. */
  activation?: string;
  /**
   * The output layer's activation. pytorch: default softmax for cross-entropy, sigmoid for
   * binary-cross-entropy, linear for mse. tfjs/onnx: put on a linear output layer, e.g. softmax
   * on the logits of a network trained with PyTorch's CrossEntropyLoss.
   */
  outputActivation?: string;
  /** The cost (required for pytorch; tfjs/onnx default: cross-entropy after softmax, else mse). */
  loss?: string;
  /** The seed recorded in the model (default 1). */
  seed?: number;
}

/** One layer as read from a foreign file, already in our layout: W [units, inputs] row-major. */
interface ForeignLayer {
  /** How the file names it (in errors). */
  name: string;
  units: number;
  inputs: number;
  W: Float32Array | Float64Array;
  b: Float32Array | Float64Array;
  activation: string;
  alpha?: number;
}

/** Builds the network; the layers must chain (each one's inputs are the units of the one before). */
function build(layers: ForeignLayer[], loss: string, dtype: DType, seed: number, source: string): Network {
  if (layers.length === 0) throw new FormatError(`${source} holds no dense layer`);
  layers.forEach((l, i) => {
    const before = layers[i - 1];
    if (before && before.units !== l.inputs) {
      throw new ShapeError(`${source}: layer '${l.name}' takes ${l.inputs} inputs but layer '${before.name}' before it gives ${before.units}`);
    }
    if (!(ACTIVATIONS as readonly string[]).includes(l.activation)) {
      throw new FormatError(`${source}: layer '${l.name}' has activation '${l.activation}', which backprop does not have (valid: ${ACTIVATIONS.join(', ')})`);
    }
  });
  if (!(LOSSES as readonly string[]).includes(loss)) throw new OptionError(`unknown loss ${JSON.stringify(loss)}; valid: ${LOSSES.join(', ')}`);
  const specs = layers.map((l) => ({ units: l.units, activation: l.activation as ActivationId, ...(l.alpha !== undefined ? { alpha: l.alpha } : {}) }));
  const net = new Network(layers[0]!.inputs, specs, { loss: loss as LossId, dtype, seed, init: 'zeros', backend: dtype === 'float64' ? 'js' : 'auto', threads: 1 });
  net.layers.forEach((layer, i) => {
    layer.W.set(layers[i]!.W);
    layer.b.set(layers[i]!.b);
  });
  return net;
}

/** Puts `activation` on the output layer, which must be linear (the logits) or have it already. */
function withOutput(layers: ForeignLayer[], activation: string | undefined, source: string): ForeignLayer[] {
  const last = layers.at(-1);
  if (activation === undefined || !last || last.activation === activation) return layers;
  if (last.activation !== 'linear') {
    throw new OptionError(`${source}: the output layer '${last.name}' has activation '${last.activation}'; an output activation can only be put on a linear output (logits)`);
  }
  last.activation = activation;
  return layers;
}

/** The cost when the file does not say: cross-entropy after softmax, else mse. */
function defaultLoss(layers: ForeignLayer[]): LossId {
  return layers.at(-1)?.activation === 'softmax' ? 'cross-entropy' : 'mse';
}

// ---- PyTorch ------------------------------------------------------------------------------------

/**
 * A PyTorch nn.Sequential state dict of nn.Linear modules, saved as safetensors.
 * nn.Linear's weight is [out, in], our W: no transpose.
 *
 * @param source - the file's name, in errors
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { fromPytorch } from 'backprop/node';
 *
 * // python: safetensors.torch.save_file(model.state_dict(), 'mlp.safetensors') for nn.Sequential(Linear, ReLU, Linear)
 * const net = fromPytorch(readFileSync('mlp.safetensors'), 'mlp.safetensors', { activation: 'relu', loss: 'cross-entropy' });
 * console.log(net.layers.map((l) => l.act.id));   // [ 'relu', 'softmax' ]
 * ```
 */
export function fromPytorch(bytes: Uint8Array, source: string, options: ImportOptions): Network {
  if (options.activation === undefined || options.loss === undefined) {
    throw new OptionError('a PyTorch state dict holds weights only: name the hidden activation and the cost (--activation, --loss)');
  }
  const { tensors } = decodeSafetensors(bytes, source);
  const modules = new Map<string, Map<string, string>>();
  for (const key of Object.keys(tensors)) {
    const dot = key.lastIndexOf('.');
    const module = dot < 0 ? '' : key.slice(0, dot);
    if (!modules.has(module)) modules.set(module, new Map());
    modules.get(module)!.set(key.slice(dot + 1), key);
  }
  // nn.Sequential numbers its modules; the activations between the Linear ones hold no tensors.
  const index = (m: string): number => Number(/(\d+)$/.exec(m)?.[1] ?? NaN);
  const names = [...modules.keys()].sort((a, b) => index(a) - index(b));
  const dtypes = new Set(Object.values(tensors).map((t) => t.dtype));
  if (dtypes.size > 1) throw new FormatError(`${source} mixes F32 and F64 tensors; a network has one dtype`);
  const dtype: DType = dtypes.has('F64') ? 'float64' : 'float32';
  const layers = names.map((m, i): ForeignLayer => {
    const parts = modules.get(m)!;
    const weight = parts.get('weight');
    const W = weight === undefined ? undefined : tensors[weight]!;
    const extra = [...parts.keys()].filter((p) => p !== 'weight' && p !== 'bias');
    if (!W || W.shape.length !== 2 || extra.length > 0 || Number.isNaN(index(m))) {
      const held = [...parts.values()].map((k) => `${k} [${tensors[k]!.shape.join(', ')}]`).join(', ');
      throw new FormatError(`${source}: unsupported layer '${m}' (${held}); only a chain of nn.Linear modules numbered as in nn.Sequential can be imported`);
    }
    const biasKey = parts.get('bias');
    if (biasKey === undefined) throw new FormatError(`${source}: layer '${m}' has ${weight} but no ${m}.bias (nn.Linear(bias=False) is not supported: every backprop layer has a bias b)`);
    const b = tensors[biasKey]!;
    const [units, inputs] = W.shape as [number, number];
    if (b.shape.length !== 1 || b.shape[0] !== units) throw new ShapeError(`${source}: ${biasKey} has shape [${b.shape.join(', ')}] but ${weight} [${units}, ${inputs}] needs [${units}]`);
    const last = i === names.length - 1;
    const activation = last ? (options.outputActivation ?? outputFor(options.loss!)) : options.activation!;
    return { name: m, units, inputs, W: W.data, b: b.data, activation };
  });
  return build(layers, options.loss, dtype, options.seed ?? 1, source);
}

function outputFor(loss: string): string {
  return loss === 'cross-entropy' ? 'softmax' : loss === 'binary-cross-entropy' ? 'sigmoid' : 'linear';
}

// ---- TF.js / Keras layers models ---------------------------------------------------------------

/** Keras activation names → ours (identity for those spelled alike). */
const KERAS_ACTIVATIONS: Record<string, string> = { swish: 'silu' };

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}

/**
 * A TF.js/Keras layers model: the parsed model.json and a reader of its weight files (paths as the
 * manifest gives them, relative to model.json).
 *
 * @param source - the model.json's name, in errors
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { fromTfjs } from 'backprop/node';
 *
 * const modelJson = JSON.parse(readFileSync('tfjs-model/model.json', 'utf8'));
 * const net = fromTfjs(modelJson, (path) => readFileSync(`tfjs-model/${path}`), 'tfjs-model/model.json');
 * console.log(net.inputs, net.outputs);
 * ```
 */
export function fromTfjs(modelJson: unknown, readWeights: (path: string) => Uint8Array, source: string, options: ImportOptions = {}): Network {
  function fail(what: string): never {
    throw new FormatError(`${source}: ${what}`);
  }
  const mj = (modelJson ?? {}) as { modelTopology?: Record<string, unknown>; weightsManifest?: { paths: string[]; weights: WeightSpec[] }[] };
  let topology = mj.modelTopology as { class_name?: string; config?: unknown; model_config?: unknown } | undefined;
  if (!topology || !Array.isArray(mj.weightsManifest)) fail('not a TF.js layers model (expected "modelTopology" and "weightsManifest")');
  if (topology!.model_config) topology = topology!.model_config as typeof topology;
  if (topology!.class_name !== 'Sequential') fail(`unsupported model class '${String(topology!.class_name)}'; only a Sequential model of Dense layers can be imported`);
  const config = topology!.config as { layers?: unknown } | unknown[];
  const entries = (Array.isArray(config) ? config : (config as { layers?: unknown })?.layers) as { class_name: string; config: Record<string, unknown> }[] | undefined;
  if (!Array.isArray(entries)) fail('the Sequential model has no layer list');

  const weights = readManifest(mj.weightsManifest!, readWeights, fail);
  const find = (layer: string, kind: string) => {
    for (const [name, value] of weights) if (name === `${layer}/${kind}` || name.endsWith(`/${layer}/${kind}`)) return value;
    return undefined;
  };

  const layers: ForeignLayer[] = [];
  let inputs: number | undefined;
  for (const { class_name: kind, config: c } of entries!) {
    const name = String(c?.['name'] ?? kind);
    // TF.js and Keras 2 write batch_input_shape (or batchInputShape), Keras 3 batch_shape
    const shape = (c?.['batch_input_shape'] ?? c?.['batchInputShape'] ?? c?.['batch_shape']) as (number | null)[] | undefined;
    if (shape && inputs === undefined) inputs = shape[shape.length - 1] ?? undefined;
    const last = layers[layers.length - 1];
    // An activation layer gives the Dense before it its activation (that Dense must be linear).
    const activate = (activation: string, alpha?: number): void => {
      if (!last || last.activation !== 'linear') fail(`unsupported layer '${name}' (${kind}): an activation layer must follow a Dense layer without activation`);
      last!.activation = activation;
      if (alpha !== undefined) last!.alpha = alpha;
    };
    switch (kind) {
      case 'InputLayer':
      case 'Dropout':
        continue; // the input's shape is read above; dropout is the identity at inference
      case 'Dense': {
        const units = c['units'] as number;
        const kernel = find(name, 'kernel');
        if (!kernel) fail(`layer '${name}' has no weights "${name}/kernel" in the manifest`);
        if (c['use_bias'] === false) fail(`layer '${name}' has use_bias false (missing bias): every backprop layer has a bias b`);
        const bias = find(name, 'bias');
        if (!bias) fail(`layer '${name}' has no bias "${name}/bias" in the manifest (missing bias)`);
        const [rows, cols] = kernel!.shape as [number, number];
        if (kernel!.shape.length !== 2 || cols !== units) throw new ShapeError(`${source}: ${name}/kernel has shape [${kernel!.shape.join(', ')}] but a Dense layer of ${units} units needs [inputs, ${units}]`);
        if (bias!.shape.length !== 1 || bias!.shape[0] !== units) throw new ShapeError(`${source}: ${name}/bias has shape [${bias!.shape.join(', ')}] but the layer has ${units} units`);
        // W[u][j] = kernel[j][u]: Keras computes x·kernel with x a row, we compute W·x with x a column.
        const W = new Float32Array(rows * cols);
        for (let j = 0; j < rows; j++) for (let u = 0; u < cols; u++) W[u * rows + j] = kernel!.data[j * cols + u]!;
        const keras = String(c['activation'] ?? 'linear');
        layers.push({ name, units, inputs: rows, W, b: bias!.data, activation: KERAS_ACTIVATIONS[keras] ?? keras });
        continue;
      }
      case 'Activation': {
        const keras = String(c['activation']);
        activate(KERAS_ACTIVATIONS[keras] ?? keras);
        continue;
      }
      case 'ReLU':
        activate('relu');
        continue;
      case 'Softmax':
        activate('softmax');
        continue;
      case 'LeakyReLU':
        // Keras' default slope is 0.3 (TF.js writes it out; Keras files may not).
        activate('leaky-relu', (c['alpha'] as number | undefined) ?? 0.3);
        continue;
      default:
        fail(`unsupported layer '${name}' (${kind}); backprop imports Dense layers, their activations and Dropout`);
    }
  }
  if (inputs !== undefined && layers[0] && inputs !== layers[0].inputs) {
    throw new ShapeError(`${source}: the model's input has ${inputs} features but layer '${layers[0].name}' takes ${layers[0].inputs}`);
  }
  withOutput(layers, options.outputActivation, source);
  return build(layers, options.loss ?? defaultLoss(layers), 'float32', options.seed ?? 1, source);
}

/** Every weight of the manifest by name; each group's files are one byte stream, its weights packed in order. */
function readManifest(
  groups: { paths: string[]; weights: WeightSpec[] }[],
  read: (path: string) => Uint8Array,
  fail: (what: string) => never,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of groups) {
    const parts = group.paths.map((p) => read(p));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const view = new DataView(bytes.buffer);
    let offset = 0;
    for (const w of group.weights) {
      if ((w.dtype ?? 'float32') !== 'float32') fail(`weight "${w.name}" has dtype ${w.dtype}; only float32 weights can be imported`);
      if (w.quantization) fail(`weight "${w.name}" is quantized; only float32 weights can be imported`);
      const count = w.shape.reduce((p, d) => p * d, 1);
      if (offset + count * 4 > total) fail(`weight "${w.name}" ends at byte ${offset + count * 4} but the weight files of its group hold ${total} bytes (truncated?)`);
      const data = new Float32Array(count);
      for (let k = 0; k < count; k++) data[k] = view.getFloat32(offset + 4 * k, true);
      offset += count * 4;
      out.set(w.name, { shape: w.shape, data });
    }
    if (offset !== total) fail(`the weight files ${group.paths.join(', ')} hold ${total} bytes but the manifest describes ${offset}`);
  }
  return out;
}

// ---- ONNX -----------------------------------------------------------------------------------------

/** ONNX activation ops → ours. */
const ONNX_ACTIVATIONS: Record<string, string> = {
  Sigmoid: 'sigmoid',
  Relu: 'relu',
  Tanh: 'tanh',
  LeakyRelu: 'leaky-relu',
  Softmax: 'softmax',
  Elu: 'elu',
  Softplus: 'softplus',
  Gelu: 'gelu',
};

/** TensorProto.DataType names, to say which one a refused initializer has. */
const ONNX_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
}
interface OnnxNode {
  name?: string;
  op_type: string;
  input?: string[];
  output?: string[];
  attribute?: OnnxAttribute[];
}
interface OnnxTensor {
  name: string;
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  raw_data?: Uint8Array;
}

/**
 * An ONNX model that is a chain of Gemm (or MatMul + Add) and activation nodes.
 *
 * @param source - the file's name, in errors
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { fromOnnx } from 'backprop/node';
 *
 * // e.g. torch.onnx.export of an nn.Sequential of Linear and ReLU, trained on logits
 * const net = fromOnnx(readFileSync('mlp.onnx'), 'mlp.onnx', { outputActivation: 'softmax' });
 * console.log(net.cost.id);   // cross-entropy
 * ```
 */
export function fromOnnx(bytes: Uint8Array, source: string, options: ImportOptions = {}): Network {
  function fail(what: string): never {
    throw new FormatError(`${source}: ${what}`);
  }
  const type = onnxModelType();
  let model: { graph?: { node?: OnnxNode[]; initializer?: OnnxTensor[]; input?: { name: string }[]; output?: { name: string }[] } };
  try {
    model = type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as typeof model;
  } catch (e) {
    throw new FormatError(`${source} is not a valid ONNX file (${(e as Error).message}; truncated?)`);
  }
  const graph = model.graph;
  if (!graph || !graph.node?.length) fail('the ONNX model has no graph nodes');
  const initializers = new Map((graph!.initializer ?? []).map((t) => [t.name, t]));
  const values = (name: string): { dims: number[]; data: Float32Array } => {
    const t = initializers.get(name) ?? fail(`"${name}" is not an initializer (weights must be constants of the graph)`);
    const dims = (t.dims ?? []).map(Number);
    const dataType = t.data_type ?? 0;
    if (dataType !== 1) fail(`initializer "${name}" has data type ${ONNX_TYPES[dataType] ?? dataType}; only float32 can be imported`);
    const count = dims.reduce((p, d) => p * d, 1);
    let data: Float32Array;
    if (t.raw_data && t.raw_data.length > 0) {
      if (t.raw_data.length !== count * 4) fail(`initializer "${name}" [${dims.join(', ')}] needs ${count * 4} bytes, raw_data has ${t.raw_data.length}`);
      const view = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
      data = Float32Array.from({ length: count }, (_, k) => view.getFloat32(4 * k, true));
    } else {
      data = Float32Array.from(t.float_data ?? []);
      if (data.length !== count) fail(`initializer "${name}" [${dims.join(', ')}] needs ${count} values, has ${data.length}`);
    }
    return { dims, data };
  };
  const attribute = (node: OnnxNode, name: string): OnnxAttribute | undefined => node.attribute?.find((a) => a.name === name);
  /** The value of a one-element float initializer, or undefined. */
  const scalar = (name: string | undefined): number | undefined => {
    if (name === undefined || !initializers.has(name)) return undefined;
    const { data } = values(name);
    return data.length === 1 ? data[0] : undefined;
  };
  const near = (v: number | undefined, target: number): boolean => v !== undefined && Math.abs(v - target) <= 1e-6 * Math.abs(target);
  const takes = (node: OnnxNode | undefined, op: string, ...inputs: string[]): node is OnnxNode =>
    node?.op_type === op && inputs.every((i) => (node.input ?? []).includes(i));
  /** Nodes k.. computing SiLU z·Sigmoid(z): their count, or 0. */
  const silu = (k: number, z: string): number => {
    const [sigmoid, mul] = [nodes[k], nodes[k + 1]];
    return takes(sigmoid, 'Sigmoid', z) && takes(mul, 'Mul', z, sigmoid.output![0]!) ? 2 : 0;
  };
  /** Nodes k.. computing GELU 0.5·z·(1 + Erf(z/√2)) as backprop writes it (constants as initializers): their count, or 0. */
  const gelu = (k: number, z: string): number => {
    const [div, erf, add, mul, half] = nodes.slice(k, k + 5);
    const out = (n: OnnxNode | undefined) => n?.output?.[0] ?? '';
    const other = (n: OnnxNode, known: string) => (n.input ?? []).find((i) => i !== known);
    const ok =
      takes(div, 'Div', z) && near(scalar(other(div, z)), Math.SQRT2) &&
      takes(erf, 'Erf', out(div)) &&
      takes(add, 'Add', out(erf)) && near(scalar(other(add, out(erf))), 1) &&
      takes(mul, 'Mul', z, out(add)) &&
      takes(half, 'Mul', out(mul)) && near(scalar(other(half, out(mul))), 0.5);
    return ok ? 5 : 0;
  };

  let x = (graph!.input ?? []).find((i) => !initializers.has(i.name))?.name ?? fail('the graph has no input');
  const layers: ForeignLayer[] = [];
  const nodes = graph!.node!;
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k]!;
    const label = `${node.op_type} node '${node.name ?? k}'`;
    const inputs = node.input ?? [];
    if (!inputs.includes(x) || (node.output ?? []).length !== 1) fail(`the graph is not a chain: ${label} does not take "${x}", the output of the node before it`);
    const last = layers[layers.length - 1];
    if (node.op_type === 'Gemm') {
      for (const [a, expected] of [['alpha', 1], ['beta', 1]] as const) {
        const v = attribute(node, a)?.f;
        if (v !== undefined && v !== expected) fail(`unsupported ${label}: ${a} = ${v} (only 1)`);
      }
      if (attribute(node, 'transA')?.i) fail(`unsupported ${label}: transA = 1`);
      if (inputs[0] !== x) fail(`the graph is not a chain: ${label} multiplies "${x}" from the right`);
      if (inputs[2] === undefined) fail(`${label} has no bias C (missing bias): every backprop layer has a bias b`);
      const B = values(inputs[1]!);
      const transB = attribute(node, 'transB')?.i === 1;
      layers.push(dense(label, B, transB, values(inputs[2]!), source));
    } else if (node.op_type === 'MatMul') {
      if (inputs[0] !== x) fail(`the graph is not a chain: ${label} multiplies "${x}" from the right`);
      const add = nodes[k + 1];
      const out = node.output![0]!;
      if (!add || add.op_type !== 'Add' || !(add.input ?? []).includes(out)) fail(`${label} is not followed by an Add of a bias (missing bias): every backprop layer has a bias b`);
      const biasName = add!.input!.find((n) => n !== out)!;
      layers.push(dense(label, values(inputs[1]!), false, values(biasName), source));
      k++;
      x = add!.output![0]!;
      continue;
    } else if (silu(k, x) || gelu(k, x)) {
      // activations that ONNX writes as several nodes
      const count = silu(k, x) || gelu(k, x);
      if (!last || last.activation !== 'linear') fail(`unsupported ${label}: an activation must follow a Gemm or MatMul + Add directly`);
      last!.activation = count === 2 ? 'silu' : 'gelu';
      k += count - 1;
      x = nodes[k]!.output![0]!;
      continue;
    } else if (node.op_type in ONNX_ACTIVATIONS) {
      if (!last || last.activation !== 'linear') fail(`unsupported ${label}: an activation must follow a Gemm or MatMul + Add directly`);
      if (node.op_type === 'Softmax') {
        const axis = attribute(node, 'axis')?.i ?? -1;
        if (axis !== -1 && axis !== 1) fail(`unsupported ${label}: softmax over axis ${axis} (only the last)`);
      }
      last!.activation = ONNX_ACTIVATIONS[node.op_type]!;
      if (node.op_type === 'LeakyRelu') last!.alpha = shortestDecimal(attribute(node, 'alpha')?.f ?? 0.01);
      if (node.op_type === 'Elu') last!.alpha = shortestDecimal(attribute(node, 'alpha')?.f ?? 1);
    } else if (node.op_type !== 'Identity') {
      fail(`unsupported op ${node.op_type} (node '${node.name ?? k}'); backprop imports chains of Gemm or MatMul + Add and activations`);
    }
    x = node.output![0]!;
  }
  const output = graph!.output?.[0]?.name;
  if (output !== x) fail(`the chain ends at "${x}" but the graph's output is "${output}"`);
  withOutput(layers, options.outputActivation, source);
  return build(layers, options.loss ?? defaultLoss(layers), 'float32', options.seed ?? 1, source);
}

/** A layer from a weight matrix B (W when transposed, else [inputs, units]) and a bias C. */
function dense(name: string, B: { dims: number[]; data: Float32Array }, transposed: boolean, C: { dims: number[]; data: Float32Array }, source: string): ForeignLayer {
  if (B.dims.length !== 2) throw new ShapeError(`${source}: ${name} has a weight of shape [${B.dims.join(', ')}]; expected a matrix`);
  const [units, inputs] = transposed ? (B.dims as [number, number]) : ([B.dims[1]!, B.dims[0]!] as [number, number]);
  if (C.data.length !== units || (C.dims.length === 2 && C.dims[0] !== 1)) {
    throw new ShapeError(`${source}: ${name} has a bias of shape [${C.dims.join(', ')}] but ${units} units`);
  }
  let W = B.data;
  if (!transposed) {
    W = new Float32Array(units * inputs);
    for (let j = 0; j < inputs; j++) for (let u = 0; u < units; u++) W[u * inputs + j] = B.data[j * units + u]!;
  }
  return { name, units, inputs, W, b: C.data, activation: 'linear' };
}

/**
 * The shortest decimal that rounds to the same float32 as v: ONNX stores attributes in float32, so
 * an exporter's α = 0.2 arrives as 0.20000000298…; the model file then records 0.2 again.
 */
function shortestDecimal(v: number): number {
  const f = Math.fround(v);
  for (let digits = 1; digits < 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}
