/** The playground's pure parts: the URL hash round trip, the CSV of points, the data pipeline, "copy as code". */
import { describe, expect, it } from 'vitest';
import { toyDataset } from '../../src/data/toy.js';
import { trainValidationSplit } from '../../src/data/preprocess.js';
import { DivergenceError } from '../../src/errors.js';
import { network } from '../../src/network.js';
import { featureRows, makeData, parsePointsCsv, targetRows } from '../../web/src/data.js';
import { CLASS_COLORS, outputColor } from '../../web/src/draw.js';
import { pageMessage } from '../../web/src/messages.js';
import { codeOf, modelConfig, scheduleOf } from '../../web/src/model.js';
import { presetState, stateFromHash } from '../../web/src/presets.js';
import { DATASETS, datasetDefaults, decodeWeights, defaultState, encodeWeights, fromHash, toHash, type State } from '../../web/src/state.js';

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
      weights: [
        { W: [0.5, -0.25, 0.125, 2, 0, -1, 3, 0.75, 1.5, -2, 0.25, 0.5, 0.375, -0.5, 1, 0.0625, -3, 2.5, 1.25, -0.75, 0.875, -1.5, 0.625, 2.25, -0.125, 0.1875, 1.75, -2.5, 0.3125, 3.5, -1.25, 0.4375], b: [0, 1, -1, 0.5, 0.25, -0.5, 2, -2] },
        { W: Array.from({ length: 24 }, (_, i) => i / 8 - 1), b: [0.5, -0.5, 1] },
        { W: [1, -1, 0.5, -0.5, 2, -2], b: [0.25, -0.25] },
        { W: [0.5, -1.5, 0.5, 1, 2, -0.25], b: [0, 1, -1] },
      ],
      preset: '',
      sample: 'test:4',
      stopAt: 1234,
      discretize: true,
      exercise: true,
      hide: ['data', 'lr'],
      l1: 0.001,
      l2: 0.03,
      dropout: 0.2,
      schedule: 'plateau',
      patience: 25,
      weightDecay: 0.001,
      clipNorm: 5,
    };
    // three classes among the points: three outputs, so the weights of 4 → 8 → 3 → 2 → 3
    expect(fromHash(`#${toHash(s)}`)).toEqual(s);
    expect(fromHash(toHash({ ...defaultState(), hidden: [] })).hidden).toEqual([]);
  });

  it('ignores values it cannot use', () => {
    const s = fromHash('#data=mnist&layers=4,0,2&lr=-1&batch=2.5&act=mish&features=zz&seed=x&test=1');
    expect(s).toEqual(defaultState());
  });
});

