/**
 * The Node.js entry point: everything of the core library plus what needs Node (files, data
 * sets on disk) or a serialisation dependency (ONNX).
 *
 * ```ts
 * import { loadDigits, network, saveModel } from 'backprop/node';
 * ```
 *
 * @packageDocumentation
 * @module backprop/node
 */
export * from './index.js';
export * from './export.js';
export {
  DATASETS,
  loadDataset,
  loadDigits,
  loadMnist,
  loadFashionMnist,
  loadMnistFamily,
  parseCsvDataset,
  readCsvDataset,
  parseCsvFeatures,
  readCsvFeatures,
  parseIdx,
  readIdx,
  FASHION_MNIST_CLASSES,
  type LoadOptions as DatasetLoadOptions,
  type LoadedData,
  type CsvOptions,
  type CsvFeaturesOptions,
  type CsvFeatures,
  type IdxArray,
  type IdxOptions,
  type MnistFamilyOptions,
  type SplitLimits,
} from './data/index.js';
export {
  writeFileAtomic,
  saveModel,
  loadModel,
  saveCheckpoint,
  loadCheckpoint,
  saveOnnx,
  saveTfjsModel,
  type FileContent,
} from './io/node-files.js';
export { importModel, type ImportModelOptions } from './io/import-files.js';
export { IMPORT_FORMATS, fromPytorch, fromTfjs, fromOnnx, type ImportFormat, type ImportOptions } from './io/import.js';
export { savePytorchExport, dataToBytes, type PytorchDirectoryOptions } from './io/pytorch-files.js';
