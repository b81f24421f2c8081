import { OptionError } from '../errors.js';
import { Matrix } from '../tensor/matrix.js';
import type { DataFlags } from './data.js';
import { renderExplanation } from './explain-view.js';
import { classify, modelData, openModel } from './model.js';
import type { Output } from './output.js';

export interface ExplainFlags extends DataFlags {
  model: string;
  index: number;
  split?: 'train' | 'test';
  lr?: number;
  json?: boolean;
}

export async function explainCommand(flags: ExplainFlags, io: Output): Promise<number> {
  const model = await openModel(flags.model, flags);
  const ds = modelData(model, flags, flags.split);
  if (flags.index >= ds.x.rows) throw new OptionError(`--index ${flags.index} is out of range: ${ds.name} has samples 0..${ds.x.rows - 1}`);
  const x = new Matrix(1, ds.x.cols, ds.x.row(flags.index).slice());
  const y = new Matrix(1, ds.y.cols, ds.y.row(flags.index).slice());
  const e = model.network.explain(x, y, { learningRate: flags.lr });
  if (flags.json) {
    io.result(JSON.stringify({ data: ds.name, index: flags.index, ...e }));
    return 0;
  }
  const cls = ds.task === 'classification' ? classify(y).classes[0]! : -1;
  const name = ds.classNames?.[cls];
  const label = cls < 0 ? '' : ` (class ${cls}${name && name !== String(cls) ? `: ${name}` : ''})`;
  const ctx = { title: `backprop explain: sample ${flags.index} of ${ds.name}${label}`, ...(ds.classNames ? { classNames: ds.classNames } : {}) };
  for (const line of renderExplanation(e, ctx)) io.result(line);
  return 0;
}
