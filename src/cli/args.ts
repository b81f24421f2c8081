import { InvalidArgumentError } from '../vendor/commander.js';
import { BackpropError } from '../errors.js';
import { checkSchedule, type Monitor, type Schedule } from '../train/schedule.js';

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

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0.');
  return n;
}

/** --dropout "0.2,0.1": one rate in [0, 1) per hidden layer (or one for all). */
export function dropoutList(value: string): number[] {
  const rates = value.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (rates.some((p) => !(p >= 0 && p < 1))) throw new InvalidArgumentError('must be rates in [0, 1) separated by commas, one per hidden layer (or one for all), e.g. 0.2,0.1.');
  return rates;
}

/** --monitor: what early stopping and the plateau schedule watch, in the CLI's spelling. */
export const MONITORS: Record<string, Monitor> = { 'val-loss': 'valLoss', 'val-accuracy': 'valAccuracy', loss: 'loss', accuracy: 'accuracy' };

export function monitor(value: string): Monitor {
  if (!Object.hasOwn(MONITORS, value)) throw new InvalidArgumentError(`must be one of: ${Object.keys(MONITORS).join(', ')}.`);
  return MONITORS[value]!;
}

/**
 * The keys of each --schedule kind, mapped to the Schedule's fields; `required` ones must be given.
 * min is η_min (cosine) or the floor of η (plateau); delta is plateau's minDelta.
 */
const SCHEDULE_KEYS: Record<Schedule['kind'], { required: string[]; optional: string[] }> = {
  step: { required: ['every', 'factor'], optional: [] },
  exponential: { required: ['factor'], optional: [] },
  cosine: { required: [], optional: ['min'] },
  plateau: { required: ['patience', 'factor'], optional: ['min', 'delta'] },
};
const SCHEDULE_FIELD: Record<string, string> = { every: 'every', factor: 'factor', patience: 'patience', min: 'minLearningRate', delta: 'minDelta' };
const EXAMPLE: Record<string, string> = { every: '10', factor: '0.5', patience: '3', min: '1e-5', delta: '0.001' };
export const SCHEDULE_SYNTAX = 'step:every=N,factor=F | exponential:factor=F | cosine[:min=η] | plateau:patience=N,factor=F[,min=η][,delta=D]';

/** --schedule "kind[:key=value,...]", e.g. "step:every=10,factor=0.5" or "cosine:min=1e-5". */
export function schedule(value: string): Schedule {
  const colon = value.indexOf(':');
  const kind = (colon < 0 ? value : value.slice(0, colon)).trim();
  if (!Object.hasOwn(SCHEDULE_KEYS, kind)) throw new InvalidArgumentError(`must be ${SCHEDULE_SYNTAX}.`);
  const keys = SCHEDULE_KEYS[kind as Schedule['kind']];
  const s: Record<string, unknown> = { kind };
  const given = new Set<string>();
  for (const pair of colon < 0 ? [] : value.slice(colon + 1).split(',')) {
    const [key = '', text, ...more] = pair.split('=').map((p) => p.trim());
    if (![...keys.required, ...keys.optional].includes(key)) {
      const valid = [...keys.required, ...keys.optional];
      throw new InvalidArgumentError(`${kind} takes ${valid.length ? valid.join(', ') : 'no keys'}${key ? `, not "${key}"` : ''} (${SCHEDULE_SYNTAX}).`);
    }
    const n = text === undefined || text === '' || more.length ? NaN : Number(text);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${kind}: ${key} needs a number, e.g. ${key}=${EXAMPLE[key]}.`);
    s[SCHEDULE_FIELD[key]!] = n;
    given.add(key);
  }
  const missing = keys.required.filter((k) => !given.has(k));
  if (missing.length) throw new InvalidArgumentError(`${kind} needs ${missing.map((k) => `${k}=…`).join(' and ')} (${SCHEDULE_SYNTAX}).`);
  try {
    return checkSchedule(s as unknown as Schedule);
  } catch (e) {
    // the library's range checks name the field (e.g. "schedule factor must be in (0, 1]")
    if (e instanceof BackpropError) throw new InvalidArgumentError(`${e.message}.`);
    throw e;
  }
}
