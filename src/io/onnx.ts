/**
 * ONNX export (browser-safe): opset 13, IR version 7, float32.
 *
 * Graph: input `input` [N, inputs] (N symbolic) → for each dense layer one Gemm(transB = 1) with
 * the initializers W [units, inputs] (our layout, no transpose) and b [units], then its activation
 * (Sigmoid / Relu / Tanh / LeakyRelu(alpha) / Elu(alpha) / Softplus / Softmax(axis −1); none for
 * linear; GELU and SiLU, which have no operator in opset 13, as compositions of exact ones:
 * GELU(z) = 0.5·z·(1 + Erf(z/√2)), SiLU(z) = z·Sigmoid(z)) → `output` [N, outputs]. Gemm computes
 * Y = X·Wᵀ + b with X one sample per row: row k of Y is W·x_k + b, the same z(l) as ours. Dropout
 * is the identity at inference: no node. A custom activation is code ONNX cannot hold: refused.
 *
 * The protobuf schema is the subset of onnx/onnx.proto (proto2, package onnx) that such a model
 * needs, with the field numbers of that file, built with protobufjs reflection.
 */
import { OptionError } from '../errors.js';
import protobuf from '../vendor/protobufjs.js';
import type { Network } from '../network.js';

/** The ONNX operator set the export uses (Gemm, Relu, Sigmoid, Softmax over the last axis, …). */
export const ONNX_OPSET = 13;
/** The ONNX IR version of the exported ModelProto. */
export const ONNX_IR_VERSION = 7;

/** The ModelProto fields {@link toOnnx} fills besides the graph. */
export interface OnnxExportOptions {
  /** ModelProto.producer_version (default '0.1.0'). */
  producerVersion?: string;
  /** ModelProto.doc_string. */
  docString?: string;
  /** ModelProto.metadata_props, e.g. {classNames: JSON.stringify([...])}; onnxruntime exposes them as custom metadata. */
  metadata?: Record<string, string>;
  /** GraphProto.name (default 'backprop'). */
  graphName?: string;
}

/** TensorProto.DataType.FLOAT */
const FLOAT = 1;
/** AttributeProto.AttributeType */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

// proto2 `repeated` scalars are unpacked unless marked [packed = true]; protobufjs packs by default,
// so each repeated scalar states what onnx.proto says (parsers accept both, but match the spec).
const unpacked = { packed: false };
const str = (id: number) => ({ type: 'string', id });
const int64 = (id: number) => ({ type: 'int64', id });
const many = (type: string, id: number, options?: object) => ({ rule: 'repeated', type, id, ...(options ? { options } : {}) });

