import { describe, expect, it } from 'vitest';
import { adam, DataError, FormatError, momentum, network, sgd, ShapeError, type Network, type Optimizer } from '../../src/index.js';
import { checkpointFromBytes, checkpointToBytes, MAX_LAYERS, modelFromBytes, modelToBytes, type ModelInfoInput } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { ARCHITECTURES, bits, makeNetwork, randomBatch, rewrite } from './helpers.js';

/** Information of a classifier: a standardisation of each input, a name per class. */
function infoFor(net: Network): ModelInfoInput {
  return {
    preprocessing: { kind: 'standardize', mean: Array.from({ length: net.inputs }, (_, j) => 0.5 - j), std: Array.from({ length: net.inputs }, (_, j) => 2 + j / 4) },
    classNames: net.outputs === 1 ? ['no', 'yes'] : Array.from({ length: net.outputs }, (_, c) => `class ${c}`),
    task: 'classification',
    createdAt: '2024-05-01T12:00:00.000Z',
    extra: { epochs: 10, note: 'ünïcødé' },
  };
}

function expectFormatError(fn: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FormatError);
  expect((error as Error).message).toMatch(pattern);
}

describe('model file round trip', () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch.label}: same architecture, weights and predictions bit for bit`, () => {
      const net = makeNetwork(arch);
      const { network: back, info } = modelFromBytes(modelToBytes(net, infoFor(net)), 'model.safetensors');
      expect(back.inputs).toBe(net.inputs);
      expect(back.specs).toEqual(net.specs);
      expect(back.cost.id).toBe(net.cost.id);
      expect(back.dtype).toBe(net.dtype);
      expect(back.seed).toBe(net.seed);
      back.layers.forEach((l, i) => {
        expect(bits(l.W)).toEqual(bits(net.layers[i]!.W));
        expect(bits(l.b)).toEqual(bits(net.layers[i]!.b));
      });
      const x = randomBatch(33, net.inputs);
      expect(bits(back.predict(x).data)).toEqual(bits(net.predict(x).data));
      expect(info).toEqual({
        inputs: net.inputs,
        layers: net.specs,
        loss: net.cost.id,
        dtype: net.dtype,
        seed: net.seed,
        ...infoFor(net),
      });
    });
  }

  it('stores float64 networks as F64 and float32 ones as F32, shaped [units, inputs] and [units]', () => {
    const f32 = decodeSafetensors(modelToBytes(makeNetwork(ARCHITECTURES[0]!)));
    expect(f32.tensors['layers.0.weight']).toMatchObject({ dtype: 'F32', shape: [4, 2] });
    expect(f32.tensors['layers.0.bias']).toMatchObject({ dtype: 'F32', shape: [4] });
    expect(f32.tensors['layers.1.weight']).toMatchObject({ dtype: 'F32', shape: [1, 4] });
    expect(Object.keys(f32.tensors)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    expect(f32.metadata['format']).toBe('backprop');
    expect(f32.metadata['format_version']).toBe('1');
    const f64 = decodeSafetensors(modelToBytes(makeNetwork(ARCHITECTURES[4]!)));
    expect(f64.tensors['layers.2.weight']).toMatchObject({ dtype: 'F64', shape: [2, 4] });
  });

  it('is deterministic and defaults the optional information', () => {
    const net = makeNetwork(ARCHITECTURES[1]!);
    expect(modelToBytes(net, infoFor(net))).toEqual(modelToBytes(net, infoFor(net)));
    const { info } = modelFromBytes(modelToBytes(net));
    expect(info.preprocessing).toBeNull();
    expect(info.classNames).toBeUndefined();
    expect(Date.parse(info.createdAt)).not.toBeNaN();
  });

  it('keeps a trained network exact', async () => {
    const net = network([2, { units: 6, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], { seed: 3, loss: 'binary-cross-entropy' });
    const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
    await net.fit(x, [0, 1, 1, 0], { epochs: 20, batchSize: 2, optimizer: 'adam', learningRate: 0.05 });
    const back = modelFromBytes(modelToBytes(net)).network;
    expect(bits(back.predict(x).data)).toEqual(bits(net.predict(x).data));
  });
});

describe('model file errors', () => {
  const net = makeNetwork(ARCHITECTURES[1]!);
  const good = modelToBytes(net, infoFor(net));

  it('a foreign safetensors file is named as such', () => {
    const foreign = encodeSafetensors({ 'embed.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) } }, { format: 'pt' });
    expectFormatError(() => modelFromBytes(foreign, 'bert.safetensors'), /^bert\.safetensors is a safetensors file without backprop metadata \(__metadata__\.format is "pt".*"embed\.weight"/);
    const bare = encodeSafetensors({}, {});
    expectFormatError(() => modelFromBytes(bare, 'empty.safetensors'), /empty\.safetensors is a safetensors file without backprop metadata \(no __metadata__\.format/);
  });

  it('a wrong format_version', () => {
    expectFormatError(() => modelFromBytes(rewrite(good, (_, m) => (m['format_version'] = '2')), 'm.st'), /m\.st is a backprop model of format_version "2"; .* reads format_version "1" \(.*newer/);
    expectFormatError(() => modelFromBytes(rewrite(good, (_, m) => delete m['format_version']), 'm.st'), /format_version null/);
  });

  it('bytes that are not safetensors at all', () => {
    expectFormatError(() => modelFromBytes(new TextEncoder().encode('{"weights": [1, 2, 3]}'), 'model.json'), /^model\.json is not a valid safetensors file/);
  });

  it('every truncation of a model file', () => {
    for (let cut = 0; cut < good.length; cut += 37) {
      expectFormatError(() => modelFromBytes(good.slice(0, cut), 'cut.st'), /cut\.st/);
    }
    expectFormatError(() => modelFromBytes(good.slice(0, good.length - 1), 'cut.st'), /truncated/);
  });

  it('corrupt header bytes', () => {
    const bad = good.slice();
    bad[8] = 0x5b; // '{' → '['
    expectFormatError(() => modelFromBytes(bad, 'x'), /not UTF-8 JSON/);
  });

  it('architecture metadata that is missing, not JSON, or invalid', () => {
    expectFormatError(() => modelFromBytes(rewrite(good, (_, m) => delete m['backprop'])), /"backprop" metadata \(architecture\) is missing/);
    expectFormatError(() => modelFromBytes(rewrite(good, (_, m) => (m['backprop'] = '{oops'))), /"backprop" metadata is not valid JSON/);
    const edit = (f: (o: Record<string, unknown>) => void) =>
      rewrite(good, (_, m) => {
        const o = JSON.parse(m['backprop']!) as Record<string, unknown>;
        f(o);
        m['backprop'] = JSON.stringify(o);
      });
    expectFormatError(() => modelFromBytes(edit((o) => ((o['layers'] as { activation: string }[])[0]!.activation = 'mish'))), /layer 1 has activation "mish"; valid: sigmoid, relu/);
    expectFormatError(() => modelFromBytes(edit((o) => (o['inputs'] = 0))), /"inputs", an integer ≥ 1/);
    expectFormatError(() => modelFromBytes(edit((o) => (o['loss'] = 'hinge'))), /loss "hinge"/);
    expectFormatError(() => modelFromBytes(edit((o) => (o['dtype'] = 'float16'))), /dtype "float16"/);
    expectFormatError(() => modelFromBytes(edit((o) => (o['preprocessing'] = [1]))), /"preprocessing"/);
    expectFormatError(() => modelFromBytes(edit((o) => (o['classNames'] = [1, 2]))), /"classNames"/);
    // valid fields, impossible network: cross-entropy needs a softmax output
    expectFormatError(() => modelFromBytes(edit((o) => ((o['layers'] as { activation: string }[])[2]!.activation = 'sigmoid'))), /cannot build the network .*softmax/);
  });

  it('tensors that disagree with the architecture', () => {
    expectFormatError(() => modelFromBytes(rewrite(good, (t) => delete t['layers.1.bias']), 'm'), /m: tensor "layers\.1\.bias" is missing \(layer 2 of 3\)/);
    expectFormatError(
      () => modelFromBytes(rewrite(good, (t) => (t['layers.0.weight'] = { dtype: 'F32', shape: [5, 8], data: new Float32Array(40) }))),
      /"layers\.0\.weight" has shape \[5, 8\] but layer 1 \(5 inputs → 8 units\) needs \[8, 5\]/,
    );
    expectFormatError(
      () => modelFromBytes(rewrite(good, (t) => (t['layers.0.bias'] = { dtype: 'F64', shape: [8], data: new Float64Array(8) }))),
      /"layers\.0\.bias" is F64 but the model's dtype float32 needs F32/,
    );
    expectFormatError(
      () => modelFromBytes(rewrite(good, (t) => (t['layers.3.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) }))),
      /unexpected tensor "layers\.3\.weight"/,
    );
  });
});

describe('checkpoints resume training exactly', () => {
  const x = randomBatch(40, 3, 11);
  const y = Array.from({ length: 40 }, (_, i) => (x.data[i * 3]! + x.data[i * 3 + 1]! * x.data[i * 3 + 2]! > 0 ? 1 : 0));
  const make = () => network([3, { units: 6, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { seed: 5, loss: 'cross-entropy' });
  const optimizers: [string, () => Optimizer][] = [
    ['sgd', () => sgd({ learningRate: 0.1 })],
    ['momentum', () => momentum({ learningRate: 0.05, momentum: 0.8 })],
    ['adam', () => adam({ learningRate: 0.01, beta1: 0.85, beta2: 0.99, epsilon: 1e-7 })],
  ];

  for (const [label, makeOptimizer] of optimizers) {
    it(`${label}: 2 epochs + checkpoint + 2 resumed epochs = 4 uninterrupted epochs, bit for bit`, async () => {
      const fitSeed = 1234;
      const options = { epochs: 4, batchSize: 8, seed: fitSeed };
      // uninterrupted run, saving a checkpoint after epoch index 1 (2 epochs done)
      const full = make();
      const opt = makeOptimizer();
      let checkpoint: Uint8Array | undefined;
      await full.fit(x, y, {
        ...options,
        optimizer: opt,
        onEpochEnd: ({ epoch }) => {
          if (epoch === 1) checkpoint = checkpointToBytes(full, infoFor(full), { optimizer: opt, epoch: epoch + 1, fitSeed, extra: { batchSize: 8 } });
        },
      });
      // resumed run
      const resumed = checkpointFromBytes(checkpoint!, 'ckpt.safetensors');
      expect(resumed.epoch).toBe(2);
      expect(resumed.fitSeed).toBe(fitSeed);
      expect(resumed.extra).toEqual({ batchSize: 8 });
      expect(resumed.optimizer.id).toBe(label);
      expect(resumed.optimizerConfig.t).toBe(10); // 2 epochs × ⌈40/8⌉ batches
      await resumed.network.fit(x, y, { ...options, seed: resumed.fitSeed, optimizer: resumed.optimizer, initialEpoch: resumed.epoch });
      resumed.network.layers.forEach((l, i) => {
        expect(bits(l.W)).toEqual(bits(full.layers[i]!.W));
        expect(bits(l.b)).toEqual(bits(full.layers[i]!.b));
      });
      expect(resumed.optimizer.state().t).toBe(opt.state().t);
    });
  }

  it('stores hyper-parameters and one tensor per slot, shaped like its parameter', async () => {
    const net = make();
    const opt = adam({ learningRate: 0.02, beta1: 0.8 });
    await net.fit(x, y, { epochs: 1, batchSize: 40, optimizer: opt });
    const bytes = checkpointToBytes(net, {}, { optimizer: opt, epoch: 1, fitSeed: net.seed });
    const file = decodeSafetensors(bytes);
    expect(JSON.parse(file.metadata['checkpoint']!)).toEqual({
      optimizer: { id: 'adam', t: 1, learningRate: 0.02, beta1: 0.8, beta2: 0.999, epsilon: 1e-8 },
      epoch: 1,
      fitSeed: net.seed,
    });
    expect(file.tensors['optimizer.layers.0.weight.m']).toMatchObject({ dtype: 'F32', shape: [6, 3] });
    expect(file.tensors['optimizer.layers.1.bias.v']).toMatchObject({ dtype: 'F32', shape: [2] });
    expect(Object.keys(file.tensors).filter((k) => k.startsWith('optimizer.'))).toHaveLength(8);
    // a checkpoint is also a model
    expect(bits(modelFromBytes(bytes).network.predict(x).data)).toEqual(bits(net.predict(x).data));
  });

  it('works for float64 networks (F64 slots)', async () => {
    const net = network([3, { units: 4, activation: 'relu' }, { units: 1, activation: 'linear' }], { seed: 2, dtype: 'float64' });
    const opt = momentum({ learningRate: 0.01 });
    await net.fit(x, Array.from(y), { epochs: 1, batchSize: 10, optimizer: opt });
    const back = checkpointFromBytes(checkpointToBytes(net, {}, { optimizer: opt, epoch: 1, fitSeed: 9 }));
    expect(back.network.dtype).toBe('float64');
    const slot = back.optimizer.state().slots['layers.0.weight.v']!;
    expect(slot).toBeInstanceOf(Float64Array);
    expect(bits(slot)).toEqual(bits(opt.state().slots['layers.0.weight.v']!));
  });

  it('rejects plain models, bad optimizer metadata and bad slots', async () => {
    const net = make();
    const opt = adam();
    await net.fit(x, y, { epochs: 1, batchSize: 40, optimizer: opt });
    const good = checkpointToBytes(net, {}, { optimizer: opt, epoch: 1, fitSeed: 1 });
    expectFormatError(() => checkpointFromBytes(modelToBytes(net), 'm.st'), /m\.st is a backprop model but not a checkpoint/);
    expectFormatError(() => checkpointFromBytes(rewrite(good, (t) => delete t['optimizer.layers.1.weight.v'])), /"optimizer\.layers\.1\.weight\.v" is missing/);
    expectFormatError(
      () => checkpointFromBytes(rewrite(good, (t) => (t['optimizer.layers.0.bias.m'] = { dtype: 'F32', shape: [5], data: new Float32Array(5) }))),
      /"optimizer\.layers\.0\.bias\.m" is F32 \[5\], expected F32 \[6\]/,
    );
    expectFormatError(
      () => checkpointFromBytes(rewrite(good, (t) => (t['optimizer.layers.0.bias.s'] = { dtype: 'F32', shape: [6], data: new Float32Array(6) }))),
      /not a slot of a adam optimizer .*slots: m, v/,
    );
    const editMeta = (f: (c: { optimizer: Record<string, unknown> } & Record<string, unknown>) => void) =>
      rewrite(good, (_, m) => {
        const c = JSON.parse(m['checkpoint']!);
        f(c);
        m['checkpoint'] = JSON.stringify(c);
      });
    expectFormatError(() => checkpointFromBytes(editMeta((c) => (c.optimizer['id'] = 'adagrad'))), /optimizer id "adagrad"; valid: sgd, momentum, adam, rmsprop/);
    expectFormatError(() => checkpointFromBytes(editMeta((c) => (c.optimizer['beta1'] = 1.5))), /invalid optimizer: beta1 must be in \[0, 1\)/);
    expectFormatError(() => checkpointFromBytes(editMeta((c) => (c['epoch'] = -1))), /"epoch", an integer ≥ 0/);
    expectFormatError(() => checkpointFromBytes(editMeta((c) => delete c['fitSeed'])), /"fitSeed"/);
  });

  it('refuses to checkpoint an optimizer used on another network', async () => {
    const other: Network = network([2, { units: 3 }], { seed: 1 });
    const opt = momentum();
    await other.fit([[1, 2]], [[0, 1, 0]], { optimizer: opt });
    expect(() => checkpointToBytes(make(), {}, { optimizer: opt, epoch: 1, fitSeed: 1 })).toThrow(/does not belong to a parameter of this network/);
  });
});

describe('untrusted model files: checked before anything is built, nothing non-finite', () => {
  const net = network([2, { units: 3, activation: 'relu' }, { units: 2, activation: 'softmax' }], { seed: 4, loss: 'cross-entropy', init: 'normal' });
  const good = modelToBytes(net, infoFor(net));
  const editInfo = (f: (o: Record<string, unknown>) => void) =>
    rewrite(good, (_, m) => {
      const o = JSON.parse(m['backprop']!) as Record<string, unknown>;
      f(o);
      m['backprop'] = JSON.stringify(o);
    });

  it.each([2 ** 31 - 1, 2 ** 53 - 1, 1e9, 1e8])('metadata claiming %d inputs or units in a file under 1 KB: a FormatError from the tensor shapes, nothing allocated', (huge) => {
    for (const bytes of [
      editInfo((o) => Object.assign(o, { inputs: huge, preprocessing: null })),
      editInfo((o) => ((o['layers'] as { units: number }[])[0]!.units = huge)),
    ]) {
      expect(bytes.length).toBeLessThan(1024);
      const before = process.memoryUsage().arrayBuffers;
      expectFormatError(() => modelFromBytes(bytes, 'tiny.safetensors'), /^tiny\.safetensors: tensor "layers\.[01]\.(weight|bias)" has shape \[.*\] but layer [12] \(.* needs \[/);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    }
  });

  it('more layers than MAX_LAYERS is refused by the count alone', () => {
    const layers = Array.from({ length: MAX_LAYERS + 1 }, () => ({ units: 2, activation: 'relu' }));
    expectFormatError(() => modelFromBytes(editInfo((o) => (o['layers'] = layers))), new RegExp(`has ${MAX_LAYERS + 1} layers, more than the ${MAX_LAYERS}`));
  });

  it.each([
    [{ kind: 'standardize', mean: 1, std: 2 }, /"mean", an array of 2 numbers/],
    [{ kind: 'scale', min: [0, 0], max: [1] }, /"max", an array of 2 numbers \(one per feature\), got 1 entries/],
    [{ kind: 'standardize', mean: [0, 'x'], std: [1, 1] }, /"mean"\[1\] is "x"; expected a finite float32 number/],
    [{ kind: 'scale', min: [0, 1e39], max: [1, 2] }, /"min"\[1\] is 1e\+39/],
    [{ kind: 'whiten' }, /unknown preprocessing "whiten"/],
    [{ mean: [0, 0] }, /unknown preprocessing undefined/],
  ])('preprocessing %j is refused on load', (pre, message) => {
    expectFormatError(() => modelFromBytes(editInfo((o) => (o['preprocessing'] = pre)), 'm.st'), message);
    expectFormatError(() => modelFromBytes(editInfo((o) => (o['preprocessing'] = pre)), 'm.st'), /^m\.st: the "backprop" metadata has a "preprocessing" that is not usable/);
  });

  it('class names that do not fit the outputs are refused', () => {
    expectFormatError(() => modelFromBytes(editInfo((o) => (o['classNames'] = ['a']))), /has 1 "classNames" for 2 outputs/);
  });

  it.each([NaN, Infinity, -Infinity])('a weight or bias of %d is refused, naming the tensor and the first bad index', (v) => {
    const weight = rewrite(good, (t) => {
      t['layers.1.weight']!.data[3] = v;
      t['layers.1.weight']!.data[5] = v;
    });
    expectFormatError(() => modelFromBytes(weight, 'w.st'), new RegExp(`^w\\.st: tensor "layers\\.1\\.weight" holds ${v} at index 3 \\(row 1, column 0\\)`));
    const bias = rewrite(good, (t) => (t['layers.0.bias']!.data[2] = v));
    expectFormatError(() => modelFromBytes(bias, 'b.st'), new RegExp(`tensor "layers\\.0\\.bias" holds ${v} at index 2;`));
  });

  it('a checkpoint with non-finite optimizer state is refused', async () => {
    const opt = adam();
    const trained = network([2, { units: 2, activation: 'softmax' }], { seed: 1, loss: 'cross-entropy' });
    await trained.fit([[0, 1], [1, 0]], [0, 1], { epochs: 1, optimizer: opt });
    const ckpt = checkpointToBytes(trained, {}, { optimizer: opt, epoch: 1, fitSeed: 1 });
    const bad = rewrite(ckpt, (t) => (t['optimizer.layers.0.weight.v']!.data[1] = NaN));
    expectFormatError(() => checkpointFromBytes(bad, 'c.st'), /^c\.st: tensor "optimizer\.layers\.0\.weight\.v" holds NaN at index 1 \(row 0, column 1\)/);
  });

  it('saving refuses non-finite weights with a typed error naming the tensor and index', () => {
    const broken = network([2, { units: 2, activation: 'sigmoid' }], { seed: 1 });
    broken.layers[0]!.W[2] = NaN;
    expect(() => modelToBytes(broken)).toThrow(DataError);
    expect(() => modelToBytes(broken)).toThrow(/tensor "layers\.0\.weight" holds NaN at index 2 \(row 1, column 0\)/);
    expect(() => checkpointToBytes(broken, {}, { optimizer: sgd(), epoch: 0, fitSeed: 1 })).toThrow(/tensor "layers\.0\.weight" holds NaN/);
  });

  it('saving refuses information that loading would refuse', () => {
    expect(() => modelToBytes(net, { preprocessing: { kind: 'scale', min: [0], max: [1] } })).toThrow(ShapeError);
    expect(() => modelToBytes(net, { classNames: ['a', 'b', 'c'] })).toThrow(/3 class names for 2 outputs/);
  });
});

describe('checkpoint training state', () => {
  it("early stopping's best weights holding NaN are refused on load, naming the tensor (found by the fuzzer)", async () => {
    const net = network([2, { units: 3, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 2 });
    const opt = adam();
    let bytes: Uint8Array | undefined;
    const x = [[0, 1], [1, 0], [1, 1], [0, 0], [0.5, 0.5], [0.2, 0.9], [0.9, 0.1], [0.3, 0.3]];
    await net.fit(x, [0, 1, 0, 1, 0, 1, 1, 0], {
      epochs: 1,
      batchSize: 4,
      optimizer: opt,
      validationSplit: 0.25,
      earlyStopping: { patience: 3 },
      onEpochEnd: (logs, state) => void (bytes = checkpointToBytes(net, {}, { optimizer: opt, epoch: logs.epoch + 1, fitSeed: 1, state })),
    });
    expect(Object.keys(decodeSafetensors(bytes!).tensors)).toContain('best.layers.1.bias');
    const bad = rewrite(bytes!, (t) => (t['best.layers.1.bias']!.data[1] = Infinity));
    expectFormatError(() => checkpointFromBytes(bad, 'es.st'), /^es\.st: tensor "best\.layers\.1\.bias" holds Infinity at index 1;/);
  });
});
