/**
 * Drawing: canvas heat maps (decision boundary, per-neuron maps), the points, the network as
 * HTML neurons over an SVG of links, and the loss chart. No numbers are computed here.
 */
import type { ActivationId } from '../../src/activations/index.js';
import { DOMAIN, GRID, type Sample } from './data.js';
import type { LayerWeights } from './model.js';

export type RGB = [number, number, number];

/** Class colours: class 0 orange and class 1 blue (as in TensorFlow Playground), then more. */
export const CLASS_COLORS: RGB[] = [
  [245, 147, 34],
  [8, 119, 189],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [90, 90, 90],
];
const NEG: RGB = CLASS_COLORS[0]!;
const POS: RGB = CLASS_COLORS[1]!;
const MID: RGB = [236, 238, 240];

export const css = (c: RGB, alpha = 1): string => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** v in [-1, 1]: orange (−1) … light grey (0) … blue (+1). */
export function diverging(v: number): RGB {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  return t < 0 ? mix(MID, NEG, -t) : mix(MID, POS, t);
}

/** A neuron's output a mapped to [-1, 1] for its heat map: sigmoid and softmax live in [0, 1]. */
export function neuronValue(act: ActivationId, a: number): number {
  return act === 'sigmoid' || act === 'softmax' ? 2 * a - 1 : a;
}

