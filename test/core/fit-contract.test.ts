/** What fit promises about batches, order, stopping and the history, each against a count made independently of fit. */
import { describe, expect, it } from 'vitest';
import { network, Random, sgd, type Network } from '../../src/index.js';

const N = 23;
const rng = new Random(8);
const x = Array.from({ length: N }, () => [rng.normal(), rng.normal(), rng.normal()]);
const y = x.map((r) => (r[0]! - r[2]! > 0 ? [1, 0] : [0, 1]));
const make = (): Network => network([3, { units: 5, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 4, backend: 'js' });
const bits = (net: Network): string => net.layers.map((l) => Buffer.from(l.W.buffer, l.W.byteOffset, l.W.byteLength).toString('hex') + Buffer.from(l.b.buffer, l.b.byteOffset, l.b.byteLength).toString('hex')).join('|');

describe('fit', () => {
  it('N = 23 in batches of 5: batches of 5, 5, 5, 5 and 3 per epoch, every sample once', async () => {
    const sizes: number[][] = [];
    await make().fit(x, y, { epochs: 2, batchSize: 5, optimizer: sgd({ learningRate: 0.1 }), onEpochBegin: () => sizes.push([]), onBatchEnd: (l) => sizes.at(-1)!.push(l.size) });
    expect(sizes).toEqual([
      [5, 5, 5, 5, 3],
      [5, 5, 5, 5, 3],
    ]);
  });

  it('shuffle: false takes the samples in order: the same as trainStep on consecutive slices', async () => {
    const a = make();
    await a.fit(x, y, { epochs: 2, batchSize: 5, shuffle: false, optimizer: sgd({ learningRate: 0.1 }) });
    const b = make();
    const opt = sgd({ learningRate: 0.1 });
    for (let epoch = 0; epoch < 2; epoch++) for (let s = 0; s < N; s += 5) b.trainStep(x.slice(s, s + 5), y.slice(s, s + 5), opt);
    expect(bits(a)).toBe(bits(b));
    // and shuffling does change the order (else the comparison above could not fail)
    const c = make();
    await c.fit(x, y, { epochs: 2, batchSize: 5, optimizer: sgd({ learningRate: 0.1 }) });
    expect(bits(c)).not.toBe(bits(a));
  });

  it('shouldStop ends training right after the batch where it returns true, and says so', async () => {
    const a = make();
    let batches = 0;
    const history = await a.fit(x, y, { epochs: 3, batchSize: 5, shuffle: false, optimizer: sgd({ learningRate: 0.1 }), onBatchEnd: () => batches++, shouldStop: () => batches === 7 });
    expect(batches).toBe(7);
    expect(history.stopped).toBe(true);
    expect(history.epochs).toHaveLength(1); // epoch 1 finished (5 batches), epoch 2 stopped after 2
    const b = make();
    const opt = sgd({ learningRate: 0.1 });
    const starts = [0, 5, 10, 15, 20, 0, 5];
    for (const s of starts) b.trainStep(x.slice(s, s + 5), y.slice(s, s + 5), opt);
    expect(bits(a)).toBe(bits(b));
  });

  it("the history's loss is the mean cost over all samples (not the mean of the batches' means)", async () => {
    // η so small that the weights do not move: every batch sees the initial network, whose cost
    // over the whole set evaluate() measures on its own
    const net = make();
    const expected = net.evaluate(x, y);
    const history = await net.fit(x, y, { epochs: 1, batchSize: 5, optimizer: sgd({ learningRate: 1e-30 }) });
    expect(history.epochs[0]!.loss).toBeCloseTo(expected.loss, 6);
    expect(history.epochs[0]!.accuracy).toBeCloseTo(expected.accuracy, 12);
    // the mean of the five batch means would differ: the last batch (3 samples) would weigh as much as a full one
    const means: number[] = [];
    await make().fit(x, y, { epochs: 1, batchSize: 5, shuffle: false, optimizer: sgd({ learningRate: 1e-30 }), onBatchEnd: (l) => means.push(l.loss) });
    const unweighted = means.reduce((s, v) => s + v, 0) / means.length;
    expect(Math.abs(unweighted - expected.loss)).toBeGreaterThan(1e-6);
  });
});
