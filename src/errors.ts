/**
 * Base class of every error backprop throws on purpose; `code` is stable for programs.
 *
 * @example
 * ```ts
 * import { BackpropError, network } from 'backprop';
 *
 * try {
 *   network([2, 1]).predict([[1, 2, 3]]);
 * } catch (e) {
 *   if (e instanceof BackpropError) console.log(e.code, e.message);   // SHAPE_MISMATCH …
 * }
 * ```
 */
export class BackpropError extends Error {
  /** A stable name of the kind of error (`SHAPE_MISMATCH`, `BAD_DATA`, …), for programs; the message is for people. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Two shapes that must agree do not; the message names both and where.
 *
 * @example
 * ```ts
 * import { Matrix, ShapeError } from 'backprop';
 *
 * try {
 *   new Matrix(2, 2, new Float32Array(3));
 * } catch (e) {
 *   if (e instanceof ShapeError) console.log(e.name, e.code);   // ShapeError SHAPE_MISMATCH
 * }
 * ```
 */
export class ShapeError extends BackpropError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/**
 * Input data is unusable: NaN/Infinity (with the row), empty, ragged rows, wrong label count.
 *
 * @example
 * ```ts
 * import { DataError, network } from 'backprop';
 *
 * try {
 *   network([2, 1]).evaluate([[0, NaN]], [[1]]);
 * } catch (e) {
 *   if (e instanceof DataError) console.log(e.name, e.code);   // DataError BAD_DATA
 * }
 * ```
 */
export class DataError extends BackpropError {
  constructor(message: string) {
    super('BAD_DATA', message);
  }
}

/**
 * An option has a value outside its domain: unknown name (with the valid list), non-positive rate.
 *
 * @example
 * ```ts
 * import { OptionError, optimizer } from 'backprop';
 *
 * try {
 *   optimizer('adamw');
 * } catch (e) {
 *   if (e instanceof OptionError) console.log(e.name, e.message);   // OptionError unknown optimizer "adamw"; valid: sgd, momentum, adam, rmsprop
 * }
 * ```
 */
export class OptionError extends BackpropError {
  constructor(message: string) {
    super('BAD_OPTION', message);
  }
}

/**
 * Training produced a non-finite loss; says where and what usually helps.
 *
 * @example
 * ```ts
 * import { DivergenceError, network } from 'backprop';
 *
 * const net = network([1, { units: 1, activation: 'linear' }], { seed: 1 });
 * try {
 *   await net.fit([[1e3], [2e3]], [[1], [2]], { epochs: 50, optimizer: 'sgd', learningRate: 10 });
 * } catch (e) {
 *   if (e instanceof DivergenceError) console.log(e.epoch, e.step);   // where it happened (1-based)
 * }
 * ```
 */
export class DivergenceError extends BackpropError {
  /** The epoch (1-based) whose step diverged; undefined outside `fit`. */
  readonly epoch: number | undefined;
  /** The step (1-based batch of that epoch) that diverged; undefined outside `fit`. */
  readonly step: number | undefined;
  constructor(what: string, value: number, where: { epoch?: number; step?: number } = {}) {
    const at = where.epoch === undefined ? '' : ` at epoch ${where.epoch}, step ${where.step}`;
    const became = Number.isNaN(value) ? 'not finite' : String(value);
    super(
      'DIVERGED',
      `training diverged: the ${what} became ${became}${at}; the weights are those before that step. ` +
        'Try a lower learning rate, or scale the inputs to [0, 1] or standardise them.',
    );
    this.epoch = where.epoch;
    this.step = where.step;
  }
}

/**
 * A file cannot be read as what it claims to be (model, data set); names the file and what was expected.
 *
 * @example
 * ```ts
 * import { FormatError, modelFromBytes } from 'backprop';
 *
 * try {
 *   modelFromBytes(new Uint8Array([1, 2, 3]));
 * } catch (e) {
 *   if (e instanceof FormatError) console.log(e.name, e.code);   // FormatError BAD_FORMAT
 * }
 * ```
 */
export class FormatError extends BackpropError {
  constructor(message: string) {
    super('BAD_FORMAT', message);
  }
}

/**
 * A path cannot be used as asked: writing over a device, FIFO, socket or directory, reading one as a file.
 *
 * @example
 * ```ts
 * import { PathError, saveModel, network } from 'backprop/node';
 *
 * try {
 *   await saveModel('/tmp', network([2, 1]));   // a directory, not a file
 * } catch (e) {
 *   if (e instanceof PathError) console.log(e.name, e.code);   // PathError BAD_PATH
 * }
 * ```
 */
export class PathError extends BackpropError {
  constructor(message: string) {
    super('BAD_PATH', message);
  }
}

/** Throws an OptionError unless `value` is one of `valid`, listing them. */
export function oneOf<T extends string>(what: string, value: unknown, valid: readonly T[]): T {
  if (typeof value === 'string' && (valid as readonly string[]).includes(value)) return value as T;
  throw new OptionError(`unknown ${what} ${JSON.stringify(value)}; valid: ${valid.join(', ')}`);
}

/** Throws an OptionError unless `value` is a finite number > 0. */
export function positive(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new OptionError(`${what} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

/** Throws an OptionError unless `value` is an integer ≥ 1. */
export function positiveInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new OptionError(`${what} must be an integer ≥ 1, got ${String(value)}`);
  }
  return value;
}