/** Paints GRID × GRID colours into a canvas (scaled to the canvas size, smoothed). */
export function paintGrid(canvas: HTMLCanvasElement, color: (i: number) => RGB): void {
  const img = new ImageData(GRID, GRID);
  for (let i = 0; i < GRID * GRID; i++) {
    const c = color(i);
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  if (canvas.width === GRID && canvas.height === GRID) {
    canvas.getContext('2d')!.putImageData(img, 0, 0);
    return;
  }
  const off = document.createElement('canvas');
  off.width = GRID;
  off.height = GRID;
  off.getContext('2d')!.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/**
 * The colour of the output at grid point i: one output (a class probability or a regression value)
 * on the diverging scale; several outputs as the winning class's colour, paler when unsure.
 */
export function outputColor(outputs: Float32Array[], act: ActivationId, task: 'classification' | 'regression'): (i: number) => RGB {
  if (outputs.length === 1) {
    const o = outputs[0]!;
    return (i) => diverging(0.75 * (task === 'regression' ? o[i]! : neuronValue(act, o[i]!)));
  }
  const K = outputs.length;
  return (i) => {
    let best = 0;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = Math.max(0, outputs[k]![i]!);
      sum += v;
      if (v > outputs[best]![i]!) best = k;
    }
    const p = sum > 0 ? Math.max(0, outputs[best]![i]!) / sum : 1 / K;
    const confidence = Math.max(0, (p - 1 / K) / (1 - 1 / K));
    return mix(MID, CLASS_COLORS[best % CLASS_COLORS.length]!, 0.1 + 0.6 * confidence);
  };
}

/** Canvas pixel of a point of the plane, for a square canvas of `size` pixels. */
export function toPixel(x1: number, x2: number, size: number): [number, number] {
  return [((x1 + DOMAIN) / (2 * DOMAIN)) * size, ((DOMAIN - x2) / (2 * DOMAIN)) * size];
}

export function fromPixel(px: number, py: number, size: number): [number, number] {
  return [(px / size) * 2 * DOMAIN - DOMAIN, DOMAIN - (py / size) * 2 * DOMAIN];
}

export function pointColor(s: Sample, task: 'classification' | 'regression'): RGB {
  return task === 'regression' ? diverging(s.label) : CLASS_COLORS[s.label % CLASS_COLORS.length]!;
}

/** Training points filled with a white ring; test points with a black ring and a dark centre dot. */
export function drawPoints(
  ctx: CanvasRenderingContext2D,
  size: number,
  train: readonly Sample[],
  test: readonly Sample[] | null,
  task: 'classification' | 'regression',
  selected: Sample | null,
): void {
  const r = Math.max(2.5, size / 110);
  const dot = (s: Sample, isTest: boolean): void => {
    const [x, y] = toPixel(s.x1, s.x2, size);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = css(pointColor(s, task));
    ctx.fill();
    ctx.lineWidth = isTest ? 1.6 : 1;
    ctx.strokeStyle = isTest ? '#111' : '#fff';
    ctx.stroke();
    if (isTest) {
      ctx.beginPath();
      ctx.arc(x, y, r / 3, 0, 2 * Math.PI);
      ctx.fillStyle = '#111';
      ctx.fill();
    }
  };
  for (const s of train) dot(s, false);
  if (test) for (const s of test) dot(s, true);
  if (selected) {
    const [x, y] = toPixel(selected.x1, selected.x2, size);
    ctx.beginPath();
    ctx.arc(x, y, r * 2.6, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = '#e0006c';
    ctx.stroke();
  }
}

/** Axes ticks at −1, 0, 1 on the plane. */
export function drawAxes(ctx: CanvasRenderingContext2D, size: number): void {
  ctx.strokeStyle = 'rgba(0,0,0,0.12)';
  ctx.lineWidth = 1;
  const [x0, y0] = toPixel(0, 0, size);
  ctx.beginPath();
  ctx.moveTo(x0, 0);
  ctx.lineTo(x0, size);
  ctx.moveTo(0, y0);
  ctx.lineTo(size, y0);
  ctx.stroke();
}

const SVG = 'http://www.w3.org/2000/svg';

export interface NetworkLayout {
  /** labels of the input units */
  inputs: string[];
  /** units per layer, layers 1..L */
  units: number[];
  activations: ActivationId[];
}

/** A colour for a gradient or weight value relative to the largest magnitude shown. */
export function signedColor(v: number, scale: number): string {
  return css(diverging(scale > 0 ? v / scale : 0));
}

/**
 * The network drawing: one column per layer (inputs first), each neuron a small canvas (its own
 * output as a heat map) or a plain circle, joined by SVG lines whose colour is the weight's sign and
 * whose width is its size. `highlight` colours the neurons and weights one backward step touches.
 */
export class NetworkView {
  readonly root: HTMLDivElement;
  private readonly svg: SVGSVGElement;
  private readonly links: SVGLineElement[][][] = [];
  private readonly linkTitles: SVGTitleElement[][][] = [];
  private readonly neurons: HTMLElement[][] = [];
  private readonly canvases: HTMLCanvasElement[][] = [];

  constructor(
    container: HTMLElement,
    readonly layout: NetworkLayout,
    options: { heatmaps: boolean; size?: number; onNeuron?: (layer: number, unit: number) => void },
  ) {
    container.replaceChildren();
    const columns = [layout.inputs.length, ...layout.units];
    const maxUnits = Math.max(...columns);
    const S = options.size ?? (options.heatmaps ? (maxUnits > 10 ? 22 : 34) : maxUnits > 10 ? 14 : 22);
    const gapY = Math.max(6, Math.round(S * 0.35));
    const height = maxUnits * (S + gapY) + 24;
    // spread the columns over the space there is (the panel's width), within reason
    const room = container.clientWidth || 480;
    const colGap = columns.length > 1 ? Math.max(64, Math.min(170, (room - S - 80) / (columns.length - 1))) : 64;
    const width = (columns.length - 1) * colGap + S + 70;
    this.root = document.createElement('div');
    this.root.className = 'netview';
    this.root.style.width = `${width}px`;
    this.root.style.height = `${height}px`;
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('height', String(height));
    this.svg.setAttribute('aria-hidden', 'true');
    this.root.append(this.svg);
    const pos = (l: number, j: number): [number, number] => {
      const n = columns[l]!;
      const top = (height - 16 - n * (S + gapY) + gapY) / 2 + 16;
      return [50 + l * colGap, top + j * (S + gapY)];
    };
    // links first (under the neurons)
    for (let l = 1; l < columns.length; l++) {
      const rows: SVGLineElement[][] = [];
      const titles: SVGTitleElement[][] = [];
      for (let j = 0; j < columns[l]!; j++) {
        const row: SVGLineElement[] = [];
        const trow: SVGTitleElement[] = [];
        for (let i = 0; i < columns[l - 1]!; i++) {
          const [x1, y1] = pos(l - 1, i);
          const [x2, y2] = pos(l, j);
          const line = document.createElementNS(SVG, 'line');
          line.setAttribute('x1', String(x1 + S));
          line.setAttribute('y1', String(y1 + S / 2));
          line.setAttribute('x2', String(x2));
          line.setAttribute('y2', String(y2 + S / 2));
          line.setAttribute('class', 'link');
          line.dataset['link'] = `${l}:${j}:${i}`;
          const title = document.createElementNS(SVG, 'title');
          line.append(title);
          this.svg.append(line);
          row.push(line);
          trow.push(title);
        }
        rows.push(row);
        titles.push(trow);
      }
      this.links[l] = rows;
      this.linkTitles[l] = titles;
    }
    for (let l = 0; l < columns.length; l++) {
      const els: HTMLElement[] = [];
      const cvs: HTMLCanvasElement[] = [];
      const label = document.createElement('div');
      label.className = 'layer-label';
      const last = l === columns.length - 1;
      label.textContent = l === 0 ? 'input' : last ? (options.heatmaps ? `output (${layout.activations[l - 1]})` : 'output') : options.heatmaps ? `layer ${l}` : `${l}`;
      const [lx] = pos(l, 0);
      label.style.left = `${lx + S / 2}px`;
      this.root.append(label);
      for (let j = 0; j < columns[l]!; j++) {
        const [x, y] = pos(l, j);
        const el = document.createElement(options.onNeuron && l > 0 ? 'button' : 'div');
        el.className = `neuron${options.heatmaps ? '' : ' plain'}${l === 0 ? ' input' : ''}`;
        el.style.left = `${x}px`;
        el.style.top = `${y}px`;
        el.style.width = `${S}px`;
        el.style.height = `${S}px`;
        el.dataset['neuron'] = `${l}:${j}`;
        const name = l === 0 ? layout.inputs[j]! : `a(${l})${sub(j + 1)}`;
        el.title = l === 0 ? `input ${name}` : `layer ${l}, neuron ${j + 1}`;
        if (options.heatmaps) {
          const c = document.createElement('canvas');
          c.width = GRID;
          c.height = GRID;
          el.append(c);
          cvs.push(c);
        }
        if (l === 0) {
          const t = document.createElement('span');
          t.className = 'input-name';
          t.textContent = name;
          el.append(t);
        }
        if (options.onNeuron && l > 0) {
          const cb = options.onNeuron;
          el.addEventListener('click', () => cb(l, j));
          el.setAttribute('aria-label', el.title);
        }
        this.root.append(el);
        els.push(el);
      }
      this.neurons.push(els);
      this.canvases.push(cvs);
    }
    container.append(this.root);
  }

  /** Weights as lines (colour = sign, width = size) and, with heat maps, every neuron's output. */
  update(weights: readonly LayerWeights[], neurons: readonly Float32Array[][] | null, inputMaps: readonly Float32Array[] | null): void {
    let maxW = 0;
    for (const w of weights) for (const v of w.W) maxW = Math.max(maxW, Math.abs(v));
    const widthOf = (v: number): number => 0.4 + 5.5 * Math.min(1, Math.abs(v) / Math.max(1, maxW));
    weights.forEach((w, li) => {
      const l = li + 1;
      const inputs = this.links[l]?.[0]?.length ?? 0;
      this.links[l]?.forEach((row, j) =>
        row.forEach((line, i) => {
          const v = w.W[j * inputs + i]!;
          line.setAttribute('stroke', v >= 0 ? css(CLASS_COLORS[1]!, 0.85) : css(CLASS_COLORS[0]!, 0.85));
          line.setAttribute('stroke-width', widthOf(v).toFixed(2));
          this.linkTitles[l]![j]![i]!.textContent = `w(${l})[${j + 1},${i + 1}] = ${v.toPrecision(4)}`;
        }),
      );
      this.neurons[l]?.forEach((el, j) => {
        el.title = `layer ${l}, neuron ${j + 1}: b = ${w.b[j]!.toPrecision(4)}`;
      });
    });
    if (inputMaps) inputMaps.forEach((m, j) => this.canvases[0]?.[j] && paintGrid(this.canvases[0][j]!, (i) => diverging(m[i]!)));
    if (neurons) {
      neurons.forEach((layer, li) => {
        const act = this.layout.activations[li]!;
        layer.forEach((values, j) => {
          const c = this.canvases[li + 1]?.[j];
          if (c) paintGrid(c, (i) => diverging(neuronValue(act, values[i]!)));
        });
      });
    }
  }

  /** Colours the given neurons (by value) and links (by value); everything else is dimmed. */
  highlight(h: { neurons: Map<string, number>; links: Map<string, number> } | null): void {
    this.root.classList.toggle('dim', h !== null);
    let scaleN = 0;
    let scaleL = 0;
    if (h) {
      for (const v of h.neurons.values()) scaleN = Math.max(scaleN, Math.abs(v));
      for (const v of h.links.values()) scaleL = Math.max(scaleL, Math.abs(v));
    }
    this.neurons.forEach((col) =>
      col.forEach((el) => {
        const v = h?.neurons.get(el.dataset['neuron']!);
        el.classList.toggle('lit', v !== undefined);
        el.style.background = v !== undefined ? signedColor(v, scaleN) : '';
      }),
    );
    this.links.forEach((rows) =>
      rows?.forEach((row) =>
        row.forEach((line) => {
          const v = h?.links.get(line.dataset['link']!);
          line.classList.toggle('lit', v !== undefined);
          if (v !== undefined) {
            line.setAttribute('stroke', signedColor(v, scaleL));
            line.setAttribute('stroke-width', (1.5 + 4 * (scaleL > 0 ? Math.abs(v) / scaleL : 0)).toFixed(2));
          }
        }),
      ),
    );
  }
}

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
export function sub(n: number): string {
  return String(n)
    .split('')
    .map((d) => SUBSCRIPTS[Number(d)])
    .join('');
}

/** Train (solid) and test (dashed) loss against the epoch. */
export function drawLossChart(canvas: HTMLCanvasElement, points: readonly { epoch: number; trainLoss: number; testLoss: number | null }[]): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300;
  const h = canvas.clientHeight || 90;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (points.length === 0) return;
  let max = 0;
  for (const p of points) {
    if (Number.isFinite(p.trainLoss)) max = Math.max(max, p.trainLoss);
    if (p.testLoss !== null && Number.isFinite(p.testLoss)) max = Math.max(max, p.testLoss);
  }
  if (max <= 0) max = 1;
  const first = points[0]!.epoch;
  const last = Math.max(first + 1, points[points.length - 1]!.epoch);
  const X = (e: number): number => 4 + ((e - first) / (last - first)) * (w - 8);
  const Y = (v: number): number => h - 4 - (Math.min(v, max) / max) * (h - 8);
  const line = (get: (p: (typeof points)[number]) => number | null, color: string, dash: number[]): void => {
    ctx.beginPath();
    ctx.setLineDash(dash);
    let started = false;
    for (const p of points) {
      const v = get(p);
      if (v === null || !Number.isFinite(v)) continue;
      if (started) ctx.lineTo(X(p.epoch), Y(v));
      else ctx.moveTo(X(p.epoch), Y(v));
      started = true;
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.stroke();
    ctx.setLineDash([]);
  };
  line((p) => p.trainLoss, '#333', []);
  line((p) => p.testLoss, '#0877bd', [5, 3]);
  ctx.fillStyle = '#5f6b76';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.fillText(`${Number(max.toPrecision(3))}`, w - 4 - ctx.measureText(`${Number(max.toPrecision(3))}`).width, 2);
  ctx.textBaseline = 'bottom';
  const span = `epochs ${first}–${points[points.length - 1]!.epoch}`;
  ctx.fillText(span, w - 4 - ctx.measureText(span).width, h - 2);
}
