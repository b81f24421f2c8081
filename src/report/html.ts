/**
 * The training report: one self-contained HTML page (inline SVG charts, inline PNG pictures, no
 * script, no request) built from plain data, so that it opens anywhere, offline, and reads the
 * same in a year. Every text that comes from data (class names, file names) is escaped.
 */
import { classScores, type ClassScores } from './metrics.js';
import { grayPng, pngDataUrl } from './png.js';

/** One epoch of the history, as fit reports it (accuracy only for classification). */
export interface EpochPoint {
  /** 0-based, as in fit's EpochLogs; shown 1-based */
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
}

/** A wrongly classified sample: its picture and what the model said. */
export interface Mistake {
  /** the sample's number in its split */
  index: number;
  /** height × width values, row by row, in any range (each picture is drawn from its own darkest to its lightest value) */
  pixels: ArrayLike<number>;
  truth: number;
  predicted: number;
  /** the model's probability of the predicted class */
  probability: number;
}

export interface ReportData {
  title: string;
  /** What was run, as label and value (model, data, network, optimizer, results…). */
  facts: readonly (readonly [string, string])[];
  /** Training's epochs, when the report is of a training run. */
  history?: readonly EpochPoint[];
  /** Classification: the confusion matrix on one split (rows: true class, columns: predicted). */
  classes?: { split: string; names: readonly string[]; confusion: readonly (readonly number[])[] };
  /** Image sets: the most confident mistakes on that split, most confident first. */
  mistakes?: { split: string; height: number; width: number; samples: readonly Mistake[] };
}

/** Chart sizes in CSS pixels. */
const CHART = { width: 520, height: 280, left: 64, right: 16, top: 36, bottom: 44 };
const COLORS = { train: '#1f6fc5', validation: '#d9480f', rate: '#2b8a3e' };
/** Pictures are drawn this many times their pixel size. */
const ZOOM = 3;

