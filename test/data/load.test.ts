import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { OptionError } from '../../src/errors.js';
import { tempDir } from './fixtures.js';

describe('loadDataset', () => {
  it('generates a toy set from the given options, without a test set', () => {
    const loaded = loadDataset('blobs', { samples: 30, seed: 2, classes: 4 });
    expect(loaded.train.name).toBe('blobs');
    expect(loaded.train.y.shape).toEqual([30, 4]);
    expect(loaded.test).toBeUndefined();
  });

  it('reads a path ending in .csv with the label and task options', () => {
    const path = join(tempDir(), 'houses.CSV');
    writeFileSync(path, 'price,rooms,area\n100,2,50\n200,4,90\n');
    const { train } = loadDataset(path, { label: 'price', task: 'regression' });
    expect(train.name).toBe('houses');
    expect(train.featureNames).toEqual(['rooms', 'area']);
    expect(train.y.toArray()).toEqual([[100], [200]]);
  });

  it('needs a directory for mnist', () => {
    expect(() => loadDataset('mnist')).toThrow(OptionError);
    expect(() => loadDataset('mnist')).toThrow('the mnist data set needs --data-dir DIR');
  });

  it('passes the directory to fashion-mnist', () => {
    const dir = join(tempDir(), 'nothing-here');
    expect(() => loadDataset('fashion-mnist', { dataDir: dir })).toThrow(`looked in ${dir}`);
  });

  it('lists the valid names for an unknown one', () => {
    expect(() => loadDataset('cifar')).toThrow(
      'unknown data set "cifar"; valid: digits, mnist, fashion-mnist, xor, circles, spirals, moons, blobs, plane, or a path to a .csv file',
    );
  });
});
