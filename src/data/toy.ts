import { OptionError, oneOf, positiveInteger } from '../errors.js';
import { Random } from '../random.js';
import { Matrix } from '../tensor/matrix.js';
import { checkDataset, type Dataset } from './dataset.js';
import { oneHot } from './preprocess.js';

/** The toy sets' names: five 2-D classification sets and one regression set ('plane'). */
export const TOY_DATASETS = ['xor', 'circles', 'spirals', 'moons', 'blobs', 'plane'] as const;
/** One of {@link TOY_DATASETS}. */
export type ToyName = (typeof TOY_DATASETS)[number];

/** How a toy set is drawn; every field has a default. */
export interface ToyOptions {
  /** Number of samples (default 200), spread evenly over the classes. */
  samples?: number;
  /**
   * Standard deviation of the Gaussian noise (default 0.05): added to both coordinates of the
   * classification sets (labels stay those of the clean point), and to the target of 'plane'.
   */
  noise?: number;
  /** Seed of every random draw (default 1): the same seed gives the same set everywhere. */
  seed?: number;
  /** Number of classes of 'blobs' (default 3); the other sets have a fixed number. */
  classes?: number;
}

/** How far xor's points stay from the axes, so that the clean classes are separated by a gap. */
const XOR_GAP = 0.05;
const BLOB_RADIUS = 0.6;
const BLOB_SPREAD = 0.15;
const SPIRAL_TURNS = 1.75;

/**
 * A small 2-D data set drawn from a seed, for demos and the playground. The clean points lie in
 * [-1, 1]² (the blobs' tails slightly beyond): unit-sized inputs train without preprocessing, and a
 * display can scale them, e.g. to TensorFlow Playground's [-6, 6]. Features are named x1 and x2, classes '0', '1', ...
 *
 * - xor: uniform points in the four quadrants; class 1 where x1·x2 > 0.
 * - circles: class 0 on a ring of radius 0.7–1, class 1 in a disc of radius 0.5.
 * - spirals: two interleaved spirals of 1.75 turns from the centre, one per class.
 * - moons: scikit-learn's two interleaving half circles, centred and scaled into [-1, 1] × [-0.5, 0.5].
 * - blobs: Gaussian clusters (standard deviation 0.15) centred evenly on a circle of radius 0.6.
 * - plane (regression): uniform points, target (x1 + x2) / 2.
 *
 * @example
 * ```ts
 * import { toyDataset } from 'backprop';
 *
 * const moons = toyDataset('moons', { samples: 400, seed: 1 });
 * console.log(moons.x.shape, moons.y.shape, moons.classNames);   // [ 400, 2 ] [ 400, 2 ] [ '0', '1' ]
 * ```
 */
export function toyDataset(name: ToyName, options: ToyOptions = {}): Dataset {
  oneOf('toy data set', name, TOY_DATASETS);
  const samples = positiveInteger('samples', options.samples ?? 200);
  const noise = options.noise ?? 0.05;
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) {
    throw new OptionError(`noise must be a finite number ≥ 0, got ${String(noise)}`);
  }
  if (options.classes !== undefined && name !== 'blobs') {
    throw new OptionError(`classes applies only to the blobs data set; ${name} has a fixed number of classes`);
  }
  const random = new Random(options.seed ?? 1);
  if (name === 'plane') return plane(samples, noise, random);
  if (name === 'blobs') {
    const classes = positiveInteger('classes', options.classes ?? 3);
    if (classes < 2) throw new OptionError(`blobs needs at least 2 classes, got ${classes}`);
    return classification(name, samples, classes, noise, random, (c) => blob(c, classes, random));
  }
  const point = { xor, circles, spirals, moons }[name];
  return classification(name, samples, 2, noise, random, (c) => point(c, random));
}

type Point = [number, number];

/** Sample i gets class i mod classes, so the classes are balanced and interleaved. */
function classification(
  name: ToyName,
  samples: number,
  classes: number,
  noise: number,
  random: Random,
  point: (label: number) => Point,
): Dataset {
  const x = new Float32Array(samples * 2);
  const labels = new Uint32Array(samples);
  for (let i = 0; i < samples; i++) {
    const label = i % classes;
    const [a, b] = point(label);
    x[2 * i] = a + noise * random.normal();
    x[2 * i + 1] = b + noise * random.normal();
    labels[i] = label;
  }
  return checkDataset({
    name,
    x: new Matrix(samples, 2, x),
    y: oneHot(labels, classes),
    task: 'classification',
    classNames: Array.from({ length: classes }, (_, c) => String(c)),
    featureNames: ['x1', 'x2'],
  });
}

function plane(samples: number, noise: number, random: Random): Dataset {
  return surface('plane', samples, noise, random, (a, b) => (a + b) / 2);
}

/** A regression set: uniform points (a, b) of [−1, 1]², y = f(a, b) + noise·N(0, 1), from the seeded generator. */
export function surface(name: string, samples: number, noise: number, random: Random, f: (a: number, b: number) => number): Dataset {
  const x = new Float32Array(samples * 2);
  const y = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = 2 * random.uniform() - 1;
    const b = 2 * random.uniform() - 1;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = f(a, b) + noise * random.normal();
  }
  return checkDataset({ name, x: new Matrix(samples, 2, x), y: new Matrix(samples, 1, y), task: 'regression', featureNames: ['x1', 'x2'] });
}

function xor(label: number, random: Random): Point {
  const s1 = random.uniform() < 0.5 ? -1 : 1;
  const s2 = label === 1 ? s1 : -s1;
  const away = (): number => XOR_GAP + (1 - XOR_GAP) * random.uniform();
  return [s1 * away(), s2 * away()];
}

function circles(label: number, random: Random): Point {
  const r = label === 0 ? 0.7 + 0.3 * random.uniform() : 0.5 * random.uniform();
  const angle = 2 * Math.PI * random.uniform();
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

function spirals(label: number, random: Random): Point {
  const t = random.uniform();
  const angle = SPIRAL_TURNS * 2 * Math.PI * t + label * Math.PI;
  return [t * Math.sin(angle), t * Math.cos(angle)];
}

function moons(label: number, random: Random): Point {
  const theta = Math.PI * random.uniform();
  const [a, b] = label === 0 ? [Math.cos(theta), Math.sin(theta)] : [1 - Math.cos(theta), 0.5 - Math.sin(theta)];
  return [(a - 0.5) / 1.5, (b - 0.25) / 1.5];
}

function blob(label: number, classes: number, random: Random): Point {
  const angle = (2 * Math.PI * label) / classes;
  return [BLOB_RADIUS * Math.cos(angle) + BLOB_SPREAD * random.normal(), BLOB_RADIUS * Math.sin(angle) + BLOB_SPREAD * random.normal()];
}
