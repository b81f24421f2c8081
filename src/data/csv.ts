import { basename, extname } from 'node:path';
import { CsvError, parse, type Info } from '../vendor/csv-parse.js';
import { DataError, FormatError, OptionError, ShapeError, oneOf } from '../errors.js';
import { Matrix } from '../tensor/matrix.js';
import { checkDataset, TASKS, type Dataset, type Task } from './dataset.js';
import { readFileBytes } from './files.js';
import { oneHot } from './preprocess.js';

/** How a CSV file becomes a data set. */
export interface CsvOptions {
  /**
   * The label column: its header name, or its 0-based index (a string of digits counts as an index,
   * as it arrives from a command line). Default: the last column.
   */
  label?: string | number;
  /** 'classification' (default: labels become one-hot classes) or 'regression' (a numeric target, one output). */
  task?: Task;
  /** Whether the first row names the columns. Default: detected (a non-numeric feature cell in the first row). */
  header?: boolean;
  /**
   * Classification: the classes in output order, e.g. a trained model's, so that a test file maps
   * labels the same way; a label outside them is an error. Default: the distinct labels, sorted.
   */
  classNames?: readonly string[];
  /** The data set's name, also heading error messages. */
  name?: string;
}

/** How a CSV file of features (no labels) is read. */
export interface CsvFeaturesOptions {
  /** Whether the first row names the columns. Default: detected (a non-numeric cell in the first row). */
  header?: boolean;
  /** The number of features the model expects; a file with another number of columns is an error. */
  features?: number;
  /** Heads error messages. */
  name?: string;
}

/** Prediction input: samples × features, and the column names when the file has a header. */
export interface CsvFeatures {
  /** samples × features */
  x: Matrix;
  /** The header's names, when the file has one. */
  featureNames?: string[];
}

/**
 * A data set from CSV text: numeric feature columns and one label column. Every bad row is an
 * error naming its line in the file and its column; nothing is dropped.
 *
 * @example
 * ```ts
 * import { parseCsvDataset } from 'backprop/node';
 *
 * const ds = parseCsvDataset('width,height,kind\n1,2,a\n3,4,b\n5,1,a\n', { label: 'kind' });
 * console.log(ds.x.shape, ds.classNames, ds.featureNames);   // [ 3, 2 ] [ 'a', 'b' ] [ 'width', 'height' ]
 * ```
 */
export function parseCsvDataset(text: string, options: CsvOptions = {}): Dataset {
  const name = options.name ?? 'CSV input';
  return csvDataset(text, name, name, options);
}

/**
 * parseCsvDataset on a file; errors name the file, the data set is named after it (without .csv).
 *
 * @example
 * ```ts
 * import { network, readCsvDataset } from 'backprop/node';
 *
 * const houses = readCsvDataset('houses.csv', { label: 'price', task: 'regression' });
 * const net = network([houses.x.cols, 16, { units: 1, activation: 'linear' }]);
 * await net.fit(houses.x, houses.y, { epochs: 50, optimizer: 'adam' });
 * ```
 */
export function readCsvDataset(path: string, options: Omit<CsvOptions, 'name'> = {}): Dataset {
  return csvDataset(readFileBytes(path).toString('utf8'), path, basename(path, extname(path)), options);
}

/**
 * Features only, for prediction: every column is a feature, the header is optional.
 *
 * @example
 * ```ts
 * import { parseCsvFeatures } from 'backprop/node';
 *
 * const { x } = parseCsvFeatures('0.9,0.8\n-0.7,0.6\n', { features: 2 });
 * console.log(x.toArray());   // [ [ 0.8999999761581421, 0.800000011920929 ], [ -0.699999988079071, 0.6000000238418579 ] ] (float32)
 * ```
 */
export function parseCsvFeatures(text: string, options: CsvFeaturesOptions = {}): CsvFeatures {
  const source = options.name ?? 'CSV input';
  const rows = parseRows(text, source);
  const columns = columnsExcept(rows[0]!.cells.length, -1);
  const header = options.header ?? looksLikeHeader(rows[0]!, columns);
  const names = header ? rows[0]!.cells : undefined;
  const data = header ? rows.slice(1) : rows;
  if (data.length === 0) throw new DataError(`${source}: no data rows, only a header`);
  if (options.features !== undefined && columns.length !== options.features) {
    throw new ShapeError(`${source} has ${columns.length} columns but the model expects ${options.features} features, one column each`);
  }
  const x = new Matrix(data.length, columns.length, numbers(data, columns, names, source));
  return names ? { x, featureNames: names } : { x };
}

/**
 * parseCsvFeatures on a file; errors name the file.
 *
 * @example
 * ```ts
 * import { loadModel, readCsvFeatures } from 'backprop/node';
 *
 * const { network } = await loadModel('model.safetensors');
 * const { x } = readCsvFeatures('inputs.csv', { features: network.inputs });
 * console.log(network.predict(x).toArray());
 * ```
 */
export function readCsvFeatures(path: string, options: Omit<CsvFeaturesOptions, 'name'> = {}): CsvFeatures {
  return parseCsvFeatures(readFileBytes(path).toString('utf8'), { ...options, name: path });
}

