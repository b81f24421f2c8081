import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { toOnnx } from '../../src/io/onnx.js';
import { createBackpropTrainer } from './backprop.js';
import type { CreateTrainer } from './types.js';

/**
 * onnxruntime-node (native, CPU execution provider), the engine a Node user would pick to serve a
 * trained model: inference only. The net is backprop's, exported with `toOnnx` (what `backprop
 * export --format onnx` writes) and loaded from those bytes with `InferenceSession.create`;
 * `threads` 1 sets intra-op (and inter-op) threads to 1, otherwise onnxruntime's default (one per
 * core). Each predict is one `session.run` on a tensor over the caller's floats, its output read
 * back. For the accuracy run the weights are trained by backprop (wasm, one thread) and exported
 * again, so the test accuracy checks onnxruntime's outputs against backprop's.
 */
export const createOnnxTrainer: CreateTrainer = async (ctx) => {
  const { data, job } = ctx;
  const inner = await createBackpropTrainer({ ...ctx, job: { ...job, backend: 'wasm', threads: 1 } });
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    ...(job.threads === 1 ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : {}),
  };
  let session: ort.InferenceSession | null = null;
  /** The session of the current weights (exported again after they changed). */
  const current = async (): Promise<ort.InferenceSession> => (session ??= await ort.InferenceSession.create(toOnnx(inner.net), options));
  const stale = async () => {
    await session?.release();
    session = null;
  };
  const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  return {
    backend: 'cpu',
    threads: job.threads,
    inferenceOnly: true,
    loop: `ort.InferenceSession.create(toOnnx(net), {executionProviders: ['cpu']${job.threads === 1 ? ', intraOpNumThreads: 1' : ''}}), then per batch session.run({input: new ort.Tensor('float32', x, [rows, inputs])})`,
    versions: { 'onnxruntime-node': version },
    async train(batches, steps, fullOnly) {
      await stale();
      await inner.train(batches, steps, fullOnly);
    },
    ...(inner.startEpoch && { startEpoch: inner.startEpoch }),
    async predict(x, rows) {
      const s = await current();
      const out = await s.run({ input: new ort.Tensor('float32', x, [rows, data.inputs]) });
      return out.output!.data as Float32Array;
    },
    async reset() {
      await stale();
      await inner.reset();
    },
    dispose() {
      void session?.release();
      inner.dispose();
    },
  };
};
