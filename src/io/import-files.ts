/** Imports from files (Node only): reads the foreign model, builds the network, writes our model file. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { FormatError, oneOf } from '../errors.js';
import type { Network } from '../network.js';
import { fromOnnx, fromPytorch, fromTfjs, IMPORT_FORMATS, type ImportFormat, type ImportOptions } from './import.js';
import { modelToBytes, type ModelInfoInput } from './model-file.js';
import { writeFileAtomic } from './node-files.js';

export interface ImportModelOptions extends ImportOptions {
  from: ImportFormat;
  /** The file: a .safetensors state dict (pytorch), model.json (tfjs, keras) or a .onnx file. */
  in: string;
  /** When given, the model file to write (atomically, and only once the import has succeeded). */
  out?: string;
}

/** Reads a model of another library as a backprop network; see import.ts for what each format may hold. */
export async function importModel(options: ImportModelOptions): Promise<{ network: Network; info: ModelInfoInput }> {
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
