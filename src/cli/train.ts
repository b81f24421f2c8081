import type { ActivationId } from '../activations/index.js';
import { OptionError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint, saveModel } from '../io/node-files.js';
import { optimizerSettings, resumeOptions, type JsonObject, type ModelInfoInput, type TrainingConfig } from '../io/model-file.js';
import type { LossId } from '../losses/index.js';
import type { DenseSpec } from '../nn/dense.js';
import type { InitId } from '../nn/init.js';
import { createKernelsSync } from '../kernels/index.js';
import { Network, type Evaluation } from '../network.js';
import type { Dataset } from '../data/dataset.js';
import type { ImageBytes } from '../data/mnist-family.js';
import type { History } from '../train/fit.js';
import { optimizer as optimizerById, type Optimizer, type OptimizerId } from '../optimizers/index.js';
import type { PreprocessingKind } from '../data/preprocess.js';
import type { FitOptions } from '../train/fit.js';
import type { EarlyStopping, Monitor, Schedule } from '../train/schedule.js';
import { MONITORS } from './args.js';
import { prepareForTraining, type DataFlags } from './data.js';
import type { BatchLogs } from '../train/fit.js';
import { createProgress } from './progress.js';
import { checkReportPath, classificationParts, writeReport } from './report.js';
import { thousands, type Output } from './output.js';

export interface TrainFlags extends DataFlags {
  layers: number[];
  activation: ActivationId;
  outputActivation?: ActivationId;
  loss?: LossId;
  init: InitId;
  optimizer: OptimizerId;
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  rho?: number;
  weightDecay?: number;
  l1?: number;
  l2?: number;
  dropout?: number[];
  schedule?: Schedule;
  warmup?: number;
  earlyStop?: number;
  monitor?: Monitor;
  clipNorm?: number;
  clipValue?: number;
  epochs: number;
  batchSize: number;
  validation: number;
  preprocess: PreprocessingKind | 'auto';
  seed: number;
  out: string;
  checkpointEvery?: number;
  checkpoint?: string;
  resume?: string;
  report?: string;
  deterministic?: boolean;
}

/** The run's settings that a checkpoint keeps, so that --resume continues the same run. */
type RunConfig = Pick<TrainFlags, 'data' | 'batchSize' | 'validation' | 'preprocess' | 'seed' | 'epochs'> & Partial<Pick<TrainFlags, 'dataDir' | 'label' | 'task' | 'limit'>>;

/**
 * Flags that define the network and how it learns. A checkpoint holds them all (the network, the
 * optimizer and its state, the training record), so with --resume they are refused rather than
 * ignored: applying them would make the resumed run a different run than the one saved.
 */
const RUN_DEFINING: readonly (keyof TrainFlags)[] = [
  'layers', 'activation', 'outputActivation', 'loss', 'init', 'optimizer', 'lr', 'momentum', 'nesterov', 'rho', 'weightDecay',
  'l1', 'l2', 'dropout', 'schedule', 'warmup', 'earlyStop', 'monitor', 'clipNorm', 'clipValue',
];

