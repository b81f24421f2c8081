import { describe, expect, it } from 'vitest';
import { labelsOf, subset, type Dataset } from '../../src/data/dataset.js';
import { applyPreprocessing, fitPreprocessing, oneHot, shuffleDataset, trainValidationSplit } from '../../src/data/preprocess.js';
import { DataError, OptionError, ShapeError } from '../../src/errors.js';
import { Matrix } from '../../src/tensor/matrix.js';

const train = Matrix.fromArray([
  [0, 10, 5],
  [2, 20, 5],
  [4, 60, 5],
]);
const test = Matrix.fromArray([
  [8, 0, 7],
  [2, 20, 5],
]);

describe('fitPreprocessing and applyPreprocessing', () => {
  it('scale: statistics from the training matrix only', () => {
    const p = fitPreprocessing('scale', train);
    expect(p).toEqual({ kind: 'scale', min: [0, 10, 5], max: [4, 60, 5] });
    expect(applyPreprocessing(p, train).toArray()).toEqual([
      [0, 0, 0],
      [0.5, 0.2, 0],
      [1, 1, 0],
    ].map((r) => r.map(Math.fround)));
    // The test set goes through the training statistics, so it may leave [0, 1].
    expect(applyPreprocessing(p, test).toArray()).toEqual([
      [2, -0.2, 2],
      [0.5, 0.2, 0],
    ].map((r) => r.map(Math.fround)));
  });

  it('standardize: mean 0 and standard deviation 1 on the training set; constant columns stay finite', () => {
    const p = fitPreprocessing('standardize', train);
    if (p.kind !== 'standardize') throw new Error('wrong kind');
    expect(p.mean).toEqual([2, 30, 5]);
    expect(p.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(p.std[2]).toBe(0);
    const z = applyPreprocessing(p, train);
    for (let j = 0; j < 2; j++) {
      const col = [0, 1, 2].map((i) => z.get(i, j));
      expect(col.reduce((a, b) => a + b, 0) / 3).toBeCloseTo(0, 6);
      expect(Math.sqrt(col.reduce((a, b) => a + b * b, 0) / 3)).toBeCloseTo(1, 6);
    }
    expect([0, 1, 2].map((i) => z.get(i, 2))).toEqual([0, 0, 0]);
    // A row shared by both sets maps to the same values in both.
    expect(Array.from(applyPreprocessing(p, test).row(1))).toEqual(Array.from(z.row(1)));
  });

  it('is plain JSON that round-trips', () => {
    const p = fitPreprocessing('standardize', train);
    const restored = JSON.parse(JSON.stringify(p));
    expect(applyPreprocessing(restored, test).data).toEqual(applyPreprocessing(p, test).data);
  });

  it('none copies the matrix', () => {
    const p = fitPreprocessing('none', train);
    expect(p).toEqual({ kind: 'none' });
    const out = applyPreprocessing(p, train);
    expect(out.data).toEqual(train.data);
    expect(out.data).not.toBe(train.data);
  });

  it('returns a new matrix and leaves the input alone', () => {
    const before = Array.from(train.data);
    applyPreprocessing(fitPreprocessing('scale', train), train);
    expect(Array.from(train.data)).toEqual(before);
  });

  it('rejects unknown kinds, statistics of another width and non-finite data', () => {
    expect(() => fitPreprocessing('normalize' as 'scale', train)).toThrow('unknown preprocessing "normalize"; valid: none, scale, standardize');
    expect(() => applyPreprocessing({ kind: 'scale', min: [0], max: [1] }, train)).toThrow(ShapeError);
    expect(() => fitPreprocessing('scale', Matrix.fromArray([[1, NaN]]))).toThrow(DataError);
  });
});

describe('oneHot', () => {
  it('puts a 1 in each label column', () => {
    expect(oneHot([2, 0], 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });

  it('rejects labels outside the classes', () => {
    expect(() => oneHot([0, 3], 3)).toThrow('label 3 of sample 1 is not a class index in 0..2');
  });
});

function numbered(n: number): Dataset {
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  return {
    name: 'numbered',
    x: new Matrix(n, 1, Float32Array.from({ length: n }, (_, i) => i)),
    y: oneHot(labels, 2),
    task: 'classification',
    classNames: ['even', 'odd'],
  };
}

describe('shuffleDataset', () => {
  it('permutes samples with x and y kept together, the same way for the same seed', () => {
    const ds = numbered(50);
    const a = shuffleDataset(ds, 7);
    expect(a.x.data).toEqual(shuffleDataset(ds, 7).x.data);
    expect(a.x.data).not.toEqual(shuffleDataset(ds, 8).x.data);
    expect(Array.from(a.x.data).sort((p, q) => p - q)).toEqual(Array.from(ds.x.data));
    const labels = labelsOf(a);
    a.x.data.forEach((v, i) => expect(labels[i]).toBe(v % 2));
  });
});

describe('trainValidationSplit', () => {
  it('holds out a seeded fraction, disjoint from training', () => {
    const ds = numbered(100);
    const { train: tr, validation } = trainValidationSplit(ds, 0.2, 3);
    expect(tr.x.rows).toBe(80);
    expect(validation.x.rows).toBe(20);
    expect(validation.name).toBe('numbered/validation');
    const all = [...tr.x.data, ...validation.x.data].sort((p, q) => p - q);
    expect(all).toEqual(Array.from(ds.x.data));
    expect(trainValidationSplit(ds, 0.2, 3).validation.x.data).toEqual(validation.x.data);
  });

  it('in place: the same sets, as views of the data set\'s own rows (reordered), nothing copied', () => {
    for (const n of [2, 7, 100, 1001]) {
      const copied = trainValidationSplit(numbered(n), 0.3, 5);
      const ds = numbered(n);
      const inPlace = trainValidationSplit(ds, 0.3, 5, { inPlace: true });
      for (const part of ['train', 'validation'] as const) {
        expect(Array.from(inPlace[part].x.data)).toEqual(Array.from(copied[part].x.data));
        expect(Array.from(inPlace[part].y.data)).toEqual(Array.from(copied[part].y.data));
        expect(inPlace[part].x.data.buffer).toBe(ds.x.data.buffer);
        expect(inPlace[part].name).toBe(copied[part].name);
      }
    }
  });

  it('rejects fractions outside (0, 1) and splits that leave a side empty', () => {
    expect(() => trainValidationSplit(numbered(10), 1, 0)).toThrow(OptionError);
    expect(() => trainValidationSplit(numbered(10), 0.01, 0)).toThrow('numbered: a validation fraction of 0.01 of 10 samples leaves 0 for validation and 10 for training; both need at least one');
  });
});

describe('subset', () => {
  it('copies the chosen rows in order and checks the indices', () => {
    const ds = numbered(5);
    expect(Array.from(subset(ds, [4, 0, 4]).x.data)).toEqual([4, 0, 4]);
    expect(() => subset(ds, [5])).toThrow('numbered: sample index 5 is outside 0..4');
  });
});
