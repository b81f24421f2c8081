import type { Split } from './data.js';
import type { NetSpec } from './nets.js';
import type { Trainer } from './runners/types.js';

export interface TestMetrics {
  /** Fraction classified right: the largest output's index, or output ≥ 0.5 for a one-output net. */
  accuracy: number;
  /** The net's own cost over the split: MSE (mean over every output) or cross-entropy (mean over samples). */
  loss: number;
}

/** Predicts the whole split in batches and scores it; the trainer's weights are not changed. */
export async function testMetrics(trainer: Trainer, split: Split, spec: NetSpec, batch: number): Promise<TestMetrics> {
  const inputs = spec.sizes[0]!;
  const outputs = spec.sizes[spec.sizes.length - 1]!;
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < split.count; start += batch) {
    const rows = Math.min(batch, split.count - start);
    const out = await trainer.predict(split.x.subarray(start * inputs, (start + rows) * inputs), rows);
    for (let r = 0; r < rows; r++) {
      const sample = start + r;
      if (predictedClass(out, r, outputs) === split.labels[sample]!) correct++;
      for (let i = 0; i < outputs; i++) {
        const a = out[r * outputs + i]!;
        const y = split.y[sample * outputs + i]!;
        lossSum += spec.loss === 'mse' ? (a - y) ** 2 / outputs : y > 0 ? -y * Math.log(Math.max(a, 1e-12)) : 0;
      }
    }
  }
  return { accuracy: correct / split.count, loss: lossSum / split.count };
}

function predictedClass(out: Float32Array, row: number, outputs: number): number {
  if (outputs === 1) return out[row]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let i = 1; i < outputs; i++) if (out[row * outputs + i]! > out[row * outputs + best]!) best = i;
  return best;
}