describe('points pasted as CSV', () => {
  it('reads x1,x2,class lines, skipping blank lines and comments, and says which first line it took for a header', () => {
    expect(parsePointsCsv('x1,x2,class\n0.5, -0.25, 1\n\n# note\n-1;1;0\n0.1\t0.2\t2\n')).toEqual({
      points: [
        { x1: 0.5, x2: -0.25, label: 1 },
        { x1: -1, x2: 1, label: 0 },
        { x1: 0.1, x2: 0.2, label: 2 },
      ],
      skipped: 'line 1 ("x1,x2,class") was skipped as a header',
    });
    expect(parsePointsCsv('0.5,0.5,1').skipped).toBeNull();
    // a junk first line is reported, not dropped silently
    expect(parsePointsCsv('oops;;\n0,0,0').skipped).toBe('line 1 ("oops;;") was skipped as a header');
  });
  it('names the bad line, and refuses points outside the plane', () => {
    expect(() => parsePointsCsv('0,0,0\n1,1')).toThrow(/line 2: expected three numbers/);
    expect(() => parsePointsCsv('0,0,0\n1,1,0.5')).toThrow(/line 2: the class must be an integer/);
    expect(() => parsePointsCsv('0,0,0\na,b,c')).toThrow(/line 2/);
    expect(() => parsePointsCsv('0,0,0\n1,2,0')).toThrow(/line 2: the point \(1, 2\) is outside the plane/);
    expect(() => parsePointsCsv('-1.6,0,1')).toThrow(/line 1: the point \(-1\.6, 0\) is outside the plane/);
    expect(parsePointsCsv('1.5,-1.5,0').points).toEqual([{ x1: 1.5, x2: -1.5, label: 0 }]);
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
    // several classes: softmax with cross-entropy unless MSE is asked for
    expect(modelConfig(s, blobs)).toMatchObject({ loss: 'cross-entropy', layers: [{}, {}, { units: 4, activation: 'softmax' }] });
    expect(modelConfig({ ...s, cost: 'mse' }, blobs)).toMatchObject({ loss: 'mse', layers: [{}, {}, { units: 4, activation: 'sigmoid' }] });
    expect(modelConfig(s, d).loss).toBe('mse');
    const wave = makeData({ ...s, dataset: 'wave', samples: 50 });
    expect(wave.task).toBe('regression');
    // the wave's targets: sin(πx₁)·cos(πx₂/2) plus the noise, within a few noise widths
    for (const p of [...wave.train, ...wave.test]) expect(Math.abs(p.label - Math.sin(Math.PI * p.x1) * Math.cos((Math.PI * p.x2) / 2))).toBeLessThan(5 * s.noise + 1e-6);
    const plane = makeData({ ...s, dataset: 'plane' });
    expect(modelConfig(s, plane)).toMatchObject({ loss: 'mse', layers: [{}, {}, { units: 1, activation: 'linear' }] });
  });

  it("gives each data set defaults that learn it: ≥ 90% test accuracy at the stop epoch (two spirals: 500 samples, 10-10)", async () => {
    expect(datasetDefaults('spirals')).toMatchObject({ samples: 500, hidden: [10, 10], schedule: 'exponential' });
    // (one optimizer for the whole run, as the worker keeps it: Adam's moments carry over epochs)
    for (const d of DATASETS) {
      if (d === 'custom' || d === 'plane' || d === 'wave') continue;
      const s = { ...defaultState(), dataset: d, ...datasetDefaults(d) };
      const data = makeData(s);
      const c = modelConfig(s, data);
      const net = network([c.inputs, ...c.layers], { loss: c.loss, init: c.init, seed: c.seed });
      const schedule = scheduleOf(s.schedule, true);
      await net.fit(featureRows(data.train, s.features), targetRows(data.train, data), { epochs: s.stopAt, batchSize: s.batchSize, optimizer: s.optimizer, learningRate: s.learningRate, seed: s.seed, ...(schedule ? { schedule } : {}) });
      const acc = net.evaluate(featureRows(data.test, s.features), targetRows(data.test, data)).accuracy;
      expect(acc, `${d} after ${s.stopAt} epochs`).toBeGreaterThanOrEqual(0.9);
    }
  }, 60_000);

  it('keeps the typed-in weights of a preset and of an edited run in the link, exactly', () => {
    const chain = presetState('seed-chain')!;
    expect(chain.weights).toEqual([{ W: [1.5], b: [0] }, { W: [-2], b: [0.5] }, { W: [1], b: [-0.5] }]);
    // a preset link is short: only what differs from the preset
    expect(toHash(chain, presetState('seed-chain')!)).toBe('preset=seed-chain');
    expect(stateFromHash('#preset=seed-chain')).toEqual(chain);
    const edited = { ...chain, weights: [{ W: [0.1], b: [0] }, { W: [-2], b: [0.5] }, { W: [1], b: [-0.5] }], epoch: 7, hide: ['data' as const] };
    const h = toHash(edited, presetState('seed-chain')!);
    expect(h).toMatch(/^preset=seed-chain&epoch=7&w=[\w-]+&hide=data$/);
    // float32 weights round-trip bit for bit
    expect(stateFromHash(`#${h}`).weights).toEqual(edited.weights.map((w) => ({ W: w.W.map(Math.fround), b: w.b })));
    expect(decodeWeights(encodeWeights([{ W: [1, 2], b: [3] }]), [2, 1])).toEqual([{ W: [1, 2], b: [3] }]);
    expect(decodeWeights(encodeWeights([{ W: [1, 2], b: [3] }]), [3, 1])).toBeNull();
    // a parameter that changes the preset's shape drops its weights
    expect(stateFromHash('#preset=seed-chain&layers=2').weights).toBeNull();
  });

  it('says a divergence in the page\'s names (W(1), not layers.0.weight) and advises only what the page can do', () => {
    const m = pageMessage(new DivergenceError('gradient ∂C/∂layers.0.weight', NaN, { epoch: 5, step: 3 }));
    expect(m).toBe('Training diverged in epoch 5 (batch 3): the gradient ∂C/∂W(1) became not finite. The weights are those before that step. Lower the learning rate η (it applies at once), or press Reset.');
    expect(pageMessage(new DivergenceError('gradient ∂C/∂layers.2.bias', NaN))).toContain('∂C/∂b(3)');
    expect(m).not.toMatch(/scale|standardi[sz]e|layers\./);
    expect(pageMessage(new Error('other'))).toBe('other');
  });

  it('discretizes one sigmoid output as the library predicts: class 1 where P ≥ 0.5', () => {
    const hard = outputColor('sigmoid', 'classification', true);
    const blue = hard([0.5]);
    const orange = hard([0.4999]);
    // the class's hue: blue has more blue than red, orange the other way round
    expect(blue[2]).toBeGreaterThan(blue[0]);
    expect(orange[0]).toBeGreaterThan(orange[2]);
    expect(hard([0.9])).toEqual(blue);
    expect(hard([0.1])).toEqual(orange);
    // several outputs: the arg max's class colour
    const three = outputColor('softmax', 'classification', true)([0.2, 0.3, 0.5]);
    expect(three[1]).toBeGreaterThan(three[0]); // class 2 is green
    expect(CLASS_COLORS[2]![1]).toBeGreaterThan(CLASS_COLORS[2]![0]);
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
    // weights that fit cannot give (typed, applied updates, η changed mid-run) are set by the code
    const withWeights = codeOf(s, makeData(s), 25, [
      { W: [0.5, -1, 2, 0.25, 0, 1, 1, 1, 1, 1, 1, 1], b: [0, 0.5, 0, 0] },
      { W: [1, 2, 3, 4, 5, 6, 7, 8], b: [0, 0] },
      { W: [1, -1], b: [0.125] },
    ]);
    expect(withWeights).toContain('net.layers[0].W.set([0.5,-1,2,0.25,0,1,1,1,1,1,1,1]);');
    expect(withWeights).toContain('net.layers[2].b.set([0.125]);');
    expect(withWeights).not.toContain('await net.fit(x, y, { epochs: 25,');
  });
});
