import { readFileSync } from 'node:fs';
import { parseCsvFeatures } from '../data/csv.js';
import { classify, openModel } from './model.js';
import type { Output } from './output.js';

export interface PredictFlags {
  model: string;
  input: string;
  format: 'csv' | 'json';
}

/** One prediction per input row: the class name and its probability (see classify), or the regression values. */
export async function predict(flags: PredictFlags, io: Output): Promise<number> {
  const model = await openModel(flags.model);
  const net = model.network;
  const source = flags.input === '-' ? 'standard input' : flags.input;
  const text = readFileSync(flags.input === '-' ? 0 : flags.input, 'utf8');
  const { x } = parseCsvFeatures(text, { name: source, features: net.inputs });
  const out = model.outputs(model.transform(x));
  const k = out.cols;
  const classes = model.info.task === 'classification' ? model.info.classNames : undefined;
  const { classes: best, probabilities } = classify(out);
  const rows = Array.from({ length: out.rows }, (_, i) => {
    const values = Array.from(out.row(i));
    return classes ? { class: classes[best[i]!]!, probability: probabilities[i]!, values } : { values };
  });
  if (flags.format === 'json') {
    io.result(JSON.stringify(rows.map((r, i) => ({ row: i, ...r }))));
    return 0;
  }
  if (classes) {
    io.result('row,class,probability');
    rows.forEach((r, i) => io.result(`${i},${csvCell(r.class!)},${r.probability!.toPrecision(6)}`));
  } else {
    io.result(['row', ...Array.from({ length: k }, (_, j) => (k === 1 ? 'value' : `value${j}`))].join(','));
    rows.forEach((r, i) => io.result([i, ...r.values.map((v) => v.toPrecision(6))].join(',')));
  }
  return 0;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
