/** The training report: its builder (metrics, pictures, escaping, structure) and train/eval --report. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';
import { reportHtml, niceTicks, esc, type ReportData } from '../../src/report/html.js';
import { classScores, confidentMistakes, confusionMatrix } from '../../src/report/metrics.js';
import { crc32, grayPng } from '../../src/report/png.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-report-'));

describe('metrics', () => {
  const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 1, 0, 1, 2, 2, 2, 0, 2];

  it('the confusion matrix counts each (true, predicted) pair', () => {
    expect(confusionMatrix(truth, predicted, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 3],
    ]);
  });

  it('precision, recall and F1 per class, as counted by hand', () => {
    const s = classScores(confusionMatrix(truth, predicted, 3));
    // class 0: predicted 0 three times, two right; 3 samples, two found
    expect(s[0]).toEqual({ precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 });
    expect(s[1]!.precision).toBe(1 / 2);
    expect(s[1]!.recall).toBe(1 / 2);
    expect(s[2]!.precision).toBe(3 / 4);
    expect(s[2]!.recall).toBe(3 / 4);
    expect(s[2]!.f1).toBeCloseTo(0.75, 12);
  });

  it('a class never predicted has no precision; one with no samples no recall', () => {
    const s = classScores([
      [3, 0, 0],
      [2, 0, 0],
      [0, 0, 0],
    ]);
    expect(s[1]).toEqual({ precision: NaN, recall: 0, f1: NaN, support: 2 });
    expect(s[2]!.recall).toBeNaN();
  });

  it('the most confident mistakes: wrong predictions only, highest probability first', () => {
    const p = [0.9, 0.99, 0.5, 0.7, 0.8, 0.6, 0.6, 0.95, 0.4];
    expect(confidentMistakes(truth, predicted, p, 2)).toEqual([1, 7]);
    expect(confidentMistakes(truth, predicted, p, 10)).toEqual([1, 7, 4]);
  });
});

describe('grayPng', () => {
  /** The chunks of a PNG file: type, data, stored CRC. */
  function chunks(png: Uint8Array): { type: string; data: Buffer; crc: number }[] {
    const b = Buffer.from(png);
    expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const out = [];
    for (let at = 8; at < b.length; ) {
      const len = b.readUInt32BE(at);
      out.push({ type: b.toString('latin1', at + 4, at + 8), data: b.subarray(at + 8, at + 8 + len), crc: b.readUInt32BE(at + 8 + len) });
      at += 12 + len;
    }
    return out;
  }

  for (const [w, h] of [[28, 28], [300, 250]] as const) {
    it(`${w}×${h}: zlib inflates the image data back to the pixels, every chunk's CRC is zlib's`, () => {
      const gray = Uint8Array.from({ length: w * h }, (_, i) => (i * 37) % 256);
      const parts = chunks(grayPng(w, h, gray));
      expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
      for (const c of parts) expect(c.crc).toBe(zlibCrc32(Buffer.concat([Buffer.from(c.type, 'latin1'), c.data])));
      expect(parts[0]!.data.readUInt32BE(0)).toBe(w);
      expect(parts[0]!.data.readUInt32BE(4)).toBe(h);
      const raw = inflateSync(parts[1]!.data); // checks the Adler-32 too
      expect(raw.length).toBe(h * (w + 1));
      for (let y = 0; y < h; y++) {
        expect(raw[y * (w + 1)]).toBe(0);
        expect(raw.subarray(y * (w + 1) + 1, (y + 1) * (w + 1)).equals(Buffer.from(gray.subarray(y * w, (y + 1) * w)))).toBe(true);
      }
    });
  }

  it('crc32 is the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('reportHtml', () => {
  const data: ReportData = {
    title: 'run <1> & "two"',
    facts: [['data', "<script>alert('x')</script>"]],
    history: [
      { epoch: 0, loss: 1.25, accuracy: 0.5, valLoss: 1.5, valAccuracy: 0.4375, learningRate: 0.01 },
      { epoch: 1, loss: 0.625, accuracy: 0.75, valLoss: 0.875, valAccuracy: 0.6875, learningRate: 0.005 },
    ],
    classes: { split: 'test', names: ['cat', '<dog>'], confusion: [[3, 1], [2, 4]] },
    mistakes: {
      split: 'test',
      height: 2,
      width: 3,
      samples: [{ index: 7, pixels: [0, 0.5, 1, 1, 0.5, 0], truth: 1, predicted: 0, probability: 0.875 }],
    },
  };
  const html = reportHtml(data);

  it('escapes every text from data', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<dog>');
    expect(html).toContain(esc("<script>alert('x')</script>"));
    expect(html).toContain('&#60;dog&#62;');
    expect(html).toContain('<title>run &#60;1&#62; &#38; &#34;two&#34;</title>');
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });

  it('is self-contained: no script, no external resource, a CSP that allows none', () => {
    expect(html).not.toMatch(/<script|<link|:\/\/|url\(|@import/i);
    expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
  });

  it('holds the charts, the heat map, the scores and the pictures', () => {
    for (const id of ['chart-loss', 'chart-accuracy', 'chart-lr', 'confusion']) expect(html).toContain(`<svg id="${id}"`);
    // one line per series: loss and accuracy (training, validation), η
    expect(html.match(/<polyline class="series"/g)).toHaveLength(5);
    expect(html.match(/<rect class="cell"/g)).toHaveLength(4);
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" width="9" height="6"/);
    expect(html).toContain('predicted <b class="wrong">cat</b>');
  });

  it('shows the numbers: per epoch, the confusion counts, precision, recall and F1', () => {
    for (const v of ['1.25', '0.625', '0.4375', '0.6875', '0.005']) expect(html).toContain(`<td>${v}</td>`);
    // cat: precision 3/5, recall 3/4, F1 2·0.6·0.75/1.35; dog: precision 4/5, recall 4/6
    expect(html).toContain('<td>0 cat</td><td>4</td><td>0.6000</td><td>0.7500</td><td>0.6667</td>');
    expect(html).toContain('<td>1 &#60;dog&#62;</td><td>6</td><td>0.8000</td><td>0.6667</td><td>0.7273</td>');
    expect(html).toMatch(/true 0 cat, predicted 1 &#60;dog&#62;: 1 \(25\.0% of the class\)/);
    expect(html).toContain('p = 0.8750');
  });

  it('a regression run: the loss and η charts only, no classes', () => {
    const r = reportHtml({ title: 't', facts: [], history: [{ epoch: 0, loss: 2, learningRate: 0.1 }] });
    expect(r).toContain('<svg id="chart-loss"');
    expect(r).toContain('<svg id="chart-lr"');
    expect(r).not.toContain('chart-accuracy');
    expect(r).not.toContain('confusion');
  });

  it('axis ticks are round and span the values', () => {
    expect(niceTicks(0.013, 0.97, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1e-4, 1e-3, 5)).toEqual([0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001]);
  });
});

