import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions, type BenchOptions } from '../../bench/cli.js';
import { loadBenchData, writeRawData } from '../../bench/data.js';
import type { Machine } from '../../bench/environment.js';
import { runJob } from '../../bench/job.js';
import type { Job, TrainResult } from '../../bench/protocol.js';
import { PYTHON, runChild } from '../../bench/spawn.js';
import { chartSvg, logTicks, tickLabel } from '../../bench/svg.js';
import { flopsPerStep, QUICK_SWEEP_GRID, SWEEP_GRID, sweepChart, sweepCurves, sweepNets, sweepPlan, sweepReport, sweepSpec } from '../../bench/sweep.js';
import { initialWeights, writeInitialWeights } from '../../bench/weights.js';

const options = (argv: string[]) => parseOptions(argv) as BenchOptions;
const twoCores = { torch: true, cores: 2 };

describe('the flop count of a training step', () => {
  it('counts a 2-3-1 net on a batch of 4 by hand', () => {
    // layer 1 (2 → 3): product 2·4·2·3 = 48; forward 48 + 12 (bias), ∂C/∂W 48 + ∂C/∂b 12; no δ for
    //   the input; 9 parameters.
    // layer 2 (3 → 1): product 2·4·3·1 = 24; forward 24 + 4, ∂C/∂W 24 + ∂C/∂b 4, δ(1) 24; 4 parameters.
    // products and sums: 60 + 60 + 28 + 28 + 24 = 200; 13 parameters: SGD 2·13, Adam 12·13.
    expect(flopsPerStep({ sizes: [2, 3, 1], batchSize: 4, optimizer: 'sgd' })).toBe(226);
    expect(flopsPerStep({ sizes: [2, 3, 1], batchSize: 4, optimizer: 'adam' })).toBe(356);
  });

  it('leaves out less than 1% at every point of the sweep', () => {
    // What is left out, generously: 10 operations per unit and sample (activation, its derivative,
    // softmax's exp, sum and division, the loss and the output δ).
    for (const spec of sweepNets(SWEEP_GRID)) {
      const units = spec.sizes.slice(1).reduce((a, b) => a + b, 0);
      expect((10 * spec.batchSize * units) / flopsPerStep(spec)).toBeLessThan(0.01);
    }
  });
});

describe('the sweep plan', () => {
  it('measures each point once, the point shared by both families included, on every fast row', () => {
    const nets = sweepNets(SWEEP_GRID);
    expect(nets).toHaveLength(7 + 11 - 1);
    expect(nets.filter((s) => s.name === 'sweep-256x128')).toHaveLength(1);
    expect(nets.find((s) => s.name === 'sweep-2048x128')!.sizes).toEqual([784, 2048, 2048, 10]);
    expect(nets.find((s) => s.name === 'sweep-256x1')!.batchSize).toBe(1);

    const { jobs } = sweepPlan(options(['--sweep']), twoCores);
    const rows = [...new Set(jobs.map((j) => `${j.library} ${j.backend}×${j.threads}`))];
    expect(rows).toEqual(['backprop wasm×1', 'backprop wasm×2', 'tfjs-wasm wasm×1', 'pytorch cpu×1', 'pytorch cpu×2']);
    expect(jobs).toHaveLength(nets.length * rows.length);
    expect(jobs.every((j) => j.trainOnly && j.spec.data === 'synthetic' && j.spec.name === j.net)).toBe(true);
  });

  it('is shorter with --quick and follows --library', () => {
    const quick = sweepPlan(options(['--sweep', '--quick']), twoCores).jobs;
    expect(new Set(quick.map((j) => j.net)).size).toBe(sweepNets(QUICK_SWEEP_GRID).length);
    expect([...new Set(quick.map((j) => `${j.library}×${j.threads}`))]).toEqual(['backprop×2', 'tfjs-wasm×1', 'pytorch×2']);
    const ours = sweepPlan(options(['--sweep', '--library', 'backprop']), { torch: false, cores: 1 }).jobs;
    expect(new Set(ours.map((j) => `${j.library} ${j.backend}×${j.threads}`))).toEqual(new Set(['backprop wasm×1']));
  });

  it('has a flag of its own that takes no --net', () => {
    expect(options(['--sweep']).sweep).toBe(true);
    expect(options([]).sweep).toBe(false);
    expect(() => parseOptions(['--sweep', '--net', 'seed'])).toThrow(/--sweep runs its own nets/);
  });
});

