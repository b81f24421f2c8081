import { BatchOrder } from './batches.js';
import { loadBenchData } from './data.js';
import { testMetrics } from './evaluate.js';
import { startLoad } from './contention.js';
import { InterferenceMeter } from './interference.js';
import { measureLatency, measureRate } from './measure.js';
import type { ChildResult, Job, NetName, TrainResult } from './protocol.js';
import { trainerFactory } from './runners/index.js';
import { initialWeights } from './weights.js';

const MiB = 1024 * 1024;

/**
 * One (net, library) measurement, in this order:
 * 1. training throughput: warm-up, then the median of timed segments (full batches, shuffled);
 * 2. back to the initial weights, then the accuracy run: `epochs` full epochs (each at its
 *    scheduled η for a net with a schedule), timed as a whole;
 * 3. inference throughput on the test set, batches of `inferBatch`, warm-up excluded;
 * 4. batch-1 latency: single-sample predict calls over the test set, the median call;
 * 5. test accuracy of the trained weights on the whole test split; peak RSS of this process.
 * An inference engine (`trainer.inferenceOnly`) skips 1; its accuracy run trains the weights it then runs.
 * A trainOnly job (the sweep) stops after 1. With job.load (--contended), a busy process runs beside steps 1 to 4.
 */
export async function runJob(job: Job, log: (message: string) => void): Promise<ChildResult | TrainResult> {
  const spec = job.spec;
  const create = await trainerFactory(job.library as Exclude<Job['library'], 'pytorch'>);
  const storage = create.prepare?.(job);
  const data = loadBenchData(spec, { train: job.trainSamples, test: job.testSamples }, storage?.alloc);
  const rssAfterDataMB = process.memoryUsage().rss / MiB;
  const trainer = await create({
    spec,
    data,
    init: initialWeights(spec, job.seed),
    job,
    prepared: storage?.prepared,
  });
  const load = job.load ? await startLoad(job.load) : null;
  const meter = new InterferenceMeter(load);
  const inferBatch = Math.min(job.inferBatch, data.test.count);
  const test = data.test;
  let train = null;
  let infer, latency, epochSeconds;
  try {
    if (!trainer.inferenceOnly) {
      const warmupBatches = new BatchOrder(data.train.count, spec.batchSize, job.seed);
      train = await measureRate((steps) => trainer.train(warmupBatches, steps, true), spec.batchSize, job.timing, meter);
      log(`train ${Math.round(train.median)} samples/s (segments ${Math.round(train.min)}–${Math.round(train.max)})`);
      if (job.trainOnly) {
        trainer.dispose();
        return {
          net: job.net,
          library: job.library,
          backend: trainer.backend,
          threads: trainer.threads,
          trainSamplesPerSec: Math.round(train.median),
          peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          train,
          trainSamples: data.train.count,
          rssAfterDataMB: Math.round(rssAfterDataMB),
          interference: meter.result(),
          loop: trainer.loop,
          ...(trainer.versions ? { versions: trainer.versions } : {}),
        };
      }
      await trainer.reset();
    }
    const batches = new BatchOrder(data.train.count, spec.batchSize, job.seed);
    const started = performance.now();
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      trainer.startEpoch?.(epoch, job.epochs);
      await trainer.train(batches, batches.batchesPerEpoch, false);
    }
    epochSeconds = (performance.now() - started) / 1000;
    log(`${job.epochs} epoch(s) in ${epochSeconds.toFixed(1)} s`);

    let next = 0;
    infer = await measureRate(
      async (calls) => {
        for (let c = 0; c < calls; c++) {
          // Full batches only, cycling through the test set.
          if (next + inferBatch > test.count) next = 0;
          await trainer.predict(test.x.subarray(next * data.inputs, (next + inferBatch) * data.inputs), inferBatch);
          next += inferBatch;
        }
      },
      inferBatch,
      job.timing,
      meter,
    );
    latency = await measureLatency((i) => {
      const s = i % test.count;
      return trainer.predict(test.x.subarray(s * data.inputs, (s + 1) * data.inputs), 1);
    }, job.timing, meter);
  } finally {
    load?.stop();
  }
  const testAccuracy = (await testMetrics(trainer, test, spec, inferBatch)).accuracy;
  log(`infer ${Math.round(infer.median)} samples/s, batch-1 latency ${latency.median.toFixed(1)} µs, test accuracy ${testAccuracy.toFixed(4)}`);
  trainer.dispose();

  return {
    net: job.net as NetName, // (only the sweep's nets are not NetNames, and its jobs are trainOnly)
    library: job.library,
    backend: trainer.backend,
    threads: trainer.threads,
    epochs: job.epochs,
    trainSamplesPerSec: train && Math.round(train.median),
    inferSamplesPerSec: Math.round(infer.median),
    latencyMicros: Math.round(latency.median * 10) / 10,
    testAccuracy,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    train,
    infer,
    latency,
    epochSamplesPerSec: trainer.inferenceOnly ? null : Math.round((job.epochs * data.train.count) / epochSeconds),
    trainSamples: data.train.count,
    testSamples: test.count,
    rssAfterDataMB: Math.round(rssAfterDataMB),
    interference: meter.result(),
    contended: load !== null,
    loop: trainer.loop,
    ...(trainer.versions ? { versions: trainer.versions } : {}),
  };
}