export async function train(flags: TrainFlags, io: Output, explicit: (name: keyof TrainFlags) => boolean): Promise<number> {
  checkFlags(flags, explicit);
  const resumed = flags.resume ? await loadCheckpoint(flags.resume, { backend: flags.backend, threads: flags.threads, deterministic: flags.deterministic }) : null;
  if (resumed) Object.assign(flags, restoredConfig(resumed.extra, explicit));

  // The kernels first, so that the training set is loaded into their memory: one copy of it.
  const kernels = resumed ? resumed.network.kernels : createKernelsSync({ backend: flags.backend, threads: flags.threads, deterministic: flags.deterministic });
  const data = prepareForTraining(flags, flags.preprocess, flags.validation, flags.seed, (length) => kernels.alloc(length));
  const { train: trainSet, validation, test } = data;
  const outputs = trainSet.y.cols;

  let net: Network;
  let opt: Optimizer;
  let run: FitOptions;
  let training: TrainingConfig;
  if (resumed) {
    net = resumed.network;
    opt = resumed.optimizer;
    run = resumeOptions(resumed);
    // a checkpoint written before training records existed: its optimizer as it is now
    const recorded = resumed.info.training ?? { optimizer: { ...optimizerSettings(opt), learningRate: resumed.state?.baseLearningRate ?? opt.learningRate }, batchSize: flags.batchSize, epochs: flags.epochs };
    training = { ...recorded, batchSize: flags.batchSize, epochs: flags.epochs };
    const initialEpoch = resumed.epoch;
    if (net.inputs !== trainSet.x.cols || net.outputs !== outputs) {
      throw new OptionError(`checkpoint ${flags.resume} is a ${net.inputs}→${net.outputs} network but the data has ${trainSet.x.cols} features and ${outputs} outputs`);
    }
    if (initialEpoch >= flags.epochs) {
      throw new OptionError(`checkpoint ${flags.resume} has already trained ${initialEpoch} epochs; ask for more with --epochs (now ${flags.epochs})`);
    }
    io.info(`resuming ${flags.resume} at epoch ${initialEpoch + 1} of ${flags.epochs}`);
  } else {
    const loss = flags.loss ?? (trainSet.task === 'regression' ? 'mse' : 'cross-entropy');
    const dropout = (i: number) => flags.dropout?.[flags.dropout.length === 1 ? 0 : i] ?? 0;
    const specs: DenseSpec[] = [
      ...flags.layers.map((units, i): DenseSpec => ({ units, activation: flags.activation, ...(dropout(i) ? { dropout: dropout(i) } : {}) })),
      { units: outputs, activation: flags.outputActivation ?? outputActivationFor(loss, trainSet.task) },
    ];
    net = new Network(trainSet.x.cols, specs, { loss, seed: flags.seed, init: flags.init, kernels, l1: flags.l1, l2: flags.l2 });
    opt = optimizerById(flags.optimizer, { learningRate: flags.lr, momentum: flags.momentum, nesterov: flags.nesterov, rho: flags.rho, weightDecay: flags.weightDecay });
    const toolkit = toolkitOptions(flags);
    run = { optimizer: opt, seed: flags.seed, ...toolkit };
    training = { optimizer: optimizerSettings(opt), batchSize: flags.batchSize, epochs: flags.epochs, ...toolkit };
  }
  // a new run's flags were checked by checkFlags; a resumed run's --validation may have changed
  if (resumed && !validation && usesValidation(run)) {
    throw new OptionError(`the run in ${flags.resume} monitors the validation set, but --validation is 0`);
  }

  const architecture = [net.inputs, ...net.layers.map((l) => l.units)].join('-');
  const { threads, fma } = net.kernels as { threads?: number; fma?: boolean };
  const how = [...(threads && threads > 1 ? [`${threads} threads`] : []), ...(fma ? ['FMA'] : [])];
  io.info(
    `training ${architecture} (${net.layers.map((l) => l.act.id + (l.dropout ? ` dropout ${l.dropout}` : '')).join(', ')}; ${net.cost.id}; ${describeTraining(training)}) on ${trainSet.name} ` +
      `with the ${net.kernels.name} kernels${how.length ? ` (${how.join(', ')})` : ''}: ` +
      `${trainSet.x.rows} samples${validation ? `, ${validation.x.rows} for validation` : ''}, batch ${flags.batchSize}`,
  );

  const f = flags;
  const config: RunConfig = { data: f.data, dataDir: f.dataDir, label: f.label, task: f.task, limit: f.limit, batchSize: f.batchSize, validation: f.validation, preprocess: f.preprocess, seed: f.seed, epochs: f.epochs };
  const info: ModelInfoInput = {
    preprocessing: data.preprocessing as unknown as JsonObject,
    task: trainSet.task,
    training,
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
  const fitSeed = run.seed!;
  let history: History;
  try {
    history = await net.fit(trainSet.x, trainSet.y, {
      ...run,
      epochs: flags.epochs,
      batchSize: flags.batchSize,
      ...(validation ? { validationData: [validation.x, validation.y] as const } : {}),
      // fit has set this epoch's η before it begins
      onEpochBegin: (epoch, batches) => progress.epochStart(epoch, flags.epochs, batches, opt.learningRate),
      onBatchEnd: (logs) => {
        last = logs;
        progress.batch(logs);
      },
      onEpochEnd: async (logs, state) => {
        progress.epochEnd(logs, flags.epochs);
        if (flags.checkpointEvery && (logs.epoch + 1) % flags.checkpointEvery === 0) {
          // "{epoch}" in the name keeps every checkpoint instead of the latest (as Keras' ModelCheckpoint)
          const path = checkpointPath.replaceAll('{epoch}', String(logs.epoch + 1));
          await saveCheckpoint(path, net, info, { optimizer: opt, epoch: logs.epoch + 1, fitSeed, state, extra: config as unknown as JsonObject });
          io.info(`checkpoint: ${path} (epoch ${logs.epoch + 1})`);
        }
      },
      shouldStop: () => interrupted !== undefined,
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (history.stopped && last) io.info(`training stopped by ${interrupted} after batch ${last.batch + 1} of ${last.batches} of epoch ${last.epoch + 1}`);
  if (history.stoppedEpoch !== undefined) {
    const e = run.earlyStopping!;
    io.info(
      `early stopping: ${monitorName(e.monitor ?? 'valLoss')} did not improve for ${e.patience} epochs; stopped after epoch ${history.stoppedEpoch + 1}` +
        (history.restoredBest ? `, kept the weights of epoch ${history.bestEpoch! + 1}` : ''),
    );
  }

  const t = test && evaluateTest(net, test);
  if (t) io.result(`test: loss ${t.loss.toFixed(4)}  accuracy ${t.accuracy.toFixed(4)}  (${samplesOf(test!)} samples)`);
  await saveModel(flags.out, net, info);
  const parameters = net.parameters().reduce((s, p) => s + p.value.length, 0);
  io.result(`saved ${flags.out} (${thousands(parameters)} parameters)`);
  if (flags.report) {
    // the classes as the held-out data sees them: the test set, else the validation set, else the training set
    // (a test set held as bytes is scaled whole here: the report's memory is not the run's peak)
    const [shown, split] = test ? ['x' in test ? test : test.slice(0, test.rows), 'test'] : validation ? [validation, 'validation'] : [trainSet, 'training'];
    const classification = shown.task === 'classification';
    await writeReport(flags.report, {
      title: `backprop train: ${flags.data}`,
      facts: [
        ['data', `${flags.data}: ${trainSet.x.rows} training samples${validation ? `, ${validation.x.rows} validation` : ''}${test ? `, ${samplesOf(test)} test` : ''}`],
        ['network', `${architecture} (${net.layers.map((l) => l.act.id + (l.dropout ? ` dropout ${l.dropout}` : '')).join(', ')}), cost ${net.cost.id}, ${thousands(parameters)} parameters`],
        ['training', `${describeTraining(training)}, batch ${flags.batchSize}, ${history.epochs.length} epochs${resumed ? ` (resumed at epoch ${resumed.epoch + 1})` : ''}`],
        ...(t ? [['test', `loss ${t.loss.toFixed(4)}, accuracy ${t.accuracy.toFixed(4)}`] as const] : []),
        ['model', flags.out],
      ],
      history: history.epochs.map((h) => (classification ? h : { ...h, accuracy: undefined })),
      ...(classification ? classificationParts(shown, net.predict(shown.x), split) : {}),
    });
    io.result(`report ${flags.report}`);
  }
  return history.stopped ? 130 : 0;
}

/** Samples of a test set held as bytes scaled at a time (as many as evaluate's own chunks). */
const TEST_CHUNK = 1024;

/**
 * The test set's evaluation. A set held as bytes is scaled a chunk at a time into one buffer in the
 * kernels' memory (where evaluate reads it in place), and the chunks' results combined into the
 * whole set's: C = (1/N) Σ_chunks n·C_chunk, each C_chunk carrying the same penalty.
 */
function evaluateTest(net: Network, test: Dataset | ImageBytes): Evaluation {
  if ('x' in test) return net.evaluate(test.x, test.y);
  const into = net.kernels.alloc(Math.min(TEST_CHUNK, test.rows) * test.cols);
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < test.rows; start += TEST_CHUNK) {
    const n = Math.min(TEST_CHUNK, test.rows - start);
    const chunk = test.slice(start, n, into);
    const e = net.evaluate(chunk.x, chunk.y);
    loss += e.loss * n;
    correct += Math.round(e.accuracy * n);
  }
  return { loss: loss / test.rows, accuracy: correct / test.rows };
}

function samplesOf(test: Dataset | ImageBytes): number {
  return 'x' in test ? test.x.rows : test.rows;
}

/** The output layer that suits each cost: softmax for cross-entropy, sigmoid for BCE and for MSE classification (the textbook), linear for regression. */
function outputActivationFor(loss: LossId, task: string): ActivationId {
  if (loss === 'cross-entropy') return 'softmax';
  if (loss === 'binary-cross-entropy') return 'sigmoid';
  return task === 'regression' ? 'linear' : 'sigmoid';
}

/** Refuses flags that contradict each other or the run being resumed (see RUN_DEFINING): OptionErrors, exit status 2. */
function checkFlags(flags: TrainFlags, explicit: (name: keyof TrainFlags) => boolean): void {
  checkReportPath(flags.report, flags.out, '--out');
  const name = (key: keyof TrainFlags) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
  if (flags.resume) {
    const given = RUN_DEFINING.filter((k) => explicit(k));
    if (given.length) {
      throw new OptionError(
        `--resume continues the run saved in ${flags.resume} with its own settings; ${given.map(name).join(', ')} would change that run: ` +
          'drop them to resume it, or start a new run without --resume',
      );
    }
    return;
  }
  if (flags.dropout) {
    const hidden = flags.layers.length;
    if (hidden === 0) throw new OptionError('--dropout is for hidden layers, and --layers none has none');
    if (flags.dropout.length !== 1 && flags.dropout.length !== hidden) {
      throw new OptionError(`--dropout gives ${flags.dropout.length} rates for ${hidden} hidden layer${hidden === 1 ? '' : 's'}; give one per hidden layer, or one for all`);
    }
  }
  if ((flags.momentum !== undefined || flags.nesterov) && flags.optimizer !== 'momentum') {
    throw new OptionError(`${flags.nesterov ? '--nesterov' : '--momentum'} is for --optimizer momentum (the optimizer is ${flags.optimizer})`);
  }
  if (flags.rho !== undefined && flags.optimizer !== 'rmsprop') throw new OptionError(`--rho is for --optimizer rmsprop (the optimizer is ${flags.optimizer})`);
  if (flags.monitor && flags.earlyStop === undefined && flags.schedule?.kind !== 'plateau') throw new OptionError('--monitor is what --early-stop or --schedule plateau watches; give one of them');
  const watched = flags.monitor ?? 'valLoss';
  if ((flags.earlyStop !== undefined || flags.schedule?.kind === 'plateau') && watched.startsWith('val') && flags.validation === 0) {
    throw new OptionError(`${flags.earlyStop !== undefined ? '--early-stop' : '--schedule plateau'} watches ${monitorName(watched)}, which needs a validation split: --validation > 0, or --monitor loss`);
  }
}

/** The schedule, early stopping and clipping that the flags ask for, as fit's options. */
function toolkitOptions(flags: TrainFlags): Pick<FitOptions, 'schedule' | 'earlyStopping' | 'clipNorm' | 'clipValue'> {
  const out: Pick<FitOptions, 'schedule' | 'earlyStopping' | 'clipNorm' | 'clipValue'> = {};
  const monitor = flags.monitor ?? 'valLoss';
  // --warmup alone: a warm-up, then η constant (an exponential schedule of factor 1)
  const base: Schedule | undefined = flags.schedule ?? (flags.warmup ? { kind: 'exponential', factor: 1 } : undefined);
  if (base) {
    out.schedule = { ...base, ...(base.kind === 'plateau' ? { monitor } : {}), ...(flags.warmup ? { warmupEpochs: flags.warmup } : {}) } as Schedule;
  }
  if (flags.earlyStop !== undefined) out.earlyStopping = { monitor, patience: flags.earlyStop, restoreBest: true } satisfies EarlyStopping;
  if (flags.clipNorm !== undefined) out.clipNorm = flags.clipNorm;
  if (flags.clipValue !== undefined) out.clipValue = flags.clipValue;
  return out;
}

function usesValidation(run: FitOptions): boolean {
  const watched = [run.earlyStopping?.monitor ?? (run.earlyStopping ? 'valLoss' : ''), run.schedule?.kind === 'plateau' ? (run.schedule.monitor ?? 'valLoss') : ''];
  return watched.some((m) => m.startsWith('val'));
}

/** valLoss → "val-loss", as the flag spells it. */
function monitorName(m: Monitor): string {
  return Object.keys(MONITORS).find((k) => MONITORS[k] === m) ?? m;
}

/** "adam η=0.001 λ=0.01, cosine schedule (warm-up 2), early stop 5 on val-loss, clip-norm 1" */
function describeTraining(t: TrainingConfig): string {
  const o = t.optimizer;
  const parts = [
    [o.id, `η=${o.learningRate}`, o.momentum !== undefined ? `μ=${o.momentum}` : '', o.nesterov ? 'nesterov' : '', o.rho !== undefined ? `ρ=${o.rho}` : '', o.weightDecay ? `λ=${o.weightDecay}` : '']
      .filter(Boolean)
      .join(' '),
  ];
  if (t.schedule) parts.push(`${t.schedule.kind} schedule${t.schedule.warmupEpochs ? ` (warm-up ${t.schedule.warmupEpochs})` : ''}`);
  if (t.earlyStopping) parts.push(`early stop ${t.earlyStopping.patience} on ${monitorName(t.earlyStopping.monitor ?? 'valLoss')}`);
  if (t.clipNorm !== undefined) parts.push(`clip-norm ${t.clipNorm}`);
  if (t.clipValue !== undefined) parts.push(`clip-value ${t.clipValue}`);
  return parts.join(', ');
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
