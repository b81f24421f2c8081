import { confusionMatrix } from '../report/metrics.js';
import type { DataFlags } from './data.js';
import { classify, modelData, openModel } from './model.js';
import type { Output } from './output.js';
import { checkReportPath, classificationParts, writeReport } from './report.js';

export interface EvalFlags extends DataFlags {
  model: string;
  split?: 'train' | 'test';
  json?: boolean;
  report?: string;
}

export async function evaluate(flags: EvalFlags, io: Output): Promise<number> {
  checkReportPath(flags.report, flags.model, '--model');
  const model = await openModel(flags.model, flags);
  const ds = modelData(model, flags, flags.split);
  const net = model.network;
  const outputs = model.outputs(ds.x);
  const { loss, accuracy } = net.evaluate(ds.x, ds.y);
  if (flags.report) {
    // modelData looked at the test split when there is one and --split did not say train
    const split = ds.name.endsWith('/test') ? 'test' : 'training';
    const classification = ds.task === 'classification';
    await writeReport(flags.report, {
      title: `backprop eval: ${flags.model} on ${ds.name}`,
      facts: [
        ['model', `${flags.model}: ${[net.inputs, ...net.layers.map((l) => l.units)].join('-')} (${net.layers.map((l) => l.act.id).join(', ')}), cost ${net.cost.id}`],
        ['data', `${ds.name}: ${ds.x.rows} samples`],
        ['result', `loss ${loss.toFixed(4)}${classification ? `, accuracy ${accuracy.toFixed(4)}` : ''}`],
      ],
      ...(classification ? classificationParts(ds, outputs, split) : {}),
    });
    io.info(`report ${flags.report}`);
  }
  if (ds.task !== 'classification') {
    const report = { data: ds.name, samples: ds.x.rows, loss };
    io.result(flags.json ? JSON.stringify(report) : `${ds.name}: ${ds.x.rows} samples, loss (${net.cost.id}) ${loss.toFixed(6)}`);
    return 0;
  }
  const classes = ds.classNames ?? Array.from({ length: ds.y.cols }, (_, i) => String(i));
  const truth = classify(ds.y).classes;
  const predicted = classify(outputs).classes;
  const k = classes.length;
  const confusion = confusionMatrix(truth, predicted, k);
  const perClass = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return { class: classes[t]!, samples: total, accuracy: total ? row[t]! / total : NaN };
  });
  if (flags.json) {
    io.result(JSON.stringify({ data: ds.name, samples: ds.x.rows, loss, accuracy, perClass, classes, confusion }));
    return 0;
  }
  io.result(`${ds.name}: ${ds.x.rows} samples`);
  io.result(`loss (${net.cost.id}) ${loss.toFixed(4)}   accuracy ${accuracy.toFixed(4)}`);
  io.result('');
  io.result('per class:');
  const named = classes.some((c, i) => c !== String(i));
  const nameWidth = named ? Math.min(14, Math.max(...classes.map((c) => c.length))) : 0;
  perClass.forEach((c, t) => io.result(`  ${String(t).padStart(2)}  ${(named ? c.class : '').slice(0, nameWidth).padEnd(nameWidth)}  ${c.accuracy.toFixed(4)}  (${c.samples})`));
  io.result('');
  io.result('confusion matrix (rows: true class, columns: predicted):');
  const cell = Math.max(4, String(ds.x.rows).length + 1);
  // each row starts "  tt  name": the header's first cell starts where the rows' first count does
  const rowHead = (t: number) => `  ${String(t).padStart(2)}  ${(classes[t] === String(t) ? '' : classes[t]!.slice(0, nameWidth)).padEnd(nameWidth)}`;
  io.result(' '.repeat(rowHead(0).length) + classes.map((_, j) => String(j).padStart(cell)).join(''));
  confusion.forEach((row, t) => io.result(rowHead(t) + row.map((v) => String(v).padStart(cell)).join('')));
  return 0;
}
