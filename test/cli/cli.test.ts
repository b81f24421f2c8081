import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';
import { loadModel } from '../../src/io/node-files.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-cli-'));
const model = join(dir, 'circles.safetensors');

describe('backprop train / eval / predict / explain / export', () => {
  it('eval, predict and explain read model.safetensors when --model is not given', async () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(tmpdir(), 'backprop-default-model-'));
    process.chdir(here);
    try {
      expect((await run('eval', '--data', 'xor')).err.join('\n')).toMatch(/model\.safetensors/);
      expect((await run('train', '--data', 'xor', '--layers', '4', '--epochs', '1')).code).toBe(0);
      expect(existsSync(join(here, 'model.safetensors'))).toBe(true);
      expect((await run('eval', '--data', 'xor')).code).toBe(0);
      expect((await run('explain', '--data', 'xor', '--index', '1')).out[0]).toMatch(/^backprop explain: sample 1 of xor/);
      writeFileSync(join(here, 'rows.csv'), '0.5,0.5\n');
      expect((await run('predict', '--input', 'rows.csv')).out).toHaveLength(2);
    } finally {
      process.chdir(cwd);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-V']) expect(await run(flag)).toEqual({ code: 0, out: [version], err: [] });
  });

  it('trains a toy set and saves a model', async () => {
    const r = await run('train', '--data', 'circles', '--layers', '8', '--activation', 'tanh', '--epochs', '30', '--batch-size', '16', '--lr', '0.03', '--out', model);
    expect(r.code).toBe(0);
    expect(r.err.some((l) => /^epoch 30\/30 +loss [\d.]+ +accuracy [\d.]+ +val loss [\d.]+ +val accuracy [\d.]+ +lr [\d.e-]+ +[\d.]+s$/.test(l))).toBe(true);
    expect(r.out.at(-1)).toMatch(/saved .*circles\.safetensors \(\d+ parameters\)/);
    const { network, info } = await loadModel(model);
    expect(network.layers.map((l) => l.units)).toEqual([8, 2]);
    expect(info.classNames).toHaveLength(2);
  });

  it('evaluates: loss, accuracy, per-class accuracy, confusion matrix', async () => {
    const r = await run('eval', '--model', model, '--data', 'circles', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out[0]!);
    expect(report.accuracy).toBeGreaterThan(0.9);
    expect(report.confusion).toHaveLength(2);
    const total = report.confusion.flat().reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(report.samples);
    const text = await run('eval', '--model', model, '--data', 'circles');
    expect(text.out.join('\n')).toMatch(/confusion matrix/);
  });

  it('predicts one row per input line, CSV or JSON, from a file or stdin-like path', async () => {
    const input = join(dir, 'points.csv');
    writeFileSync(input, 'x,y\n0,0\n0.9,0.9\n');
    const csv = await run('predict', '--model', model, '--input', input);
    expect(csv.code).toBe(0);
    expect(csv.out[0]).toBe('row,class,probability');
    expect(csv.out).toHaveLength(3);
    const json = await run('predict', '--model', model, '--input', input, '--format', 'json');
    const rows = JSON.parse(json.out[0]!);
    expect(rows).toHaveLength(2);
    expect(rows[0].values).toHaveLength(2);
    expect(rows[0].probability).toBeCloseTo(Math.max(...rows[0].values), 6);
  });

  it('predict rejects rows of the wrong width with the file and both counts', async () => {
    const input = join(dir, 'wide.csv');
    writeFileSync(input, '1,2,3\n');
    const r = await run('predict', '--model', model, '--input', input);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/wide\.csv has 3 columns but the model expects 2 features/);
  });

  it('explains one sample in 80 columns, and as JSON with every factor', async () => {
    const text = await run('explain', '--model', model, '--data', 'circles', '--index', '5');
    expect(text.code).toBe(0);
    for (const line of text.out) expect([...line].length).toBeLessThanOrEqual(80);
    const all = text.out.join('\n');
    for (const name of ['∂C/∂a(2)', "σ'(z(1))", 'δ(2)', '∂C/∂W(2)', '∂C/∂b(1)', '∂C/∂a(1) ', 'largest |∂C/∂w|']) expect(all).toContain(name);
    // backward order: layer 2 is shown before layer 1
    expect(all.indexOf('layer 2 (')).toBeLessThan(all.indexOf('layer 1 ('));
    const json = JSON.parse((await run('explain', '--model', model, '--data', 'circles', '--index', '5', '--json')).out[0]!);
    expect(json.layers).toHaveLength(2);
    expect(Object.keys(json.layers[0])).toEqual(expect.arrayContaining(['z', 'a', 'sigmaPrime', 'dA', 'delta', 'dW', 'db', 'dAPrev']));
    expect(json.layers[0].dAPrev).toBeNull();
    const out = await run('explain', '--model', model, '--data', 'circles', '--index', '100000');
    expect(out.code).toBe(2);
    expect(out.err[0]).toMatch(/--index 100000 is out of range/);
  });

  it('exports ONNX and TF.js files', async () => {
    const onnx = join(dir, 'm.onnx');
    expect((await run('export', '--model', model, '--format', 'onnx', '--out', onnx)).code).toBe(0);
    expect(readFileSync(onnx).length).toBeGreaterThan(100);
    const tfjsDir = join(dir, 'tfjs');
    expect((await run('export', '--model', model, '--format', 'tfjs', '--out', tfjsDir)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(tfjsDir, 'model.json'), 'utf8')).format).toBe('layers-model');
  });
});

