/**
 * The CLI as a process (bin/backprop.js on the built dist/): signals, pipes, standard input and
 * exit statuses, which only a real process shows.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { prepareForTraining } from '../../src/cli/data.js';
import { loadModel } from '../../src/io/node-files.js';
import { Network } from '../../src/index.js';

const bin = fileURLToPath(new URL('../../bin/backprop.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'backprop-process-'));

function start(args: string[]): ChildProcessWithoutNullStreams & { stdoutText: () => string; stderrText: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return Object.assign(child, { stdoutText: () => out, stderrText: () => err });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.on('exit', (code) => ok(code))));
}

/** Resolves once the child's stderr matches. */
function waitFor(child: ChildProcessWithoutNullStreams & { stderrText: () => string }, pattern: RegExp): Promise<void> {
  return new Promise((ok, fail) => {
    const check = (): void => {
      if (pattern.test(child.stderrText())) {
        child.stderr.off('data', check);
        ok();
      }
    };
    child.stderr.on('data', check);
    child.on('exit', () => fail(new Error(`exited before ${pattern}: ${child.stderrText()}`)));
    check();
  });
}

async function inProcess(...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await main(['node', 'backprop', ...args], { result: (l) => out.push(l), info: () => undefined });
  return { code, out };
}

const digits = ['train', '--data', 'digits', '--epochs', '50', '--layers', '32', '--threads', '1'];

