/**
 * What a fuzz case runs, as the loaders and the CLI would, and how its end is judged: a typed
 * BackpropError or a sane result passes; an untyped error ('crash') or a result that is not sane
 * ('insane') fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliModel } from '../../src/cli/model.js';
import { parseCsvDataset, parseCsvFeatures } from '../../src/data/csv.js';
import type { Dataset } from '../../src/data/dataset.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadMnist, MNIST_FILES } from '../../src/data/mnist-family.js';
import { BackpropError } from '../../src/errors.js';
import { checkpointFromBytes, modelFromBytes, type LoadedModel } from '../../src/io/model-file.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { idxBytes } from './corpus.js';
import type { Case } from './mutate.js';

export type Status = 'ok' | 'typed' | 'crash' | 'insane';

export interface Outcome {
  index: number;
  status: Status;
  /** The error's class and message, or what was not sane. */
  detail: string;
  /** Peak memory the case added, in bytes. */
  extraBytes: number;
}

/** A result that is not sane: the fuzz run reports it as a failure. */
class Insane extends Error {}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Insane(what);
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** A loaded model must hold finite parameters and give finite outputs of the right shape, as the CLI uses it. */
function saneModel(loaded: LoadedModel): void {
  const net = loaded.network;
  for (const l of net.layers) check(allFinite(l.W) && allFinite(l.b), 'non-finite model accepted');
  const model = cliModel(loaded, 'fuzz.safetensors');
  const x = new Matrix(3, net.inputs, Float32Array.from({ length: 3 * net.inputs }, (_, i) => ((i * 7) % 5) - 2));
  const out = model.outputs(model.transform(x));
  check(out.rows === 3 && out.cols === net.outputs, `predictions of shape ${out.rows}×${out.cols}, expected 3×${net.outputs}`);
  check(allFinite(out.data), 'non-finite predictions');
}

function saneDataset(ds: Dataset): void {
  check(ds.x.rows === ds.y.rows && ds.x.rows > 0, `x has ${ds.x.rows} rows, y ${ds.y.rows}`);
  check(ds.x.data.length === ds.x.rows * ds.x.cols && ds.y.data.length === ds.y.rows * ds.y.cols, 'matrix sizes disagree with their shapes');
  check(allFinite(ds.x.data) && allFinite(ds.y.data), 'non-finite values in a data set');
}

let scratch: string | undefined;

/** An MNIST directory whose training images (or labels) are the case's bytes, the other files valid. */
function mnistDirectory(bytes: Uint8Array, asLabels: boolean): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'backprop-fuzz-'));
  rmSync(scratch, { recursive: true, force: true });
  scratch = mkdtempSync(join(tmpdir(), 'backprop-fuzz-'));
  const images = idxBytes([5, 4, 4], new Uint8Array(80).fill(9));
  const labels = idxBytes([5], [0, 1, 2, 3, 4]);
  writeFileSync(join(scratch, MNIST_FILES.trainImages), asLabels ? images : bytes);
  writeFileSync(join(scratch, MNIST_FILES.trainLabels), asLabels ? bytes : labels);
  writeFileSync(join(scratch, MNIST_FILES.testImages), images);
  writeFileSync(join(scratch, MNIST_FILES.testLabels), labels);
  return scratch;
}

export function runCase(c: Case): void {
  switch (c.kind) {
    case 'model':
      saneModel(modelFromBytes(c.bytes, 'fuzz.safetensors', { backend: 'js' }));
      return;
    case 'checkpoint': {
      const loaded = checkpointFromBytes(c.bytes, 'fuzz.ckpt.safetensors', { backend: 'js' });
      for (const slot of Object.values(loaded.optimizer.state().slots)) check(allFinite(slot), 'non-finite optimizer state accepted');
      for (const w of loaded.state?.earlyStopping?.weights ?? []) check(allFinite(w), 'non-finite model accepted (early stopping\'s best weights)');
      saneModel(loaded);
      return;
    }
    case 'idx': {
      const limit = c.variant % 3 === 0 ? 1 + (c.variant % 7) : undefined;
      if (c.variant % 4 === 1) {
        const { train, test } = loadMnist({ dir: mnistDirectory(c.bytes, c.variant % 8 === 1), ...(limit ? { limit: { train: limit } } : {}) });
        saneDataset(train);
        saneDataset(test);
        return;
      }
      const a = parseIdx(c.bytes, 'fuzz-idx', limit ? { limit } : {});
      check(a.data.length === a.dims.reduce((p, d) => p * d, 1), `IDX data of ${a.data.length} bytes for dims ${a.dims.join('×')}`);
      check(limit === undefined || a.dims[0]! <= limit, `limit ${limit} gave ${a.dims[0]} items`);
      return;
    }
    case 'csv': {
      const text = new TextDecoder().decode(c.bytes);
      if (c.variant % 3 === 2) {
        const { x } = parseCsvFeatures(text, { name: 'fuzz.csv' });
        check(x.rows > 0 && allFinite(x.data), 'prediction input with no rows or non-finite values');
        return;
      }
      saneDataset(parseCsvDataset(text, { name: 'fuzz.csv', task: c.variant % 3 === 0 ? 'classification' : 'regression' }));
    }
  }
}

/** How a case ended; `run` may throw, and what it throws decides. */
export function judge(run: () => void): { status: Status; detail: string } {
  try {
    run();
    return { status: 'ok', detail: '' };
  } catch (e) {
    if (e instanceof Insane) return { status: 'insane', detail: e.message };
    const status = e instanceof BackpropError ? 'typed' : 'crash';
    return { status, detail: `${(e as Error)?.name}: ${(e as Error)?.message}${status === 'crash' ? `\n${(e as Error)?.stack}` : ''}` };
  }
}

export function removeScratch(): void {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
