import type { ActivationId } from '../activations/index.js';
import { OptionError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint, saveModel } from '../io/node-files.js';
import type { JsonObject, ModelInfoInput } from '../io/model-file.js';
import type { LossId } from '../losses/index.js';
import type { DenseSpec } from '../nn/dense.js';
import type { InitId } from '../nn/init.js';
import { Network } from '../network.js';
import { optimizer as optimizerById, type Optimizer, type OptimizerId } from '../optimizers/index.js';
import type { PreprocessingKind } from '../data/preprocess.js';
import { prepareForTraining, type DataFlags } from './data.js';
import type { BatchLogs } from '../train/fit.js';
import { createProgress } from './progress.js';
import type { Output } from './output.js';

export interface TrainFlags extends DataFlags {
  layers: number[];
  activation: ActivationId;
  outputActivation?: ActivationId;
  loss?: LossId;
  init: InitId;
  optimizer: OptimizerId;
  lr?: number;
  momentum?: number;
  epochs: number;
  batchSize: number;
  validation: number;
  preprocess: PreprocessingKind | 'auto';
  seed: number;
  out: string;
  checkpointEvery?: number;
  checkpoint?: string;
  resume?: string;
}

/** The run's settings that a checkpoint keeps, so that --resume continues the same run. */
type RunConfig = Pick<TrainFlags, 'data' | 'batchSize' | 'validation' | 'preprocess' | 'seed' | 'epochs'> & Partial<Pick<TrainFlags, 'dataDir' | 'label' | 'task' | 'limit'>>;