describe('the synthetic data', () => {
  it('is seeded, dense (no exact zeros) and one-hot', () => {
    const a = loadBenchData(sweepSpec(32, 8), { train: null, test: null });
    const b = loadBenchData(sweepSpec(64, 1), { train: null, test: null });
    expect(Buffer.from(a.train.x.buffer).equals(Buffer.from(b.train.x.buffer))).toBe(true);
    expect(a.inputs).toBe(784);
    expect(a.train.x.every((v) => v > 0 && v < 1)).toBe(true);
    const oneHot = Array.from({ length: a.train.count }, (_, i) => {
      const row = a.train.y.subarray(i * 10, (i + 1) * 10);
      return row.reduce((s, v) => s + v, 0) === 1 && row[a.train.labels[i]!] === 1;
    });
    expect(oneHot.every(Boolean)).toBe(true);
    // all ten classes drawn
    expect(new Set(a.train.labels).size).toBe(10);
  });
});

/** A result as a child returns it, with the fields the curves read. */
function result(net: string, library: TrainResult['library'], threads: number, samplesPerSec: number, otherCores = 0): TrainResult {
  const interference = { otherCores, ownCores: threads };
  return { net, library, backend: library === 'pytorch' ? 'cpu' : 'wasm', threads, trainSamplesPerSec: samplesPerSec, interference } as TrainResult;
}

const MACHINE: Machine = { cpus: 2, model: 'Test CPU', node: 'v20', platform: 'linux', arch: 'x64', memoryMB: 1, loadAverageAtStart: [0, 0, 0] };

