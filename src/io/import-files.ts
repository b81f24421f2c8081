/** Imports from files (Node only): reads the foreign model, builds the network, writes our model file. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { FormatError, oneOf } from '../errors.js';
import type { Network } from '../network.js';
import { fromOnnx, fromPytorch, fromTfjs, IMPORT_FORMATS, type ImportFormat, type ImportOptions } from './import.js';
import { modelToBytes, type ModelInfoInput } from './model-file.js';
import { writeFileAtomic } from './node-files.js';

/** Which file {@link importModel} reads and where it writes the result. */
export interface ImportModelOptions extends ImportOptions {
  /** The file's format. */
  from: ImportFormat;
  /** The file: a .safetensors state dict (pytorch), model.json (tfjs, keras) or a .onnx file. */
  in: string;
  /** When given, the model file to write (atomically, and only once the import has succeeded). */
  out?: string;
}

/**
 * Reads a model of another library as a backprop network: a PyTorch state dict (safetensors), a
 * TF.js/Keras layers model, or an ONNX chain of Gemm and activations ({@link fromPytorch},
 * {@link fromTfjs}, {@link fromOnnx} say what each may hold).
 *
 * @example
 * ```ts
 * import { importModel } from 'backprop/node';
 *
 * const { network } = await importModel({ from: 'onnx', in: 'digits.onnx', out: 'imported.safetensors' });
 * console.log(network.summary());
 * ```
 */
export async function importModel(options: ImportModelOptions): Promise<{
  /** The imported network. */
  network: Network;
  /** What was saved with it (where it came from). */
  info: ModelInfoInput;
}> {
  const from = oneOf('import format', options.from, IMPORT_FORMATS);
  const source = options.in;
  let network: Network;
  if (from === 'tfjs' || from === 'keras') {
    let modelJson: unknown;
    try {
      modelJson = JSON.parse(await readFile(source, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) throw e;
      throw new FormatError(`${source} is not JSON (${(e as Error).message}); expected a TF.js/Keras model.json`);
    }
    const dir = dirname(source);
    network = fromTfjs(modelJson, (path) => new Uint8Array(readFileSync(join(dir, path))), source, options);
  } else {
    const buf = await readFile(source);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    network = from === 'onnx' ? fromOnnx(bytes, source, options) : fromPytorch(bytes, source, options);
  }
  const info: ModelInfoInput = { extra: { importedFrom: from, source } };
  if (options.out !== undefined) await writeFileAtomic(options.out, modelToBytes(network, info));
  return { network, info };
}
