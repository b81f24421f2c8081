import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { thousands } from '../../src/cli/output.js';
import { idxBytes, tempDir } from '../data/fixtures.js';
import { run } from './helpers.js';

/** An MNIST-style directory of 4×4 images: 300 training, 2500 test (three of the CLI's test chunks of 1024), pixels and labels seeded. */
function mnistDir(): string {
  const dir = tempDir();
  let state = 12345;
  const next = (m: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % m;
  };
  const set = (count: number) => ({ pixels: Array.from({ length: count * 16 }, () => next(256)), labels: Array.from({ length: count }, () => next(10)) });
  const train = set(300);
  const test = set(2500);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes([300, 4, 4], train.pixels)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([300], train.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([2500, 4, 4], test.pixels)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([2500], test.labels)));
  return dir;
}

describe('train on an IDX set: the test set held as bytes, evaluated a chunk at a time', () => {
  const dir = mnistDir();

  for (const preprocess of ['none', 'standardize']) {
    it(`reports the evaluation of the whole float32 test set (eval's) with --preprocess ${preprocess}`, async () => {
      const model = join(tempDir(), 'm.safetensors');
      const trained = await run('train', '--data', 'mnist', '--data-dir', dir, '--layers', '8', '--epochs', '2', '--batch-size', '32', '--validation', '0', '--preprocess', preprocess, '--seed', '3', '--out', model);
      expect(trained.code).toBe(0);
      const line = trained.out.find((l) => l.startsWith('test:'))!;
      expect(line).toMatch(/\(2500 samples\)$/);
      const [, loss, accuracy] = line.match(/loss (\S+) {2}accuracy (\S+)/)!;
      const whole = JSON.parse((await run('eval', '--model', model, '--data', 'mnist', '--data-dir', dir, '--json')).out[0]!);
      expect(whole.samples).toBe(2500);
      expect(loss).toBe(whole.loss.toFixed(4));
      expect(accuracy).toBe(whole.accuracy.toFixed(4));
    });
  }

  it('draws the report from the whole test set', async () => {
    const out = tempDir();
    const trained = await run('train', '--data', 'mnist', '--data-dir', dir, '--layers', '8', '--epochs', '1', '--validation', '0', '--out', join(out, 'm.safetensors'), '--report', join(out, 'r.html'));
    expect(trained.code).toBe(0);
    const html = readFileSync(join(out, 'r.html'), 'utf8');
    expect(html).toContain('2500 test');
  });
});

describe('thousands', () => {
  it('writes numbers as toLocaleString(\'en-US\') does', () => {
    for (const n of [0, 7, 999, 1000, 12345, 235146, 1000000, 987654321]) expect(thousands(n)).toBe(n.toLocaleString('en-US'));
  });
});
