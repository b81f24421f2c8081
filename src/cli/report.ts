import { resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { OptionError } from '../errors.js';
import { writeFileAtomic } from '../io/node-files.js';
import { reportHtml, type ReportData } from '../report/html.js';
import { confidentMistakes, confusionMatrix } from '../report/metrics.js';
import type { Matrix } from '../tensor/matrix.js';
import { classify } from './model.js';

/** How many of the most confident mistakes an image set's report draws. */
const MISTAKES = 24;

/** --report must not name the file the command reads or writes a model to: the report would replace it. */
export function checkReportPath(report: string | undefined, model: string, role: '--out' | '--model'): void {
  if (report !== undefined && resolve(report) === resolve(model)) {
    throw new OptionError(`--report ${report} is the ${role} file; give the report its own name, e.g. report.html`);
  }
}

/**
 * What a model's outputs on a classification split come to in the report: the confusion matrix
 * and, for image sets, the most confident mistakes with their pictures.
 */
export function classificationParts(ds: Dataset, outputs: Matrix, split: string): Pick<ReportData, 'classes' | 'mistakes'> {
  const names = ds.classNames ?? Array.from({ length: Math.max(2, ds.y.cols) }, (_, i) => String(i));
  const truth = classify(ds.y).classes;
  const { classes: predicted, probabilities } = classify(outputs);
  const parts: Pick<ReportData, 'classes' | 'mistakes'> = { classes: { split, names, confusion: confusionMatrix(truth, predicted, names.length) } };
  if (ds.image) {
    const samples = confidentMistakes(truth, predicted, probabilities, MISTAKES).map((i) => ({
      index: i,
      pixels: ds.x.row(i),
      truth: truth[i]!,
      predicted: predicted[i]!,
      probability: probabilities[i]!,
    }));
    parts.mistakes = { split, ...ds.image, samples };
  }
  return parts;
}

/** Writes the report atomically, as models are written (a crash leaves the previous file whole). */
export async function writeReport(path: string, data: ReportData): Promise<void> {
  await writeFileAtomic(path, reportHtml(data));
}