/** One CSV record and the 1-based line of the file it ends on. */
interface Row {
  line: number;
  cells: string[];
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Spellings of non-finite numbers: not a header's names, but not usable values either. */
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function csvDataset(text: string, source: string, name: string, options: CsvOptions): Dataset {
  const task = oneOf('task', options.task ?? 'classification', TASKS);
  const rows = parseRows(text, source);
  const width = rows[0]!.cells.length;
  if (width < 2) throw new DataError(`${source}: line ${rows[0]!.line} has 1 column; expected feature columns and a label column`);
  const { label, header } = locateLabel(rows[0]!, source, options);
  const names = header ? rows[0]!.cells : undefined;
  const data = header ? rows.slice(1) : rows;
  if (data.length === 0) throw new DataError(`${source}: no data rows, only a header`);
  const features = columnsExcept(width, label);
  const x = new Matrix(data.length, features.length, numbers(data, features, names, source));
  const target =
    task === 'regression'
      ? { y: new Matrix(data.length, 1, numbers(data, [label], names, source)) }
      : classTargets(data, label, names, source, options.classNames);
  return checkDataset({
    name,
    x,
    ...target,
    task,
    ...(names ? { featureNames: features.map((j) => names[j]!) } : {}),
  });
}

/** Parses the records, requiring the same number of columns on every line. */
function parseRows(text: string, source: string): Row[] {
  let records: { record: string[]; info: Info }[];
  try {
    // With info: true, csv-parse returns each record with its position; its typings do not model that option.
    records = parse(text, { info: true, bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as unknown as {
      record: string[];
      info: Info;
    }[];
  } catch (e) {
    if (e instanceof CsvError) throw new FormatError(`${source}: expected valid CSV: ${e.message}`);
    throw e;
  }
  if (records.length === 0) throw new DataError(`${source}: no rows`);
  const rows = records.map(({ record, info }) => ({ line: info.lines, cells: record }));
  const first = rows[0]!;
  for (const row of rows) {
    if (row.cells.length !== first.cells.length) {
      throw new DataError(
        `${source}: line ${row.line} has ${row.cells.length} columns, expected ${first.cells.length} (as on line ${first.line})`,
      );
    }
  }
  return rows;
}

/** A first row with a non-numeric cell among the given columns holds names, not values. */
function looksLikeHeader(first: Row, columns: readonly number[]): boolean {
  return columns.some((j) => {
    const cell = first.cells[j]!;
    return cell !== '' && !DECIMAL.test(cell) && !NON_FINITE.test(cell);
  });
}

/** The label column's index and whether the first row is a header. */
function locateLabel(first: Row, source: string, options: CsvOptions): { label: number; header: boolean } {
  const width = first.cells.length;
  const option = typeof options.label === 'string' && /^\d+$/.test(options.label) ? Number(options.label) : options.label;
  if (typeof option === 'string') {
    if (options.header === false) throw new OptionError(`label column "${option}" is given by name, which needs a header row, but header is false`);
    const label = first.cells.indexOf(option);
    if (label < 0) {
      throw new OptionError(`${source}: no column named "${option}" in the header on line ${first.line}; columns: ${first.cells.join(', ')}`);
    }
    return { label, header: true };
  }
  const label = option ?? width - 1;
  if (!Number.isInteger(label) || label < 0 || label >= width) {
    throw new OptionError(`label column index must be an integer in 0..${width - 1} (${source} has ${width} columns), got ${String(label)}`);
  }
  return { label, header: options.header ?? looksLikeHeader(first, columnsExcept(width, label)) };
}

/** The given columns of every row as finite numbers, row-major. */
function numbers(rows: readonly Row[], columns: readonly number[], names: readonly string[] | undefined, source: string): Float32Array {
  const out = new Float32Array(rows.length * columns.length);
  rows.forEach((row, i) => {
    columns.forEach((j, k) => {
      const cell = row.cells[j]!;
      const where = `${source}: line ${row.line}, ${columnName(j, names)}`;
      if (cell === '') throw new DataError(`${where}: empty cell; expected a number`);
      const value = DECIMAL.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(value)) throw new DataError(`${where}: ${JSON.stringify(cell)} is not a finite number`);
      // Stored as float32: beyond ±3.4028235e38 the value would silently become ±Infinity.
      if (!Number.isFinite(Math.fround(value))) throw new DataError(`${where}: ${cell} is outside the float32 range (±3.4028235e38)`);
      out[i * columns.length + k] = value;
    });
  });
  return out;
}

/**
 * One-hot targets from the label column. Without given class names the classes are the distinct labels
 * sorted (numerically when all are numbers, so '10' follows '9'), not in order of appearance: the
 * class order then does not depend on how the file's rows happen to be ordered.
 */
function classTargets(
  rows: readonly Row[],
  label: number,
  names: readonly string[] | undefined,
  source: string,
  given: readonly string[] | undefined,
): { y: Matrix; classNames: string[] } {
  const values = rows.map((row) => {
    const cell = row.cells[label]!;
    if (cell === '') throw new DataError(`${source}: line ${row.line}, ${columnName(label, names)}: empty label`);
    return cell;
  });
  const classes = given ? [...given] : sortClasses([...new Set(values)]);
  const index = new Map(classes.map((c, i) => [c, i]));
  const labels = new Uint32Array(rows.length);
  values.forEach((value, i) => {
    const c = index.get(value);
    if (c === undefined) {
      throw new DataError(
        `${source}: line ${rows[i]!.line}, ${columnName(label, names)}: label "${value}" is not one of the classes ${classes.join(', ')}`,
      );
    }
    labels[i] = c;
  });
  return { y: oneHot(labels, classes.length), classNames: classes };
}

function sortClasses(classes: string[]): string[] {
  const numeric = classes.every((c) => DECIMAL.test(c));
  return classes.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The indices 0..width−1 without `skip` (−1 keeps them all). */
function columnsExcept(width: number, skip: number): number[] {
  return Array.from({ length: width }, (_, j) => j).filter((j) => j !== skip);
}

function columnName(j: number, names: readonly string[] | undefined): string {
  return names ? `column "${names[j]}"` : `column index ${j}`;
}
