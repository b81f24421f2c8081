import { describe, expect, it } from 'vitest';
import { labelsOf } from '../../src/data/dataset.js';
import { TOY_DATASETS, toyDataset } from '../../src/data/toy.js';
import { OptionError } from '../../src/errors.js';

describe('toyDataset', () => {
  for (const name of TOY_DATASETS) {
    it(`${name}: deterministic for a seed, different for another, 2 features in about [-1, 1]`, () => {
      const a = toyDataset(name, { seed: 5 });
      expect(a.x.shape).toEqual([200, 2]);
      expect(a.x.dtype).toBe('float32');
      expect(a.featureNames).toEqual(['x1', 'x2']);
      expect(toyDataset(name, { seed: 5 }).x.data).toEqual(a.x.data);
      expect(toyDataset(name, { seed: 5 }).y.data).toEqual(a.y.data);
      expect(toyDataset(name, { seed: 6 }).x.data).not.toEqual(a.x.data);
      for (const v of a.x.data) expect(Math.abs(v)).toBeLessThan(1.5);
    });
  }

  for (const [name, classes] of [['xor', 2], ['circles', 2], ['spirals', 2], ['moons', 2], ['blobs', 3]] as const) {
    it(`${name}: ${classes} balanced classes`, () => {
      const ds = toyDataset(name, { samples: 90 });
      expect(ds.task).toBe('classification');
      expect(ds.classNames).toEqual(Array.from({ length: classes }, (_, c) => String(c)));
      const counts = new Array<number>(classes).fill(0);
      for (const label of labelsOf(ds)) counts[label]!++;
      expect(counts).toEqual(new Array(classes).fill(90 / classes));
    });
  }

  it('xor without noise labels by the sign of x1·x2', () => {
    const ds = toyDataset('xor', { noise: 0 });
    const labels = labelsOf(ds);
    for (let i = 0; i < ds.x.rows; i++) expect(labels[i]).toBe(ds.x.get(i, 0) * ds.x.get(i, 1) > 0 ? 1 : 0);
  });

  it('circles without noise: class 0 outside radius 0.7, class 1 inside 0.5', () => {
    const ds = toyDataset('circles', { noise: 0 });
    const labels = labelsOf(ds);
    for (let i = 0; i < ds.x.rows; i++) {
      const r = Math.hypot(ds.x.get(i, 0), ds.x.get(i, 1));
      if (labels[i] === 0) expect(r).toBeGreaterThanOrEqual(0.7 - 1e-6);
      else expect(r).toBeLessThanOrEqual(0.5 + 1e-6);
    }
  });

  it('blobs takes a number of classes', () => {
    const ds = toyDataset('blobs', { classes: 5, samples: 50 });
    expect(ds.y.shape).toEqual([50, 5]);
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4']);
  });

  it('plane is a regression set with one target, (x1 + x2) / 2 without noise', () => {
    const ds = toyDataset('plane', { noise: 0, samples: 20 });
    expect(ds.task).toBe('regression');
    expect(ds.y.shape).toEqual([20, 1]);
    expect(ds.classNames).toBeUndefined();
    for (let i = 0; i < 20; i++) expect(ds.y.get(i, 0)).toBeCloseTo((ds.x.get(i, 0) + ds.x.get(i, 1)) / 2, 6);
  });

  it('rejects bad options', () => {
    expect(() => toyDataset('rings' as 'xor')).toThrow('unknown toy data set "rings"; valid: xor, circles, spirals, moons, blobs, plane');
    expect(() => toyDataset('xor', { samples: 0 })).toThrow(OptionError);
    expect(() => toyDataset('xor', { noise: -1 })).toThrow('noise must be a finite number ≥ 0, got -1');
    expect(() => toyDataset('xor', { classes: 3 })).toThrow('classes applies only to the blobs data set');
    expect(() => toyDataset('blobs', { classes: 1 })).toThrow('blobs needs at least 2 classes, got 1');
  });
});
