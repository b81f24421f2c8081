import { InvalidArgumentError } from 'commander';

/** Option-value parsers for commander: a bad value becomes one clear line naming the option's rule. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0.');
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer ≥ 1.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer ≥ 0.');
  return n;
}

export function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be a number in [0, 1).');
  return n;
}

/** "256,128" → [256, 128]; "" or "none" → [] (no hidden layer). */
export function layerList(value: string): number[] {
  if (value === '' || value === 'none') return [];
  const parts = value.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError('must be hidden layer sizes separated by commas, e.g. 256,128.');
  }
  return sizes;
}

/** A value from a fixed list, e.g. --activation. */
export function choice<T extends string>(valid: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(valid as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of: ${valid.join(', ')}.`);
    return value as T;
  };
}

/** --threads: a count or 'auto' (all cores). */
export function threadCount(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return positiveInt(value);
}
