/** The playground's pure parts: the URL hash round trip, the CSV of points, the data pipeline, "copy as code". */
import { describe, expect, it } from 'vitest';
import { toyDataset } from '../../src/data/toy.js';
import { trainValidationSplit } from '../../src/data/preprocess.js';
import { featureRows, makeData, parsePointsCsv, targetRows } from '../../web/src/data.js';
import { codeOf, modelConfig } from '../../web/src/model.js';
import { defaultState, fromHash, toHash, type State } from '../../web/src/state.js';

describe('playground state in the URL hash', () => {
  it('is empty for the defaults and round-trips every field', () => {
    expect(toHash(defaultState())).toBe('');
    const s: State = {
      ...defaultState(),
      dataset: 'custom',
      samples: 300,
      noise: 0.12,
      testRatio: 0.3,
      seed: 42,
      classes: 5,
      features: ['x1', 'x2', 'x1x2', 'sinx2'],
      hidden: [8, 3, 2],
      activation: 'relu',
      init: 'zeros',
      cost: 'cross-entropy',
      optimizer: 'momentum',
      learningRate: 0.003,
      batchSize: 17,
      points: [
        { x1: 0.25, x2: -0.5, label: 0 },
        { x1: -1.125, x2: 0.75, label: 2 },
      ],
      epoch: 123,
      backend: 'js',
    };
    expect(fromHash(`#${toHash(s)}`)).toEqual(s);
    expect(fromHash(toHash({ ...defaultState(), hidden: [] })).hidden).toEqual([]);
  });

  it('ignores values it cannot use', () => {
    const s = fromHash('#data=mnist&layers=4,0,2&lr=-1&batch=2.5&act=gelu&features=zz&seed=x&test=1');
    expect(s).toEqual(defaultState());
  });
});

describe('points pasted as CSV', () => {
  it('reads x1,x2,class lines, skipping a header, blank lines and comments', () => {
    expect(parsePointsCsv('x1,x2,class\n0.5, -0.25, 1\n\n# note\n-1;1;0\n0.1\t0.2\t2\n')).toEqual([
      { x1: 0.5, x2: -0.25, label: 1 },
      { x1: -1, x2: 1, label: 0 },
      { x1: 0.1, x2: 0.2, label: 2 },
    ]);
  });
  it('names the bad line', () => {
    expect(() => parsePointsCsv('0,0,0\n1,2')).toThrow(/line 2: expected three numbers/);
    expect(() => parsePointsCsv('0,0,0\n1,2,0.5')).toThrow(/line 2: the class must be an integer/);
    expect(() => parsePointsCsv('0,0,0\na,b,c')).toThrow(/line 2/);
  });
});

describe('playground data and network', () => {
  it('uses the library toy set and split, and the output that fits the task', () => {
    const s = { ...defaultState(), dataset: 'moons' as const, samples: 100, testRatio: 0.2, seed: 3 };
    const d = makeData(s);
    const { train, validation } = trainValidationSplit(toyDataset('moons', { samples: 100, noise: s.noise, seed: 3 }), 0.2, 3);
    expect(d.train.length).toBe(train.x.rows);
    expect(d.test.length).toBe(validation.x.rows);
    expect(featureRows(d.train, ['x1', 'x2'])).toEqual(train.x.toArray());
    expect(targetRows(d.train, d)).toEqual(train.y.toArray().map((r) => [r[1]]));
    expect(modelConfig(s, d).layers.at(-1)).toEqual({ units: 1, activation: 'sigmoid' });
    expect(modelConfig({ ...s, cost: 'cross-entropy' }, d).loss).toBe('binary-cross-entropy');
    const blobs = makeData({ ...s, dataset: 'blobs', classes: 4 });
    expect(modelConfig({ ...s, cost: 'cross-entropy' }, blobs).layers.at(-1)).toEqual({ units: 4, activation: 'softmax' });
    const plane = makeData({ ...s, dataset: 'plane' });
    expect(modelConfig(s, plane)).toMatchObject({ loss: 'mse', layers: [{}, {}, { units: 1, activation: 'linear' }] });
  });

  it('maps the extra features', () => {
    expect(featureRows([{ x1: 0.5, x2: -2 }], ['x1sq', 'x2sq', 'x1x2', 'sinx1'])[0]).toEqual([0.25, 4, -1, 1]);
  });

  it('prints "copy as code" with the library calls of the run', () => {
    const s = { ...defaultState(), features: ['x1', 'x2', 'x1sq'] as State['features'] };
    const code = codeOf(s, makeData(s), 25);
    expect(code).toContain("import { network, toyDataset, trainValidationSplit } from 'backprop';");
    expect(code).toContain("toyDataset('circles', { samples: 200, noise: 0.05, seed: 1 })");
    expect(code).toContain('[a, b, a * a]');
    expect(code).toContain("network([3, { units: 4, activation: 'tanh' }, { units: 2, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', init: 'auto', seed: 1 })");
    expect(code).toContain("epochs: 25, batchSize: 10, optimizer: 'adam', learningRate: 0.01, seed: 1");
  });
});