describe.each(['SIGINT', 'SIGTERM'] as const)('%s during training', (signal) => {
  it('stops after the current batch of the current epoch, saves that model and exits 130', async () => {
    const out = join(dir, `${signal}.safetensors`);
    const child = start([...digits, '--out', out]);
    await waitFor(child, /epoch 1: \d+\/\d+ batches/);
    child.kill(signal);
    expect(await exited(child)).toBe(130);
    const stderr = child.stderrText();
    const [, epochAt, batchAt] = new RegExp(`interrupted \\(${signal}\\) in epoch (\\d+) at batch (\\d+) of \\d+: stopping after this batch and saving`).exec(stderr)!.map(Number);
    expect(stderr).not.toMatch(/\n\s+at /);
    const [, batch, batches, epoch] = new RegExp(`training stopped by ${signal} after batch (\\d+) of (\\d+) of epoch (\\d+)`).exec(stderr)!.map(Number);
    // within the epoch, and after the very batch, that was running when the signal came
    expect([epoch, batch]).toEqual([epochAt, batchAt]);
    expect(batch).toBeLessThanOrEqual(batches!);
    expect(child.stdoutText()).toMatch(/saved .*\.safetensors/);

    // The saved weights are exactly those after that many batches, replayed in this process.
    const flags = { backend: 'auto' as const, threads: 1, data: 'digits' };
    const { train, validation } = await prepareForTraining(flags, 'auto', 0.1, 1);
    const net = new Network(784, [{ units: 32, activation: 'relu' }, { units: 10, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1, threads: 1 });
    const total = (epoch! - 1) * batches! + batch!;
    let seen = 0;
    await net.fit(train.x, train.y, { epochs: 50, batchSize: 32, optimizer: 'adam', seed: 1, validationData: [validation!.x, validation!.y], onBatchEnd: () => seen++, shouldStop: () => seen === total });
    const saved = (await loadModel(out)).network;
    const bytes = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    saved.layers.forEach((l, i) => {
      expect(bytes(l.W).equals(bytes(net.layers[i]!.W))).toBe(true);
      expect(bytes(l.b).equals(bytes(net.layers[i]!.b))).toBe(true);
    });
  });
});

describe('pipes', () => {
  it('a reader that closes early (| head) ends the output quietly: no EPIPE stack trace, exit 0', async () => {
    const model = join(dir, 'pipe.safetensors');
    expect((await inProcess('train', '--data', 'moons', '--layers', '4', '--epochs', '1', '--out', model)).code).toBe(0);
    const rows = join(dir, 'rows.csv');
    writeFileSync(rows, Array.from({ length: 20_000 }, (_, i) => `${(i % 7) / 7},${(i % 3) / 3}`).join('\n'));
    const child = start(['predict', '--model', model, '--input', rows]);
    child.stdout.once('data', () => child.stdout.destroy());
    expect(await exited(child)).toBe(0);
    expect(child.stderrText()).toBe('');
  });

  it('predict - reads standard input and prints what it prints for the same file', async () => {
    const model = join(dir, 'stdin.safetensors');
    expect((await inProcess('train', '--data', 'moons', '--layers', '4', '--epochs', '1', '--out', model)).code).toBe(0);
    const text = '0.1,0.2\n-0.5,0.3\n1,0\n';
    const file = join(dir, 'stdin-rows.csv');
    writeFileSync(file, text);
    const child = start(['predict', '--model', model, '--input', '-']);
    child.stdin.end(text);
    expect(await exited(child)).toBe(0);
    const fromFile = await inProcess('predict', '--model', model, '--input', file);
    expect(child.stdoutText().trimEnd().split('\n')).toEqual(fromFile.out);
    expect(fromFile.out).toHaveLength(4);
  });
});

/** Whether something answers HTTP at the url. */
function answers(url: string): Promise<boolean> {
  return new Promise((ok) => {
    const req = request(url, (res) => {
      res.resume();
      ok(true);
    });
    req.on('error', () => ok(false));
    req.end();
  });
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((ok) => setTimeout(ok, 50));
}

describe('backprop playground as a process', () => {
  it('stops serving and exits 0 on SIGTERM', async () => {
    const child = start(['playground', '--port', '0']);
    await waitFor(child, /serving/);
    const url = child.stdoutText().trim();
    expect(await answers(url)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(await answers(url)).toBe(false);
  });

  it('stops when the process that started it ends without passing a signal on (as npx does)', async () => {
    // a parent that starts the playground and is then killed outright, like npx on SIGTERM
    const parent = spawn(process.execPath, ['-e', `require('child_process').spawn(process.execPath, [${JSON.stringify(bin)}, 'playground', '--port', '0'], { stdio: 'inherit' }); setInterval(() => {}, 1000);`], { stdio: 'pipe' });
    let out = '';
    parent.stdout.on('data', (d) => (out += d));
    await until(async () => /http:\/\//.test(out));
    const url = out.trim();
    expect(await answers(url)).toBe(true);
    parent.kill('SIGKILL');
    await until(async () => !(await answers(url)));
    expect(await answers(url)).toBe(false);
  });
});

describe('IDX data through the CLI', () => {
  /** An MNIST directory whose training images file declares `declared` images but is 1 MB of gzip (blank images). */
  function mnistDir(declared: number, testSide: number): string {
    const d = mkdtempSync(join(dir, 'mnist-'));
    const idx = (dims: number[], fill: number, count: number): Buffer => {
      const header = Buffer.alloc(4 + 4 * dims.length);
      header[2] = 0x08;
      header[3] = dims.length;
      dims.forEach((v, i) => header.writeUInt32BE(v, 4 + 4 * i));
      return Buffer.concat([header, Buffer.alloc(count, fill)]);
    };
    const zeros = gzipSync(Buffer.alloc(1 << 20));
    const bytes = declared * 784;
    const images = Buffer.concat([gzipSync(idx([declared, 28, 28], 0, 0)), ...Array.from({ length: Math.floor(bytes / (1 << 20)) }, () => zeros), gzipSync(Buffer.alloc(bytes % (1 << 20)))]);
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), images);
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), idx([declared], 3, declared));
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx([2, testSide, testSide], 9, 2 * testSide * testSide));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idx([2], 1, 2));
    return d;
  }

  it('--limit reads only the first n images of a set declaring 10^6', async () => {
    const d = mnistDir(1_000_000, 28);
    const out = join(dir, 'limited.safetensors');
    const child = start(['train', '--data', 'mnist', '--data-dir', d, '--limit', '100', '--layers', 'none', '--epochs', '1', '--out', out]);
    expect(await exited(child)).toBe(0);
    expect(child.stderrText()).toMatch(/90 samples, 10 for validation/);
    expect(existsSync(out)).toBe(true);
  });

  it('test images of another size stop the run before training, exit 1', async () => {
    const d = mnistDir(50, 14);
    const child = start(['train', '--data', 'mnist', '--data-dir', d, '--out', join(dir, 'never.safetensors')]);
    expect(await exited(child)).toBe(1);
    expect(child.stderrText()).toMatch(/^backprop: .*t10k-images-idx3-ubyte: test images of 196 pixels, but the training images of .* have 784; both sets need the same image size\n$/);
    expect(existsSync(join(dir, 'never.safetensors'))).toBe(false);
  });
});