export async function train(flags: TrainFlags, io: Output, explicit: (name: keyof TrainFlags) => boolean): Promise<number> {
  const resumed = flags.resume ? await loadCheckpoint(flags.resume, { backend: flags.backend, threads: flags.threads }) : null;
  if (resumed) Object.assign(flags, restoredConfig(resumed.extra, explicit));

  const data = prepareForTraining(flags, flags.preprocess, flags.validation, flags.seed);
  const { train: trainSet, validation, test } = data;
  const outputs = trainSet.y.cols;

  let net: Network;
  let opt: Optimizer;
  let initialEpoch = 0;
  let fitSeed = flags.seed;
  if (resumed) {
    net = resumed.network;
    opt = resumed.optimizer;
    initialEpoch = resumed.epoch;
    fitSeed = resumed.fitSeed;
    if (net.inputs !== trainSet.x.cols || net.outputs !== outputs) {
      throw new OptionError(`checkpoint ${flags.resume} is a ${net.inputs}→${net.outputs} network but the data has ${trainSet.x.cols} features and ${outputs} outputs`);
    }
    if (initialEpoch >= flags.epochs) {
      throw new OptionError(`checkpoint ${flags.resume} has already trained ${initialEpoch} epochs; ask for more with --epochs (now ${flags.epochs})`);
    }
    io.info(`resuming ${flags.resume} at epoch ${initialEpoch + 1} of ${flags.epochs}`);
  } else {
    const loss = flags.loss ?? (trainSet.task === 'regression' ? 'mse' : 'cross-entropy');
    const specs: DenseSpec[] = [
      ...flags.layers.map((units): DenseSpec => ({ units, activation: flags.activation })),
      { units: outputs, activation: flags.outputActivation ?? outputActivationFor(loss, trainSet.task) },
    ];
    net = new Network(trainSet.x.cols, specs, { loss, seed: flags.seed, init: flags.init, backend: flags.backend, threads: flags.threads });
    opt = optimizerById(flags.optimizer, { learningRate: flags.lr, momentum: flags.momentum });
  }

  const architecture = [net.inputs, ...net.layers.map((l) => l.units)].join('-');
  const threads = (net.kernels as { threads?: number }).threads;
  io.info(
    `training ${architecture} (${net.layers.map((l) => l.act.id).join(', ')}; ${net.cost.id}; ${opt.id} η=${opt.learningRate}) on ${trainSet.name} ` +
      `with the ${net.kernels.name} kernels${threads && threads > 1 ? ` (${threads} threads)` : ''}: ` +
      `${trainSet.x.rows} samples${validation ? `, ${validation.x.rows} for validation` : ''}, batch ${flags.batchSize}`,
  );

  const f = flags;
  const config: RunConfig = { data: f.data, dataDir: f.dataDir, label: f.label, task: f.task, limit: f.limit, batchSize: f.batchSize, validation: f.validation, preprocess: f.preprocess, seed: f.seed, epochs: f.epochs };
  const info: ModelInfoInput = {
    preprocessing: data.preprocessing as unknown as JsonObject,
    task: trainSet.task,
    extra: { data: flags.data, architecture },
  };
  if (trainSet.classNames) info.classNames = trainSet.classNames;
  const checkpointPath = flags.checkpoint ?? flags.out.replace(/\.safetensors$/, '') + '.ckpt.safetensors';

  // SIGINT (Ctrl-C) and SIGTERM (kill, a scheduler's timeout) both stop after the current batch
  // and save; the same signal again quits at once without saving.
  let interrupted: NodeJS.Signals | undefined;
  let last: BatchLogs | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = signal;
    const at = last ? ` in epoch ${last.epoch + 1} at batch ${last.batch + 1} of ${last.batches}` : '';
    io.info(`\ninterrupted (${signal})${at}: stopping after this batch and saving (${signal} again to quit without saving)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgress(process.stderr, (line) => io.info(line));
  let stopped = false;
  try {
    const history = await net.fit(trainSet.x, trainSet.y, {
      epochs: flags.epochs,
      initialEpoch,
      batchSize: flags.batchSize,
      optimizer: opt,
      seed: fitSeed,
      ...(validation ? { validationData: [validation.x, validation.y] as const } : {}),
      onEpochBegin: (epoch, batches) => progress.epochStart(epoch, flags.epochs, batches),
      onBatchEnd: (logs) => {
        last = logs;
        progress.batch(logs);
      },
      onEpochEnd: async (logs) => {
        progress.epochEnd(logs, flags.epochs);
        if (flags.checkpointEvery && (logs.epoch + 1) % flags.checkpointEvery === 0) {
          await saveCheckpoint(checkpointPath, net, info, { optimizer: opt, epoch: logs.epoch + 1, fitSeed, extra: config as unknown as JsonObject });
          io.info(`checkpoint: ${checkpointPath} (epoch ${logs.epoch + 1})`);
        }
      },
      shouldStop: () => interrupted !== undefined,
    });
    stopped = history.stopped;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (stopped && last) io.info(`training stopped by ${interrupted} after batch ${last.batch + 1} of ${last.batches} of epoch ${last.epoch + 1}`);

  if (test) {
    const t = net.evaluate(test.x, test.y);
    io.result(`test: loss ${t.loss.toFixed(4)}  accuracy ${t.accuracy.toFixed(4)}  (${test.x.rows} samples)`);
  }
  await saveModel(flags.out, net, info);
  const parameters = net.parameters().reduce((s, p) => s + p.value.length, 0);
  io.result(`saved ${flags.out} (${parameters.toLocaleString('en-US')} parameters)`);
  return stopped ? 130 : 0;
}

/** The output layer that suits each cost: softmax for cross-entropy, sigmoid for BCE and for MSE classification (the textbook), linear for regression. */
function outputActivationFor(loss: LossId, task: string): ActivationId {
  if (loss === 'cross-entropy') return 'softmax';
  if (loss === 'binary-cross-entropy') return 'sigmoid';
  return task === 'regression' ? 'linear' : 'sigmoid';
}

/** On --resume the checkpoint's run settings apply, except those given again on the command line. */
function restoredConfig(extra: JsonObject | undefined, explicit: (name: keyof TrainFlags) => boolean): Partial<TrainFlags> {
  const saved = (extra ?? {}) as Partial<RunConfig>;
  const out: Partial<TrainFlags> = {};
  for (const key of ['data', 'dataDir', 'label', 'task', 'limit', 'batchSize', 'validation', 'preprocess', 'seed'] as const) {
    if (saved[key] !== undefined && !explicit(key)) (out as Record<string, unknown>)[key] = saved[key];
  }
  if (!explicit('epochs') && saved.epochs !== undefined) out.epochs = saved.epochs;
  return out;
}