const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: str(1),
            f: { type: 'float', id: 2 },
            i: int64(3),
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: many('float', 7, unpacked),
            ints: many('int64', 8, unpacked),
            strings: many('bytes', 9),
            doc_string: str(13),
            type: { type: 'AttributeType', id: 20 },
            ref_attr_name: str(21),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7,
                STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12,
              },
            },
          },
        },
        ValueInfoProto: { fields: { name: str(1), type: { type: 'TypeProto', id: 2 }, doc_string: str(3) } },
        NodeProto: {
          fields: {
            input: many('string', 1),
            output: many('string', 2),
            name: str(3),
            op_type: str(4),
            attribute: many('AttributeProto', 5),
            doc_string: str(6),
            domain: str(7),
          },
        },
        ModelProto: {
          fields: {
            ir_version: int64(1),
            producer_name: str(2),
            producer_version: str(3),
            domain: str(4),
            model_version: int64(5),
            doc_string: str(6),
            graph: { type: 'GraphProto', id: 7 },
            opset_import: many('OperatorSetIdProto', 8),
            metadata_props: many('StringStringEntryProto', 14),
          },
        },
        StringStringEntryProto: { fields: { key: str(1), value: str(2) } },
        GraphProto: {
          fields: {
            node: many('NodeProto', 1),
            name: str(2),
            initializer: many('TensorProto', 5),
            doc_string: str(10),
            input: many('ValueInfoProto', 11),
            output: many('ValueInfoProto', 12),
            value_info: many('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: many('int64', 1, unpacked),
            data_type: { type: 'int32', id: 2 },
            float_data: many('float', 4, { packed: true }),
            name: str(8),
            raw_data: { type: 'bytes', id: 9 },
            doc_string: str(12),
          },
        },
        TensorShapeProto: {
          fields: { dim: many('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: { dim_value: int64(1), dim_param: str(2), denotation: str(3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: { tensor_type: { type: 'Tensor', id: 1 }, denotation: str(6) },
          nested: {
            Tensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        OperatorSetIdProto: { fields: { domain: str(1), version: int64(2) } },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** The ModelProto type, built once on first use (import.ts decodes with it too). */
export function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
}

interface Node {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute?: Attribute[];
}

/**
 * Serialises the network as an ONNX model (float32 whatever the network's dtype): each layer is
 * Gemm(a, W, b, transB = 1), z = a·Wᵀ + b with our W [units, inputs] as is, then its activation.
 * The graph's input is `input` [N, inputs], its output `output` [N, outputs].
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { network } from 'backprop';
 * import { toOnnx } from 'backprop/export';
 *
 * const net = network([2, { units: 8, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * writeFileSync('blobs.onnx', toOnnx(net, { metadata: { classNames: JSON.stringify(['a', 'b', 'c']) } }));
 * // onnxruntime: (await InferenceSession.create('blobs.onnx')).run({ input }) gives { output }
 * ```
 */
export function toOnnx(net: Network, options: OnnxExportOptions = {}): Uint8Array {
  const nodes: Node[] = [];
  const initializers: object[] = [];
  // scalar constants (GELU's), one initializer each however many layers use them
  const constants = new Map<number, string>();
  const constant = (value: number, name: string): string => {
    if (!constants.has(value)) {
      constants.set(value, name);
      initializers.push(floatTensor(name, [], [value]));
    }
    return constants.get(value)!;
  };
  let x = 'input';
  const last = net.layers.length - 1;
  net.layers.forEach((layer, i) => {
    const weight = `layers.${i}.weight`;
    const bias = `layers.${i}.bias`;
    initializers.push(floatTensor(weight, [layer.units, layer.inputs], layer.W));
    initializers.push(floatTensor(bias, [layer.units], layer.b));
    const act = layer.act.id;
    const z = i === last && act === 'linear' ? 'output' : `layers.${i}.z`;
    nodes.push({
      name: `layers.${i}.gemm`,
      op_type: 'Gemm',
      input: [x, weight, bias],
      output: [z],
      attribute: [{ name: 'transB', type: ATTR_INT, i: 1 }],
    });
    x = z;
    if (act === 'linear') return;
    const a = i === last ? 'output' : `layers.${i}.a`;
    const node = (op: string, input: string[], output: string, attribute?: Attribute[]) =>
      nodes.push({ name: output === a ? `layers.${i}.${act}` : output, op_type: op, input, output: [output], ...(attribute ? { attribute } : {}) });
    if (layer.act.elementwise && layer.act.custom) {
      throw new OptionError(`ONNX export cannot hold the custom activation "${act}" of layer ${i + 1}: its functions are code, not ONNX operators`);
    }
    const t = (name: string) => `layers.${i}.${act}.${name}`;
    switch (act) {
      case 'gelu':
        // 0.5·z·(1 + Erf(z/√2)), as PyTorch exports nn.GELU() (Erf: opset 9+)
        node('Div', [z, constant(Math.SQRT2, 'const.sqrt2')], t('scaled'));
        node('Erf', [t('scaled')], t('erf'));
        node('Add', [t('erf'), constant(1, 'const.one')], t('cdf2'));
        node('Mul', [z, t('cdf2')], t('twice'));
        node('Mul', [t('twice'), constant(0.5, 'const.half')], a);
        break;
      case 'silu':
        node('Sigmoid', [z], t('sigmoid'));
        node('Mul', [z, t('sigmoid')], a);
        break;
      case 'leaky-relu':
      case 'elu':
        node(act === 'elu' ? 'Elu' : 'LeakyRelu', [z], a, [{ name: 'alpha', type: ATTR_FLOAT, f: layer.act.alpha }]);
        break;
      case 'softmax':
        node('Softmax', [z], a, [{ name: 'axis', type: ATTR_INT, i: -1 }]);
        break;
      default: {
        const op = OP[act];
        if (!op) throw new OptionError(`ONNX export does not support activation '${act}' (layer ${i + 1})`);
        node(op, [z], a);
      }
    }
    x = a;
  });

  const model = {
    ir_version: ONNX_IR_VERSION,
    producer_name: 'backprop',
    producer_version: options.producerVersion ?? '0.1.0',
    ...(options.docString !== undefined ? { doc_string: options.docString } : {}),
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: options.graphName ?? 'backprop',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', net.inputs)],
      output: [valueInfo('output', net.outputs)],
    },
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const type = onnxModelType();
  const invalid = type.verify(model);
  if (invalid) throw new Error(`internal error: invalid ONNX message (${invalid})`);
  const encoded = type.encode(type.fromObject(model)).finish();
  // Copy: under Node, protobufjs may hand back a Buffer from a shared pool.
  return new Uint8Array(encoded);
}

/** Activations that are one ONNX operator without attributes. */
const OP: Record<string, string | undefined> = {
  sigmoid: 'Sigmoid',
  relu: 'Relu',
  tanh: 'Tanh',
  softplus: 'Softplus',
};

/** A float tensor [N, size] with a symbolic batch dimension N. */
function valueInfo(name: string, size: number): object {
  return {
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: size }] } } },
  };
}

/** An initializer with raw_data: float32 little-endian, row-major (ONNX requires little-endian). */
function floatTensor(name: string, dims: number[], values: ArrayLike<number>): object {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(k * 4, values[k]!, true);
  return { name, dims, data_type: FLOAT, raw_data: raw };
}
