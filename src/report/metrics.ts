/** What a classifier's predictions on a labelled set come to: the confusion matrix and what is read off it. */

export interface ClassScores {
  /** TP / (TP + FP): of the samples predicted as this class, the fraction that are (NaN when none is predicted) */
  precision: number;
  /** TP / (TP + FN): of the samples of this class, the fraction found (NaN when the class has none) */
  recall: number;
  /** 2·P·R / (P + R), the harmonic mean of precision and recall (NaN when either is) */
  f1: number;
  /** samples of this class */
  support: number;
}

/** confusion[t][p]: the samples of true class t predicted as class p. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]!]![predicted[i]!]!++;
  return confusion;
}

/** Precision, recall and F1 of each class, from the confusion matrix (rows: true class, columns: predicted). */
export function classScores(confusion: readonly (readonly number[])[]): ClassScores[] {
  return confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, r) => s + r[c]!, 0);
    const precision = predicted ? tp / predicted : NaN;
    const recall = support ? tp / support : NaN;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : precision === 0 && recall === 0 ? 0 : NaN;
    return { precision, recall, f1, support };
  });
}

/**
 * The `count` wrong predictions made with the highest probability, most confident first (ties:
 * the lower sample number first): the samples where the model is surest and wrong.
 */
export function confidentMistakes(truth: ArrayLike<number>, predicted: ArrayLike<number>, probability: ArrayLike<number>, count: number): number[] {
  const wrong: number[] = [];
  for (let i = 0; i < truth.length; i++) if (truth[i] !== predicted[i]) wrong.push(i);
  return wrong.sort((a, b) => probability[b]! - probability[a]! || a - b).slice(0, count);
}
