import { OptionError } from '../errors.js';
import type { TrainingConfig } from '../io/model-file.js';
import { Matrix } from '../tensor/matrix.js';
import type { ExplainOptions } from '../train/explain.js';
import { scheduledRate } from '../train/schedule.js';
import type { DataFlags } from './data.js';
import { renderExplanation } from './explain-view.js';
import { classify, modelData, openModel } from './model.js';
import type { Output } from './output.js';

export interface ExplainFlags extends DataFlags {
  model: string;
  index: number;
  split?: 'train' | 'test';
  lr?: number;
  step?: boolean;
  epoch?: number;
  maskSeed?: number;
  json?: boolean;
}

export async function explainCommand(flags: ExplainFlags, io: Output): Promise<number> {
  const model = await openModel(flags.model, flags);
  const ds = modelData(model, flags, flags.split);
  if (flags.index >= ds.x.rows) throw new OptionError(`--index ${flags.index} is out of range: ${ds.name} has samples 0..${ds.x.rows - 1}`);
  const x = new Matrix(1, ds.x.cols, ds.x.row(flags.index).slice());
  const y = new Matrix(1, ds.y.cols, ds.y.row(flags.index).slice());
  const options = stepOptions(flags, model.info.training);
  const e = model.network.explain(x, y, options);
  if (flags.json) {
    io.result(JSON.stringify({ data: ds.name, index: flags.index, ...e }));
    return 0;
  }
  const cls = ds.task === 'classification' ? classify(y).classes[0]! : -1;
  const name = ds.classNames?.[cls];
  const label = cls < 0 ? '' : ` (class ${cls}${name && name !== String(cls) ? `: ${name}` : ''})`;
  const ctx = {
    title: `backprop explain: ${flags.step ? 'a training step on ' : ''}sample ${flags.index} of ${ds.name}${label}`,
    ...(ds.classNames ? { classNames: ds.classNames } : {}),
    ...(flags.step && flags.lr === undefined && options.learningRate !== undefined ? { rateSource: flags.epoch ? `epoch ${flags.epoch} of the recorded run` : "the recorded run's η₀" } : {}),
  };
  for (const line of renderExplanation(e, ctx)) io.result(line);
  return 0;
}

/**
 * What explain shows: a prediction's backward pass by default; with --step, a training step as
 * the model's training record defines it: dropout masks drawn (key --mask-seed), the recorded
 * clipping, and the update with the recorded η (with --epoch, the schedule's η of that epoch).
 */
function stepOptions(flags: ExplainFlags, training: TrainingConfig | undefined): ExplainOptions {
  if (!flags.step) {
    if (flags.epoch !== undefined || flags.maskSeed !== undefined) throw new OptionError(`${flags.epoch !== undefined ? '--epoch' : '--mask-seed'} is for --step (explain a training step)`);
    return flags.lr === undefined ? {} : { learningRate: flags.lr };
  }
  const options: ExplainOptions = { dropoutKey: flags.maskSeed ?? 1 };
  if (training?.clipNorm !== undefined) options.clipNorm = training.clipNorm;
  if (training?.clipValue !== undefined) options.clipValue = training.clipValue;
  const eta = flags.lr ?? (training ? rateOfEpoch(training, flags.epoch) : undefined);
  if (eta !== undefined) options.learningRate = eta;
  return options;
}

/** η of a 1-based epoch of the recorded run (η₀ without --epoch or without a schedule). */
function rateOfEpoch(t: TrainingConfig, epoch: number | undefined): number {
  const base = t.optimizer.learningRate;
  if (epoch === undefined || !t.schedule) return base;
  if (epoch > t.epochs) throw new OptionError(`--epoch ${epoch} is beyond the ${t.epochs} epochs of the recorded run`);
  if (t.schedule.kind === 'plateau') throw new OptionError("--epoch: a plateau schedule's η depends on the run's validation history, which the model file does not hold; give --lr");
  return scheduledRate(t.schedule, base, epoch - 1, t.epochs, base);
}
