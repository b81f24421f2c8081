/**
 * Everything that defines a run, and its round trip through the URL hash. The same state always
 * gives the same data, the same initial weights and the same shuffling, so a link reproduces a run.
 */

export const DATASETS = ['circles', 'xor', 'spirals', 'moons', 'blobs', 'plane', 'custom'] as const;
export type DatasetName = (typeof DATASETS)[number];

export const FEATURES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'] as const;
export type Feature = (typeof FEATURES)[number];
export const FEATURE_LABELS: Record<Feature, string> = {
  x1: 'x₁',
  x2: 'x₂',
  x1sq: 'x₁²',
  x2sq: 'x₂²',
  x1x2: 'x₁x₂',
  sinx1: 'sin(πx₁)',
  sinx2: 'sin(πx₂)',
};

export const HIDDEN_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];
export const INITS = ['auto', 'normal', 'glorot', 'he', 'zeros'] as const;
export type Init = (typeof INITS)[number];
export const COSTS = ['mse', 'cross-entropy'] as const;
export type Cost = (typeof COSTS)[number];
export const OPTIMIZER_IDS = ['sgd', 'momentum', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_IDS)[number];
/** The library's kernel backends: 'auto' is WebAssembly SIMD where the browser has it, else JavaScript. */
export const BACKENDS = ['auto', 'wasm', 'js'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A point placed by the user (or pasted as CSV): coordinates in [-1.5, 1.5]² and a class (or target). */
export interface UserPoint {
  x1: number;
  x2: number;
  label: number;
}

export interface State {
  dataset: DatasetName;
  samples: number;
  noise: number;
  /** fraction of the samples held out as the test set */
  testRatio: number;
  seed: number;
  /** blobs only */
  classes: number;
  features: Feature[];
  /** hidden layer sizes */
  hidden: number[];
  activation: HiddenActivation;
  init: Init;
  cost: Cost;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  /** custom data set */
  points: UserPoint[];
  /** epochs trained when the link was made (the page trains to there on load) */
  epoch: number;
  /** the kernels training runs on (threads: as many as the browser allows) */
  backend: BackendName;
}

export const MAX_UNITS = 64;
export const MAX_LAYERS = 12;

export function defaultState(): State {
  return {
    dataset: 'circles',
    samples: 200,
    noise: 0.05,
    testRatio: 0.5,
    seed: 1,
    classes: 3,
    features: ['x1', 'x2'],
    hidden: [4, 2],
    activation: 'tanh',
    init: 'auto',
    cost: 'mse',
    optimizer: 'adam',
    learningRate: 0.01,
    batchSize: 10,
    points: [],
    epoch: 0,
    backend: 'auto',
  };
}

const num = (v: number): string => String(Number(v.toPrecision(6)));

/** The hash for a state: only the fields that differ from the defaults, so links stay short. */
export function toHash(s: State): string {
  const d = defaultState();
  const p = new URLSearchParams();
  const put = (key: string, value: string, def: string): void => {
    if (value !== def) p.set(key, value);
  };
  put('data', s.dataset, d.dataset);
  put('samples', String(s.samples), String(d.samples));
  put('noise', num(s.noise), num(d.noise));
  put('test', num(s.testRatio), num(d.testRatio));
  put('seed', String(s.seed), String(d.seed));
  put('classes', String(s.classes), String(d.classes));
  put('features', s.features.join(','), d.features.join(','));
  put('layers', s.hidden.join(',') || 'none', d.hidden.join(','));
  put('act', s.activation, d.activation);
  put('init', s.init, d.init);
  put('loss', s.cost, d.cost);
  put('opt', s.optimizer, d.optimizer);
  put('lr', num(s.learningRate), num(d.learningRate));
  put('batch', String(s.batchSize), String(d.batchSize));
  if (s.dataset === 'custom' && s.points.length > 0) {
    p.set('points', s.points.map((q) => `${num(q.x1)}_${num(q.x2)}_${num(q.label)}`).join('~'));
  }
  put('epoch', String(s.epoch), '0');
  put('backend', s.backend, d.backend);
  return p.toString();
}

/** Reads a hash (with or without '#'); unknown or invalid values fall back to the defaults. */
export function fromHash(hash: string): State {
  const s = defaultState();
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const pick = <T extends string>(key: string, valid: readonly T[], fallback: T): T => {
    const v = p.get(key);
    return v !== null && (valid as readonly string[]).includes(v) ? (v as T) : fallback;
  };
  const number = (key: string, fallback: number, min: number, max: number, integer = false): number => {
    const raw = p.get(key);
    if (raw === null) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) return fallback;
    return v;
  };
  s.dataset = pick('data', DATASETS, s.dataset);
  s.samples = number('samples', s.samples, 10, 2000, true);
  s.noise = number('noise', s.noise, 0, 0.5);
  s.testRatio = number('test', s.testRatio, 0.1, 0.9);
  s.seed = number('seed', s.seed, 0, 2 ** 31 - 1, true);
  s.classes = number('classes', s.classes, 2, 8, true);
  const features = p.get('features');
  if (features !== null) {
    const list = features.split(',').filter((f): f is Feature => (FEATURES as readonly string[]).includes(f));
    if (list.length > 0) s.features = FEATURES.filter((f) => list.includes(f));
  }
  const layers = p.get('layers');
  if (layers !== null) {
    if (layers === 'none' || layers === '') s.hidden = [];
    else {
      const sizes = layers.split(',').map(Number);
      if (sizes.length <= MAX_LAYERS && sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_UNITS)) s.hidden = sizes;
    }
  }
  s.activation = pick('act', HIDDEN_ACTIVATIONS, s.activation);
  s.init = pick('init', INITS, s.init);
  s.cost = pick('loss', COSTS, s.cost);
  s.optimizer = pick('opt', OPTIMIZER_IDS, s.optimizer);
  s.learningRate = number('lr', s.learningRate, 1e-6, 100);
  s.batchSize = number('batch', s.batchSize, 1, 2000, true);
  const points = p.get('points');
  if (points) {
    s.points = points
      .split('~')
      .map((t) => t.split('_').map(Number))
      .filter((v) => v.length === 3 && v.every(Number.isFinite))
      .map(([x1, x2, label]) => ({ x1: x1!, x2: x2!, label: label! }));
  }
  s.epoch = number('epoch', 0, 0, 1_000_000, true);
  s.backend = pick('backend', BACKENDS, s.backend);
  return s;
}
