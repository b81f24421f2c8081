import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { network, type ActivationId, type Matrix, type Network } from '../../src/index.js';
import { ONNX_IR_VERSION, ONNX_OPSET, toOnnx } from '../../src/io/onnx.js';
import { ARCHITECTURES, makeNetwork, randomBatch } from './helpers.js';

/** Runs the exported model in onnxruntime on a batch and returns its output (rows are samples). */
async function runOnnx(net: Network, x: Matrix): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(toOnnx(net));
  try {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const input = new ort.Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]);
    const { output } = await session.run({ input });
    return { data: output!.data as Float32Array, dims: output!.dims };
  } finally {
    await session.release();
  }
}

async function expectSamePredictions(net: Network, rows: number): Promise<void> {
  const x = randomBatch(rows, net.inputs, rows);
  const expected = net.predict(x);
  const { data, dims } = await runOnnx(net, x);
  expect(dims).toEqual([rows, net.outputs]);
  let worst = 0;
  for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i]! - expected.data[i]!));
  expect(worst).toBeLessThan(1e-5);
}

const HIDDEN: ActivationId[] = ['sigmoid', 'relu', 'tanh', 'leaky-relu', 'linear'];

describe('ONNX export runs in onnxruntime with the same predictions', () => {
  for (const act of [...HIDDEN, 'softmax' as const]) {
    it(`${act} output layer after a ${act === 'softmax' ? 'tanh' : act} hidden layer`, async () => {
      const hidden = act === 'softmax' ? 'tanh' : act;
      const net = network([4, { units: 9, activation: hidden, alpha: 0.3 }, { units: 3, activation: act, alpha: 0.05 }], { seed: 4, init: 'normal' });
      await expectSamePredictions(net, 17);
    });
  }

  for (const arch of ARCHITECTURES) {
    it(`${arch.label}`, async () => {
      await expectSamePredictions(makeNetwork(arch), 8);
    });
  }

  it('has a symbolic batch dimension (batches of 1 and 100 through the same bytes)', async () => {
    const net = makeNetwork(ARCHITECTURES[1]!);
    await expectSamePredictions(net, 1);
    await expectSamePredictions(net, 100);
  });
});

describe('ONNX bytes', () => {
  it('start with ir_version 7 (field 1, varint) and import opset 13 of the default domain', () => {
    const bytes = toOnnx(makeNetwork(ARCHITECTURES[0]!));
    expect(ONNX_IR_VERSION).toBe(7);
    expect(ONNX_OPSET).toBe(13);
    // tag (1 << 3 | 0) = 0x08, then varint 7
    expect(Array.from(bytes.subarray(0, 2))).toEqual([0x08, 0x07]);
    // opset_import: field 8, length-delimited → tag 0x42, then a 4-byte message {domain "" (0x0a 0x00), version 13 (0x10 0x0d)}
    const at = bytes.findIndex((b, i) => b === 0x42 && bytes[i + 1] === 0x04);
    expect(at).toBeGreaterThan(0);
    expect(Array.from(bytes.subarray(at, at + 6))).toEqual([0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d]);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.constructor).toBe(Uint8Array);
  });

  it('store metadata_props as StringStringEntryProto (field 14) and still load in onnxruntime', async () => {
    const net = makeNetwork(ARCHITECTURES[0]!);
    const bytes = toOnnx(net, { metadata: { classNames: '["no","yes"]' } });
    // tag (14 << 3 | 2) = 0x72, length 26 = {key (0x0a, 10, "classNames"), value (0x12, 12, '["no","yes"]')}
    const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
    const entry = [0x72, 26, 0x0a, 10, ...ascii('classNames'), 0x12, 12, ...ascii('["no","yes"]')];
    const hex = (a: ArrayLike<number>) => Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
    expect(hex(bytes)).toContain(hex(entry));
    const session = await ort.InferenceSession.create(bytes);
    const { output } = await session.run({ input: new ort.Tensor('float32', new Float32Array([1, 2]), [1, 2]) });
    expect(output!.dims).toEqual([1, 1]);
    await session.release();
  });
});
