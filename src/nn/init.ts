import { oneOf } from '../errors.js';
import type { Random } from '../random.js';
import type { FloatArray } from '../tensor/matrix.js';

/** The weight initialisations' ids: 'auto' (He for ReLU-family layers, Glorot otherwise), 'normal' N(0, 1), 'glorot', 'he', 'zeros'. */
export const INITIALIZERS = ['auto', 'normal', 'glorot', 'he', 'zeros'] as const;
/** One of {@link INITIALIZERS}. */
export type InitId = (typeof INITIALIZERS)[number];

export function checkInit(id: unknown): InitId {
  return oneOf('initializer', id, INITIALIZERS);
}

/** The ReLU family: zero (or nearly) for z < 0 and about z for z > 0, so He's variance suits them. */
const RELU_FAMILY: readonly string[] = ['relu', 'leaky-relu', 'elu', 'gelu', 'silu'];

/** 'auto' is He for the ReLU family and Glorot for everything else, as common practice recommends. */
export function resolveInit(init: InitId, act: string): Exclude<InitId, 'auto'> {
  if (init !== 'auto') return init;
  return RELU_FAMILY.includes(act) ? 'he' : 'glorot';
}

/**
 * Fills W (units × inputs) and b:
 * - normal: W, b ~ N(0, 1), the textbook's choice;
 * - glorot: W ~ U(−√(6/(in+out)), √(6/(in+out))), b = 0 (Keras' default);
 * - he: W ~ N(0, 2/in), b = 0;
 * - zeros: W = b = 0 (every neuron of a layer stays identical: shows why symmetry must be broken).
 */
export function initialize(
  init: Exclude<InitId, 'auto'>,
  w: FloatArray,
  b: FloatArray,
  inputs: number,
  units: number,
  rng: Random,
): void {
  b.fill(0);
  switch (init) {
    case 'normal':
      for (let i = 0; i < w.length; i++) w[i] = rng.normal();
      for (let i = 0; i < b.length; i++) b[i] = rng.normal();
      return;
    case 'glorot': {
      const limit = Math.sqrt(6 / (inputs + units));
      for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * limit;
      return;
    }
    case 'he': {
      const std = Math.sqrt(2 / inputs);
      for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
      return;
    }
    case 'zeros':
      w.fill(0);
      return;
  }
}
