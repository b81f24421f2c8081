/**
 * Exports to other runtimes' formats (browser-safe; ONNX needs protobufjs): ONNX, TF.js Layers
 * and a PyTorch training script.
 *
 * ```ts
 * import { toOnnx, toPytorch, toTfjs } from 'backprop/export';
 * ```
 *
 * @packageDocumentation
 * @module backprop/export
 */
export { toOnnx, ONNX_OPSET, ONNX_IR_VERSION, type OnnxExportOptions } from './io/onnx.js';
export {
  toTfjs,
  TFJS_WEIGHTS_FILE,
  type TfjsExport,
  type TfjsExportOptions,
  type TfjsLayerConfig,
  type TfjsModelJson,
  type TfjsWeightSpec,
} from './io/tfjs.js';
export {
  toPytorch,
  TORCHRUN,
  PYTORCH_FILES,
  type PytorchExport,
  type PytorchExportOptions,
  type PytorchLayer,
  type PytorchModel,
  type PytorchData,
  type TrainingRecord,
} from './io/pytorch.js';