/** The page. */
export function reportHtml(data: ReportData): string {
  const sections: string[] = [`<h1>${esc(data.title)}</h1>`, factsTable(data.facts)];
  if (data.history?.length) sections.push(historySection(data.history));
  if (data.classes) sections.push(classesSection(data.classes));
  if (data.mistakes) sections.push(mistakesSection(data.mistakes, data.classes?.names));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 24px auto; max-width: 1120px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child { text-align: left; }
.facts th { font-weight: 600; color: #555; }
.facts td { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .title { font-size: 13px; font-weight: 600; }
svg .grid { stroke: #e6e6e6; }
svg .axis { stroke: #888; }
.mistakes { display: flex; flex-wrap: wrap; gap: 14px; }
figure { margin: 0; text-align: center; font-size: 12px; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; background: #000; }
figcaption b.wrong { color: #c92a2a; }
details { margin-top: 8px; }
.note { color: #666; font-size: 12px; }
`;

function factsTable(facts: ReportData['facts']): string {
  return `<table class="facts">${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function historySection(history: readonly EpochPoint[]): string {
  const epochs = history.map((h) => h.epoch + 1);
  const pick = (f: (h: EpochPoint) => number | undefined) => history.map(f);
  const hasVal = history.some((h) => h.valLoss !== undefined);
  const hasAcc = history.some((h) => h.accuracy !== undefined);
  const charts = [
    lineChart('chart-loss', 'loss', epochs, [
      { name: 'training', values: pick((h) => h.loss), color: COLORS.train },
      ...(hasVal ? [{ name: 'validation', values: pick((h) => h.valLoss), color: COLORS.validation }] : []),
    ]),
  ];
  if (hasAcc) {
    charts.push(
      lineChart('chart-accuracy', 'accuracy', epochs, [
        { name: 'training', values: pick((h) => h.accuracy), color: COLORS.train },
        ...(hasVal ? [{ name: 'validation', values: pick((h) => h.valAccuracy), color: COLORS.validation }] : []),
      ]),
    );
  }
  charts.push(lineChart('chart-lr', 'learning rate η', epochs, [{ name: 'η', values: pick((h) => h.learningRate), color: COLORS.rate }]));
  const all: [string, (h: EpochPoint) => number | undefined, boolean][] = [
    ['loss', (h) => h.loss, true],
    ['accuracy', (h) => h.accuracy, hasAcc],
    ['val loss', (h) => h.valLoss, hasVal],
    ['val accuracy', (h) => h.valAccuracy, hasVal && hasAcc],
    ['η', (h) => h.learningRate, true],
  ];
  const columns = all.filter(([, , shown]) => shown);
  const table =
    `<table class="epochs"><tr><th>epoch</th>${columns.map(([c]) => `<th>${esc(c)}</th>`).join('')}</tr>` +
    history.map((h) => `<tr><td>${h.epoch + 1}</td>${columns.map(([, f]) => `<td>${num(f(h))}</td>`).join('')}</tr>`).join('') +
    '</table>';
  return `<h2>Training, per epoch</h2>
<div class="charts">${charts.join('')}</div>
<details><summary>the numbers</summary>${table}</details>`;
}

interface Series {
  name: string;
  values: readonly (number | undefined)[];
  color: string;
}

/** A line chart of values per epoch, with its axes, grid, legend and a point per epoch. */
function lineChart(id: string, title: string, epochs: readonly number[], series: readonly Series[]): string {
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (!finite.length) [lo, hi] = [0, 1];
  if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
  const ticks = niceTicks(lo, hi, 5);
  lo = Math.min(lo, ticks[0]!);
  hi = Math.max(hi, ticks.at(-1)!);
  const first = epochs[0]!;
  const last = epochs.at(-1)!;
  const x = (e: number) => left + (last === first ? plotW / 2 : ((e - first) / (last - first)) * plotW);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [];
  parts.push(`<text class="title" x="${left}" y="20">${esc(title)}</text>`);
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${px(y(t))}" y2="${px(y(t))}"/>`);
    parts.push(`<text x="${left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${num(t)}</text>`);
  }
  const step = Math.max(1, Math.ceil(epochs.length / 10));
  epochs.forEach((e, i) => {
    if (i % step === 0 || i === epochs.length - 1) parts.push(`<text x="${px(x(e))}" y="${top + plotH + 16}" text-anchor="middle">${e}</text>`);
  });
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">epoch</text>`);
  series.forEach((s, k) => {
    // a line through the epochs that have a value, broken where one is missing
    const runs: string[][] = [[]];
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) runs.push([]);
      else runs.at(-1)!.push(`${px(x(epochs[i]!))},${px(y(v))}`);
    });
    for (const r of runs) if (r.length > 1) parts.push(`<polyline class="series" fill="none" stroke="${s.color}" stroke-width="2" points="${r.join(' ')}"/>`);
    if (epochs.length <= 60) {
      s.values.forEach((v, i) => {
        if (v !== undefined && Number.isFinite(v)) {
          parts.push(`<circle cx="${px(x(epochs[i]!))}" cy="${px(y(v))}" r="2.5" fill="${s.color}"><title>${esc(s.name)}, epoch ${epochs[i]}: ${num(v)}</title></circle>`);
        }
      });
    }
    const lx = left + plotW - 110 * (series.length - k);
    parts.push(`<rect x="${lx}" y="12" width="14" height="3" fill="${s.color}"/><text x="${lx + 18}" y="17">${esc(s.name)}</text>`);
  });
  return `<svg id="${id}" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)} per epoch">${parts.join('')}</svg>`;
}

/** About `count` round values (1, 2 or 5 times a power of ten apart) spanning [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks.at(-1)! < hi) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

function classesSection(c: NonNullable<ReportData['classes']>): string {
  const scores = classScores(c.confusion);
  return `<h2>Classes, on the ${esc(c.split)} set</h2>
<div class="charts">${heatMap(c.names, c.confusion)}${scoresTable(c.names, scores)}</div>`;
}

/**
 * The confusion matrix as a heat map: each cell shaded by its share of the true class's samples,
 * blue on the diagonal (right), red off it (wrong), its count written in when the cell is large enough.
 */
function heatMap(names: readonly string[], confusion: readonly (readonly number[])[]): string {
  const k = names.length;
  const cell = Math.max(8, Math.min(44, Math.floor(440 / k)));
  const label = (i: number) => (names[i] === String(i) ? String(i) : `${i} ${clipText(names[i]!, 14)}`);
  const left = 16 + Math.min(120, 7 * Math.max(...names.map((_, i) => label(i).length)));
  const top = 56;
  const width = Math.max(240, left + k * cell + 16);
  const height = top + k * cell + 16;
  const parts: string[] = [
    `<text class="title" x="0" y="16">confusion matrix</text>`,
    `<text x="0" y="34">rows: true class; columns: predicted</text>`,
  ];
  const labelled = cell >= 14;
  for (let i = 0; i < k; i++) {
    if (labelled) {
      parts.push(`<text x="${left + i * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${i}</text>`);
      parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(label(i))}</text>`);
    }
  }
  confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      const share = total ? count / total : 0;
      const hue = t === p ? 212 : 0;
      const light = count === 0 ? 98 : Math.round(92 - 55 * share);
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(
        `<rect class="cell" x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="hsl(${hue} 75% ${light}%)">` +
          `<title>true ${esc(label(t))}, predicted ${esc(label(p))}: ${count} (${(100 * share).toFixed(1)}% of the class)</title></rect>`,
      );
      if (labelled && count > 0) {
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" style="fill:${light < 60 ? '#fff' : '#222'};font-size:${cell < 28 ? 9 : 11}px">${count}</text>`);
      }
    });
  });
  return `<svg id="confusion" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="confusion matrix">${parts.join('')}</svg>`;
}

