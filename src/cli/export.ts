import { OptionError } from '../errors.js';
import { writeFileAtomic, saveTfjsModel } from '../io/node-files.js';
import { toOnnx } from '../io/onnx.js';
import { exportPytorch, type PytorchExportFlags } from './export-pytorch.js';
import { openModel } from './model.js';
import type { Output } from './output.js';

export interface ExportFlags extends PytorchExportFlags {
  model: string;
  format: 'onnx' | 'tfjs' | 'pytorch';
  out: string;
}

export async function exportCommand(flags: ExportFlags, io: Output): Promise<number> {
  if (flags.format === 'pytorch') return exportPytorch(flags, io);
  const { network, info } = await openModel(flags.model);
  if (info.preprocessing && (info.preprocessing as { kind?: string }).kind !== 'none') {
    io.info(`note: ${flags.model} expects inputs transformed by '${(info.preprocessing as { kind: string }).kind}'; the exported graph holds the network only, so apply that transform before feeding it`);
  }
  if (flags.format === 'onnx') {
    await writeFileAtomic(flags.out, toOnnx(network));
    io.result(`wrote ${flags.out} (ONNX, opset 13)`);
    return 0;
  }
  if (flags.format === 'tfjs') {
    const { modelJsonPath, weightsPath } = await saveTfjsModel(flags.out, network);
    io.result(`wrote ${modelJsonPath} and ${weightsPath} (TensorFlow.js layers model)`);
    return 0;
  }
  throw new OptionError(`unknown export format ${JSON.stringify(flags.format)}; valid: onnx, tfjs, pytorch`);
}
