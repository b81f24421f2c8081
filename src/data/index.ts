export { TASKS, checkDataset, labelsOf, subset, type Dataset, type Task, type TrainTest } from './dataset.js';
export { MAX_IDX_BYTES, parseIdx, readIdx, type IdxArray, type IdxOptions } from './idx.js';
export {
  DIGIT_CLASSES,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  MNIST_FILES,
  loadFashionMnist,
  loadMnist,
  loadMnistFamily,
  type MnistFamilyOptions,
  type SplitLimits,
} from './mnist-family.js';
export { loadDigits } from './digits.js';
export {
  parseCsvDataset,
  parseCsvFeatures,
  readCsvDataset,
  readCsvFeatures,
  type CsvFeatures,
  type CsvFeaturesOptions,
  type CsvOptions,
} from './csv.js';
export {
  PREPROCESSINGS,
  applyPreprocessing,
  fitPreprocessing,
  oneHot,
  shuffleDataset,
  trainValidationSplit,
  type Preprocessing,
  type PreprocessingKind,
} from './preprocess.js';
export { TOY_DATASETS, toyDataset, type ToyName, type ToyOptions } from './toy.js';
export { DATASETS, loadDataset, type LoadOptions, type LoadedData } from './load.js';
