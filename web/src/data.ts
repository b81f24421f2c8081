/**
 * The data of a run: the library's seeded toy sets (or the user's points), split by the library's
 * seeded trainValidationSplit, then mapped to the selected input features.
 */
import { checkDataset, type Dataset } from '../../src/data/dataset.js';
import { oneHot, trainValidationSplit } from '../../src/data/preprocess.js';
import { surface, toyDataset } from '../../src/data/toy.js';
import { Random } from '../../src/random.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { FEATURE_LABELS, type Feature, type State, type UserPoint } from './state.js';

/** The plane shown on screen: [-DOMAIN, DOMAIN]². The toy sets lie in [-1, 1]². */
export const DOMAIN = 1.5;
/** Heat maps are computed on GRID × GRID points. */
export const GRID = 50;

export interface Sample {
  x1: number;
  x2: number;
  /** class index (classification) or target value (regression) */
  label: number;
}

export interface RunData {
  task: 'classification' | 'regression';
  /** number of classes (classification); 1 for regression */
  classes: number;
  train: Sample[];
  test: Sample[];
  /** network outputs: 1 for two classes (one sigmoid unit) and regression, else one per class */
  outputs: number;
}

export function featureValue(f: Feature, x1: number, x2: number): number {
  switch (f) {
    case 'x1':
      return x1;
    case 'x2':
      return x2;
    case 'x1sq':
      return x1 * x1;
    case 'x2sq':
      return x2 * x2;
    case 'x1x2':
      return x1 * x2;
    case 'sinx1':
      return Math.sin(Math.PI * x1);
    case 'sinx2':
      return Math.sin(Math.PI * x2);
  }
}

export function featureLabel(f: Feature): string {
  return FEATURE_LABELS[f];
}

/** Rows of network inputs, one per sample: the selected features of (x1, x2). */
export function featureRows(samples: readonly { x1: number; x2: number }[], features: readonly Feature[]): number[][] {
  return samples.map((s) => features.map((f) => featureValue(f, s.x1, s.x2)));
}

/** Targets as the network sees them: the class (one sigmoid output), one-hot, or the value. */
export function targetRows(samples: readonly Sample[], data: Pick<RunData, 'task' | 'outputs'>): number[][] {
  return samples.map((s) => {
    if (data.task === 'regression' || data.outputs === 1) return [s.label];
    const row = new Array<number>(data.outputs).fill(0);
    row[s.label] = 1;
    return row;
  });
}

/** The grid points of the heat maps, row by row from the top (x2 = +DOMAIN) to the bottom. */
export function gridPoints(): { x1: number; x2: number }[] {
  const out: { x1: number; x2: number }[] = [];
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      out.push({ x1: -DOMAIN + ((c + 0.5) / GRID) * 2 * DOMAIN, x2: DOMAIN - ((r + 0.5) / GRID) * 2 * DOMAIN });
    }
  }
  return out;
}

function customDataset(points: readonly UserPoint[]): Dataset {
  const classes = Math.max(2, ...points.map((p) => p.label + 1));
  const x = new Float32Array(points.length * 2);
  points.forEach((p, i) => {
    x[2 * i] = p.x1;
    x[2 * i + 1] = p.x2;
  });
  return checkDataset({
    name: 'custom',
    x: new Matrix(points.length, 2, x),
    y: oneHot(points.map((p) => p.label), classes),
    task: 'classification',
    classNames: Array.from({ length: classes }, (_, c) => String(c)),
    featureNames: ['x1', 'x2'],
  });
}

function samplesOf(ds: Dataset): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < ds.x.rows; i++) {
    let label: number;
    if (ds.task === 'regression') label = ds.y.get(i, 0);
    else {
      label = 0;
      for (let c = 1; c < ds.y.cols; c++) if (ds.y.get(i, c) > ds.y.get(i, label)) label = c;
    }
    out.push({ x1: ds.x.get(i, 0), x2: ds.x.get(i, 1), label });
  }
  return out;
}

/**
 * The second regression set (the library's 'plane' is linear): a wave over the plane,
 * y = sin(πx₁)·cos(πx₂/2) + noise, on uniform points of [−1, 1]², from the library's seeded generator.
 */
export function waveDataset(samples: number, noise: number, seed: number): Dataset {
  return surface('wave', samples, noise, new Random(seed), (a, b) => Math.sin(Math.PI * a) * Math.cos((Math.PI * b) / 2));
}

/** The library call that makes the (unsplit) data set of a state; shared with "copy as code". */
export function datasetOf(s: State): Dataset | null {
  if (s.dataset === 'custom') return s.points.length > 0 ? customDataset(s.points) : null;
  if (s.dataset === 'wave') return waveDataset(s.samples, s.noise, s.seed);
  return toyDataset(s.dataset, {
    samples: s.samples,
    noise: s.noise,
    seed: s.seed,
    ...(s.dataset === 'blobs' ? { classes: s.classes } : {}),
  });
}

export function makeData(s: State): RunData {
  const ds = datasetOf(s);
  const task = ds?.task ?? 'classification';
  const classes = task === 'regression' ? 1 : (ds?.y.cols ?? 2);
  const outputs = task === 'regression' || classes === 2 ? 1 : classes;
  if (!ds) return { task, classes, outputs, train: [], test: [] };
  const n = ds.x.rows;
  const held = Math.round(n * s.testRatio);
  if (held < 1 || held > n - 1) return { task, classes, outputs, train: samplesOf(ds), test: [] };
  const split = trainValidationSplit(ds, s.testRatio, s.seed);
  return { task, classes, outputs, train: samplesOf(split.train), test: samplesOf(split.validation) };
}

/**
 * Parses pasted CSV: one point per line, `x1,x2,class` (';' or tabs work as separators too; blank
 * lines and '#' comments are skipped). A first line that is not numbers is skipped as a header and
 * reported in `skipped`, so that a junk line is never dropped silently. Throws with the line number
 * on a bad line, and on a point outside the plane (it could not be seen or clicked).
 */
export function parsePointsCsv(text: string): { points: UserPoint[]; skipped: string | null } {
  const points: UserPoint[] = [];
  let skipped: string | null = null;
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const cells = t.split(/[,;\t]/).map((c) => c.trim());
    const values = cells.map((c) => (c === '' ? NaN : Number(c)));
    if (values.some((v) => !Number.isFinite(v))) {
      if (points.length === 0 && skipped === null) {
        skipped = `line ${i + 1} ("${t.length > 40 ? `${t.slice(0, 40)}…` : t}") was skipped as a header`;
        return;
      }
      throw new Error(`line ${i + 1}: expected three numbers x1,x2,class, got "${t}"`);
    }
    if (values.length !== 3) throw new Error(`line ${i + 1}: expected three numbers x1,x2,class, got ${values.length}`);
    const [x1, x2, label] = values as [number, number, number];
    if (Math.abs(x1) > DOMAIN || Math.abs(x2) > DOMAIN) {
      throw new Error(`line ${i + 1}: the point (${x1}, ${x2}) is outside the plane, which shows x₁ and x₂ from −${DOMAIN} to ${DOMAIN}`);
    }
    if (!Number.isInteger(label) || label < 0 || label > 7) throw new Error(`line ${i + 1}: the class must be an integer 0..7, got ${label}`);
    points.push({ x1, x2, label });
  });
  return { points, skipped };
}