describe('train --report, eval --report', () => {
  it('train on digits: the charts of every epoch, the test set\'s classes, pictures of its mistakes', async () => {
    const model = join(dir, 'digits.safetensors');
    const report = join(dir, 'train.html');
    const r = await run('train', '--data', 'digits', '--limit', '500', '--layers', '16', '--epochs', '3', '--out', model, '--report', report);
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toBe(`report ${report}`);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/<tr><td>\d+<\/td>/g)?.length).toBeGreaterThanOrEqual(3);
    for (const id of ['chart-loss', 'chart-accuracy', 'chart-lr', 'confusion']) expect(html).toContain(`<svg id="${id}"`);
    expect(html).toContain('Classes, on the test set');
    expect(html.match(/<img src="data:image\/png/g)).toHaveLength(24);
    // the confusion matrix of the report sums to the test set's 2,000 samples
    const counts = [...html.matchAll(/predicted [^:]+: (\d+) \(/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(100);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2000);
  });

  it('eval: the classes and mistakes of the split it reads, the same counts as its JSON', async () => {
    const model = join(dir, 'digits.safetensors');
    const report = join(dir, 'eval.html');
    const r = await run('eval', '--model', model, '--data', 'digits', '--limit', '300', '--json', '--report', report);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out[0]!);
    const html = readFileSync(report, 'utf8');
    const counts = [...html.matchAll(/predicted [^:]+: (\d+) \(/g)].map((m) => Number(m[1]));
    expect(counts).toEqual(json.confusion.flat());
    expect(html).not.toContain('chart-loss');
  });

  it('a CSV set: no pictures; a toy set without a test split shows the validation set', async () => {
    const csv = join(dir, 'points.csv');
    writeFileSync(csv, 'a,b,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 5},${i % 7},${i % 2 ? 'odd' : 'even'}`).join('\n') + '\n');
    const report = join(dir, 'csv.html');
    expect((await run('train', '--data', csv, '--layers', '4', '--epochs', '2', '--out', join(dir, 'csv.safetensors'), '--report', report)).code).toBe(0);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('Classes, on the validation set');
    expect(html).not.toContain('<img');
  });

  it('refuses a --report that would replace the model', async () => {
    const model = join(dir, 'digits.safetensors');
    const before = readFileSync(model);
    const e = await run('eval', '--model', model, '--data', 'digits', '--report', model);
    expect(e.code).toBe(2);
    expect(e.err[0]).toMatch(/--report .* is the --model file/);
    const t = await run('train', '--data', 'xor', '--epochs', '1', '--out', join(dir, 'x.safetensors'), '--report', join(dir, 'x.safetensors'));
    expect(t.code).toBe(2);
    expect(t.err[0]).toMatch(/--report .* is the --out file/);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
    expect(readFileSync(model).equals(before)).toBe(true);
  });

  it('a report path that is a directory: a one-line error naming it', async () => {
    const r = await run('eval', '--model', join(dir, 'digits.safetensors'), '--data', 'digits', '--limit', '10', '--report', dir);
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain(dir);
  });
});