describe('CSV data', () => {
  it('trains a classifier from a CSV with a header and a named label column, standardising with training statistics', async () => {
    const csv = join(dir, 'flowers.csv');
    const rows = ['petal,sepal,kind'];
    // two well-separated classes, in units far from [0, 1] so that standardisation matters
    for (let i = 0; i < 60; i++) rows.push(`${100 + (i % 7)},${2000 + (i % 5) * 3},${i % 2 ? 'rose' : 'tulip'}`.replace(/^(\d+)/, (v) => String(Number(v) + (i % 2) * 50)));
    writeFileSync(csv, rows.join('\n') + '\n');
    const out = join(dir, 'flowers.safetensors');
    const r = await run('train', '--data', csv, '--label', 'kind', '--layers', '4', '--epochs', '40', '--lr', '0.05', '--out', out);
    expect(r.code).toBe(0);
    const { info } = await loadModel(out);
    expect(info.classNames).toEqual(['rose', 'tulip']);
    expect((info.preprocessing as { kind: string }).kind).toBe('standardize');
    const e = JSON.parse((await run('eval', '--model', out, '--data', csv, '--label', 'kind', '--json')).out[0]!);
    expect(e.accuracy).toBeGreaterThan(0.95);
    const input = join(dir, 'new-flowers.csv');
    writeFileSync(input, '150,2003\n101,2000\n');
    const p = await run('predict', '--model', out, '--input', input);
    expect(p.out.slice(1).map((l) => l.split(',')[1])).toEqual(['rose', 'tulip']);
  });

  it('reports a bad CSV row with its line number', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'a,b,label\n1,2,x\n3,oops,y\n');
    const r = await run('train', '--data', csv, '--out', join(dir, 'bad.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/bad\.csv: line 3, column "b": "oops" is not a finite number/);
  });

  it('trains a regression target', async () => {
    const out = join(dir, 'plane.safetensors');
    const r = await run('train', '--data', 'plane', '--layers', '8', '--epochs', '60', '--lr', '0.01', '--out', out);
    expect(r.code).toBe(0);
    const e = JSON.parse((await run('eval', '--model', out, '--data', 'plane', '--json')).out[0]!);
    expect(e.loss).toBeLessThan(0.01); // predicting the mean would score the target's variance, about 0.15
  });
});

describe('resume', () => {
  it('a run resumed from its checkpoint ends where an uninterrupted run ends', async () => {
    const common = ['--data', 'moons', '--layers', '6', '--epochs', '4', '--batch-size', '8', '--optimizer', 'adam', '--lr', '0.01', '--seed', '3'];
    const whole = join(dir, 'whole.safetensors');
    expect((await run('train', ...common, '--out', whole)).code).toBe(0);
    const part = join(dir, 'part.safetensors');
    const ckpt = join(dir, 'part.ckpt.safetensors');
    expect((await run('train', ...common, '--epochs', '2', '--checkpoint-every', '2', '--out', part)).code).toBe(0);
    expect(existsSync(ckpt)).toBe(true);
    const resumed = join(dir, 'resumed.safetensors');
    const r = await run('train', '--resume', ckpt, '--epochs', '4', '--out', resumed);
    expect(r.code).toBe(0);
    expect(r.err.join('\n')).toMatch(/resuming .* at epoch 3 of 4/);
    const a = await loadModel(whole);
    const b = await loadModel(resumed);
    a.network.layers.forEach((l, i) => {
      expect(Array.from(b.network.layers[i]!.W)).toEqual(Array.from(l.W));
      expect(Array.from(b.network.layers[i]!.b)).toEqual(Array.from(l.b));
    });
  });
});

describe('errors: one clear line and a non-zero exit', () => {
  it.each([
    [['train', '--bogus'], 2, /unknown option '--bogus'/],
    [['train', '--epochs', '0'], 2, /--epochs <n>' argument '0' is invalid\. must be an integer ≥ 1/],
    [['train', '--lr', '-1'], 2, /--lr <rate>' argument '-1' is invalid\. must be a number > 0/],
    [['train', '--layers', '12,x'], 2, /hidden layer sizes separated by commas/],
    [['train', '--activation', 'mish'], 2, /Allowed choices are sigmoid, relu, tanh, leaky-relu, linear/],
    [['train', '--data', 'nope'], 2, /unknown data set "nope"; valid: digits, mnist, fashion-mnist/],
    [['train', '--data', 'fashion-mnist', '--data-dir', '/nonexistent'], 1, /apt-get install -y dataset-fashion-mnist/],
    [['eval', '--model', '/nonexistent/m.safetensors'], 1, /\/nonexistent\/m\.safetensors/],
    [['export', '--model', 'x', '--format', 'pmml', '--out', 'y'], 2, /Allowed choices are onnx, tfjs/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
  ])('%j', async (args, code, message) => {
    const r = await run(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.err.join('\n')).toMatch(message as RegExp);
    expect(r.err.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('--help on every command', async () => {
    for (const cmd of ['train', 'eval', 'predict', 'explain', 'export']) {
      const r = await run(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out.join('\n')).toMatch(new RegExp(`Usage: backprop ${cmd}`));
    }
  });
});