function scoresTable(names: readonly string[], scores: readonly ClassScores[]): string {
  const mean = (f: (s: ClassScores) => number) => {
    const v = scores.map(f).filter((x) => !Number.isNaN(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  };
  const rows = scores.map(
    (s, i) => `<tr><td>${esc(names[i] === String(i) ? String(i) : `${i} ${names[i]}`)}</td><td>${s.support}</td><td>${fixed(s.precision)}</td><td>${fixed(s.recall)}</td><td>${fixed(s.f1)}</td></tr>`,
  );
  const support = scores.reduce((n, s) => n + s.support, 0);
  return `<table class="scores"><tr><th>class</th><th>samples</th><th>precision</th><th>recall</th><th>F1</th></tr>${rows.join('')}` +
    `<tr><th>mean over classes</th><th>${support}</th><th>${fixed(mean((s) => s.precision))}</th><th>${fixed(mean((s) => s.recall))}</th><th>${fixed(mean((s) => s.f1))}</th></tr></table>`;
}

function mistakesSection(m: NonNullable<ReportData['mistakes']>, names: readonly string[] | undefined): string {
  const name = (c: number) => esc(names?.[c] ?? String(c));
  const figures = m.samples.map((s) => {
    const src = pngDataUrl(grayPng(m.width, m.height, grayLevels(s.pixels)));
    const alt = `sample ${s.index}: a ${names?.[s.truth] ?? s.truth} taken for a ${names?.[s.predicted] ?? s.predicted}`;
    return `<figure style="width:${Math.max(84, m.width * ZOOM) + 16}px"><img src="${src}" width="${m.width * ZOOM}" height="${m.height * ZOOM}" alt="${esc(alt)}">` +
      `<figcaption>#${s.index}<br>true <b>${name(s.truth)}</b><br>predicted <b class="wrong">${name(s.predicted)}</b><br>p = ${fixed(s.probability)}</figcaption></figure>`;
  });
  const body = figures.length ? `<div class="mistakes">${figures.join('')}</div>` : '<p>No mistakes on this set.</p>';
  return `<h2>The most confident mistakes, on the ${esc(m.split)} set</h2>
<p class="note">The wrongly classified samples to which the model gave the highest probability, most confident first.</p>
${body}`;
}

/** A picture's values as gray levels 0..255, from its own darkest value (black) to its lightest (white). */
function grayLevels(pixels: ArrayLike<number>): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    lo = Math.min(lo, pixels[i]!);
    hi = Math.max(hi, pixels[i]!);
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  return Uint8Array.from({ length: pixels.length }, (_, i) => Math.round((pixels[i]! - lo) * scale));
}

/** Text safe inside HTML elements and quoted attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number in 4 significant digits ("–" for none or NaN). */
function num(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : String(Number(v.toPrecision(4)));
}

/** A fraction in 4 decimals ("–" for NaN: e.g. the precision of a class never predicted). */
function fixed(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : '–';
}

function px(v: number): string {
  return v.toFixed(1);
}

function clipText(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