describe('the curves', () => {
  const results = [
    result('sweep-32x128', 'backprop', 2, 100_000),
    result('sweep-256x128', 'backprop', 2, 40_000),
    result('sweep-256x1', 'backprop', 2, 5_000, 0.9),
    result('sweep-256x128', 'pytorch', 1, 20_000),
  ];

  it('puts each result on its families, with GFLOP/s from the flop count', () => {
    const curves = sweepCurves(results, SWEEP_GRID);
    expect(curves.map((c) => c.name)).toEqual(['backprop wasm, 2 threads', 'PyTorch, 1 thread']);
    const ours = curves[0]!;
    expect(ours.width.map((p) => p.width)).toEqual([32, 256]);
    // the shared point is on both curves
    expect(ours.batch.map((p) => p.batch)).toEqual([1, 128]);
    const steps = 40_000 / 128;
    expect(ours.width[1]!.gflops).toBeCloseTo((flopsPerStep(sweepSpec(256, 128)) * steps) / 1e9, 3);
    // timed while other processes took 0.9 cores
    expect(ours.batch.map((p) => p.suspect)).toEqual([true, false]);
  });

  it('reports the grid, the nets, the results and the curves, with the chart and a summary', () => {
    const jobs = sweepPlan(options(['--sweep']), twoCores).jobs;
    const run = { started: new Date(Date.now() - 5000), stamp: 's', host: MACHINE, git: { commit: 'abc1234', dirty: false }, jobs, failures: [], notes: [], versions: {} };
    const { report, svg, summary } = sweepReport(options(['--sweep']), results, run);
    expect(report.settings.grid).toEqual(SWEEP_GRID);
    expect(Object.keys(report.nets)).toHaveLength(17);
    expect(report.results).toHaveLength(results.length);
    expect(report.curves).toEqual(sweepCurves(results, SWEEP_GRID));
    expect(report.seconds).toBeGreaterThanOrEqual(5);
    expect(parseXml(svg).name).toBe('svg');
    expect(summary.split('\n')[0]).toMatch(/^backprop wasm, 2 threads: w32 100000\/s [\d.]+ GFLOP\/s, w256 40000\/s/);
  });

  it('draws an SVG that parses, with a legend, every series on four panels and labelled log axes', () => {
    const svg = sweepChart(sweepCurves(results, SWEEP_GRID), SWEEP_GRID, { machine: MACHINE, commit: 'abc1234', date: '2026-11-30T07:00:00Z' });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const all = descendants(root);
    expect(all.some((e) => e.name === 'script' || 'href' in e.attrs || 'xlink:href' in e.attrs)).toBe(false);
    expect(svg).not.toMatch(/url\(|@import|@font-face/);

    const legend = all.filter((e) => e.attrs.class === 'legend').map((g) => textOf(g));
    expect(legend).toEqual(['backprop wasm, 2 threads', 'PyTorch, 1 thread']);
    const panels = all.filter((e) => e.attrs.class === 'panel');
    expect(panels.map((p) => textOf(p.children[0]!))).toEqual([
      'samples/s against width',
      'GFLOP/s against width',
      'samples/s against batch size',
      'GFLOP/s against batch size',
    ]);
    expect(textOf(root)).toContain('rings: other processes took over 0.25 cores');
    for (const p of panels) {
      const inside = descendants(p);
      // the suspect point (256, batch 1) is a ring on the batch panels
      const rings = inside.filter((e) => e.name === 'circle' && e.attrs.fill === '#ffffff');
      expect(rings).toHaveLength(p === panels[2] || p === panels[3] ? 1 : 0);
      // PyTorch has one point, so a one-point line on the width panels and on the batch panels
      expect(inside.filter((e) => e.name === 'polyline')).toHaveLength(2);
      const axes = inside.filter((e) => e.attrs.class === 'axis').map(textOf);
      expect(axes[1]).toMatch(/^(training samples\/s|GFLOP\/s)$/);
      const ticks = inside.filter((e) => e.attrs.class === 'tick').map(textOf);
      if (axes[0]!.startsWith('width')) expect(ticks).toEqual(expect.arrayContaining(['32', '64', '128', '256', '512', '1024', '2048']));
      else expect(ticks).toEqual(expect.arrayContaining(['1', '2', '4', '8', '16', '32', '64', '128', '256', '512', '1024']));
    }
  });
});

describe('the SVG writer', () => {
  it('puts the first and last tick on the corners of the plot and escapes text', () => {
    const svg = chartSvg({
      title: 'a < b & c',
      panels: [{ title: 'p', x: { label: 'x', ticks: [1, 100] }, y: { label: 'y', ticks: [10, 1000] }, series: [{ name: 'r&d', colour: '#000000', points: [[1, 10], [10, 100], [100, 1000], [50, 0]] }] }],
      columns: 1,
    });
    const root = parseXml(svg);
    expect(textOf(descendants(root).find((e) => e.name === 'text')!)).toBe('a < b & c');
    const panel = descendants(root).find((e) => e.attrs.class === 'panel')!;
    const frame = descendants(panel).find((e) => e.name === 'rect')!.attrs;
    const [left, top, width, height] = [frame.x, frame.y, frame.width, frame.height].map(Number) as [number, number, number, number];
    const line = descendants(panel).find((e) => e.name === 'polyline')!.attrs.points!.split(' ').map((p) => p.split(',').map(Number));
    // the point with y = 0 cannot sit on a log axis: left out
    expect(line).toEqual([
      [left, top + height],
      [left + width / 2, top + height / 2],
      [left + width, top],
    ]);
  });

  it('is checked by a reader that rejects malformed XML', () => {
    for (const bad of ['<svg><g></svg>', '<svg>a & b</svg>', '<svg x=1/>', '<svg/><svg/>', '<svg><text>a < b</text></svg>', '<svg>']) {
      expect(() => parseXml(bad), bad).toThrow();
    }
    expect(parseXml('<svg a="1 &amp; 2"><g/>x &lt; y</svg>')).toEqual({ name: 'svg', attrs: { a: '1 & 2' }, children: [{ name: 'g', attrs: {}, children: [], text: '' }], text: 'x < y' });
  });

  it('chooses 1–2–5 ticks over a few decades and powers of 10 over more', () => {
    expect(logTicks([3, 700])).toEqual([2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    expect(logTicks([0.12, 56.9])).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks([27, 46_804])).toEqual([10, 100, 1000, 10_000, 100_000]);
    expect(logTicks([5, 5])).toEqual([5, 10]);
  });

  it('labels ticks briefly', () => {
    expect([2048, 20_000, 1_500_000, 0.05, 2e9].map(tickLabel)).toEqual(['2048', '20k', '1.5M', '0.05', '2G']);
  });
});

const TINY_TIMING = { warmupSeconds: 0, warmupSteps: 1, segments: 1, segmentSeconds: 0.01, minSegmentSteps: 1, latencySeconds: 0 };

/** A small sweep point as the plan makes it, with the shortest timing. */
function tinyJob(library: Job['library'], backend: string): Job {
  const job = sweepPlan(options(['--sweep', '--library', library]), { torch: true, cores: 1 }).jobs.find((j) => j.net === 'sweep-32x128' && j.backend === backend)!;
  return { ...job, timing: TINY_TIMING };
}

describe('a sweep job', () => {
  it('returns the training throughput only', async () => {
    const r = await runJob(tinyJob('backprop', 'wasm'), () => {});
    expect(r).toMatchObject({ net: 'sweep-32x128', library: 'backprop', backend: 'wasm', trainSamples: 4096 });
    expect(r.trainSamplesPerSec).toBeGreaterThan(0);
    expect(r).not.toHaveProperty('inferSamplesPerSec');
  });

  it.skipIf(spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0)('runs in the PyTorch child too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-sweep-'));
    try {
      const job = tinyJob('pytorch', 'cpu');
      // the files the parent writes for it (run.ts, preparePython)
      const data = loadBenchData(job.spec, { train: null, test: null });
      job.initialWeightsPath = join(dir, 'weights.f32');
      job.rawDataPath = join(dir, 'data.f32');
      job.rawDataCounts = { train: data.train.count, test: data.test.count };
      writeInitialWeights(job.initialWeightsPath, job.spec, initialWeights(job.spec, job.seed));
      writeRawData(job.rawDataPath, data);
      const outcome = await runChild(job);
      expect(outcome.ok, outcome.ok ? '' : outcome.error).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.result).toMatchObject({ net: 'sweep-32x128', library: 'pytorch', threads: 1, trainSamples: 4096 });
      expect(outcome.result.trainSamplesPerSec).toBeGreaterThan(0);
      expect(outcome.result).not.toHaveProperty('inferSamplesPerSec');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * A strict reader for the XML the SVG writer emits: elements, double-quoted attributes, text and
 * the five named entities. Throws on anything malformed (an unclosed or mismatched tag, a bare
 * `&` or `<`, a second root), so that a chart that passes here is well-formed XML.
 */
function parseXml(source: string): XmlElement {
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;
  const attr = /\s+([A-Za-z_][\w:.-]*)="([^"<]*)"/g;
  const decode = (s: string): string =>
    s.replace(/&([a-z]+);|&/g, (m, name: string | undefined) => {
      if (name === undefined || !(name in ENTITIES)) throw new Error(`bare or unknown entity ${m}`);
      return ENTITIES[name]!;
    });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  while (i < source.length) {
    if (source[i] !== '<') {
      const end = source.indexOf('<', i);
      const text = source.slice(i, end === -1 ? source.length : end);
      if (stack.length === 0) {
        if (text.trim() !== '') throw new Error(`text outside the root: ${text.slice(0, 20)}`);
      } else stack[stack.length - 1]!.text += decode(text);
      i = end === -1 ? source.length : end;
      continue;
    }
    tag.lastIndex = i;
    const m = tag.exec(source);
    if (!m) throw new Error(`malformed tag at ${i}: ${source.slice(i, i + 30)}`);
    const [whole, closing, name, attrText, selfClosing] = m as unknown as [string, string, string, string, string];
    i += whole.length;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(attr)) {
      if (a[1]! in attrs) throw new Error(`attribute ${a[1]} twice`);
      attrs[a[1]!] = decode(a[2]!);
    }
    const element: XmlElement = { name, attrs, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
    else if (root) throw new Error('a second root element');
    else root = element;
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 0 || !root) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  return root;
}

function descendants(e: XmlElement): XmlElement[] {
  return e.children.flatMap((c) => [c, ...descendants(c)]);
}

function textOf(e: XmlElement): string {
  return e.text + e.children.map(textOf).join('');
}
