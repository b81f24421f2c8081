/** Base class of every error backprop throws on purpose; `code` is stable for programs. */
export class BackpropError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Two shapes that must agree do not; the message names both and where. */
export class ShapeError extends BackpropError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/** Input data is unusable: NaN/Infinity (with the row), empty, ragged rows, wrong label count. */
export class DataError extends BackpropError {
  constructor(message: string) {
    super('BAD_DATA', message);
  }
}

/** An option has a value outside its domain: unknown name (with the valid list), non-positive rate. */
export class OptionError extends BackpropError {
  constructor(message: string) {
    super('BAD_OPTION', message);
  }
}

/** Training produced a non-finite loss; says where and what usually helps. */
export class DivergenceError extends BackpropError {
  readonly epoch: number | undefined;
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

/** A file cannot be read as what it claims to be (model, data set); names the file and what was expected. */
export class FormatError extends BackpropError {
  constructor(message: string) {
    super('BAD_FORMAT', message);
  }
}

/** A path cannot be used as asked: writing over a device, FIFO, socket or directory, reading one as a file. */
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
