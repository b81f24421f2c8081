/**
 * Drawing: canvas heat maps (decision boundary, per-neuron maps), the points, the legend, the
 * network as HTML neurons over an SVG of links, the loss, accuracy and gradient-flow charts. No
 * numbers of the network are computed here.
 */
import { DOMAIN, GRID, type Sample } from './data.js';
import type { LayerWeights } from './model.js';
import type { EpochPoint, FlowPoint } from './protocol.js';

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
export function neuronValue(act: string, a: number): number {
  return act === 'sigmoid' || act === 'softmax' ? 2 * a - 1 : a;
}

/** Paints GRID × GRID colours into a canvas (scaled to the canvas size, smoothed): the small neuron maps. */
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
 * Paints a field given on the GRID × GRID points at the canvas's resolution: the values (not the
 * colours) are interpolated bilinearly between grid points and then coloured, so a boundary is a
 * smooth curve instead of the grid's staircase.
 */
function paintField(ctx: CanvasRenderingContext2D, size: number, channels: readonly Float32Array[], colorAt: (v: number[]) => RGB): void {
  const R = Math.max(1, Math.min(size, 320));
  const img = new ImageData(R, R);
  const v = new Array<number>(channels.length).fill(0);
  for (let py = 0; py < R; py++) {
    // grid point centres are at (i + 0.5)/GRID of the side
    const gy = Math.max(0, Math.min(GRID - 1, ((py + 0.5) / R) * GRID - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(GRID - 1, y0 + 1);
    const ty = gy - y0;
    for (let px = 0; px < R; px++) {
      const gx = Math.max(0, Math.min(GRID - 1, ((px + 0.5) / R) * GRID - 0.5));
      const x0 = Math.floor(gx);
      const x1 = Math.min(GRID - 1, x0 + 1);
      const tx = gx - x0;
      for (let c = 0; c < channels.length; c++) {
        const f = channels[c]!;
        const top = f[y0 * GRID + x0]! * (1 - tx) + f[y0 * GRID + x1]! * tx;
        const bottom = f[y1 * GRID + x0]! * (1 - tx) + f[y1 * GRID + x1]! * tx;
        v[c] = top * (1 - ty) + bottom * ty;
      }
      const col = colorAt(v);
      const i = 4 * (py * R + px);
      img.data[i] = col[0];
      img.data[i + 1] = col[1];
      img.data[i + 2] = col[2];
      img.data[i + 3] = 255;
    }
  }
  const off = document.createElement('canvas');
  off.width = R;
  off.height = R;
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(off, 0, 0, size, size);
}

/** The strength of the background colours: points drawn on top stay in full colour. */
const FIELD = 0.7;

/**
 * The colour of the output at a point: one output on the diverging scale (P(class 1) from 0 to 1,
 * or a regression value from −1 to 1); several outputs as the winning class's colour, paler when
 * unsure. Discretized: the predicted class only (P ≥ 0.5 is class 1).
 */
export function outputColor(act: string, task: 'classification' | 'regression', discretize: boolean): (v: number[]) => RGB {
  return (v) => {
    if (v.length === 1) {
      const t = task === 'regression' ? v[0]! : neuronValue(act, v[0]!);
      if (discretize) return task === 'regression' ? diverging(FIELD * Math.sign(t)) : diverging(t >= 0 ? FIELD : -FIELD);
      return diverging(FIELD * t);
    }
    let best = 0;
    let sum = 0;
    for (let k = 0; k < v.length; k++) {
      const x = Math.max(0, v[k]!);
      sum += x;
      if (v[k]! > v[best]!) best = k;
    }
    const color = CLASS_COLORS[best % CLASS_COLORS.length]!;
    if (discretize) return mix(MID, color, FIELD);
    const p = sum > 0 ? Math.max(0, v[best]!) / sum : 1 / v.length;
    const confidence = Math.max(0, (p - 1 / v.length) / (1 - 1 / v.length));
    return mix(MID, color, 0.1 + (FIELD - 0.1) * confidence);
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

export interface PlaneView {
  /** the output units' values on the grid (null before the first snapshot) */
  outputs: readonly Float32Array[] | null;
  /** a hovered neuron's map, shown instead of the output */
  neuron: { values: Float32Array; activation: string } | null;
  activation: string;
  task: 'classification' | 'regression';
  discretize: boolean;
  train: readonly Sample[];
  test: readonly Sample[] | null;
  selected: Sample | null;
}

/** The plane: the output (or a hovered neuron's map) as a field, the axes with ticks, the points. */
export function drawPlane(canvas: HTMLCanvasElement, v: PlaneView): void {
  const dpr = window.devicePixelRatio || 1;
  const size = Math.round(canvas.clientWidth * dpr);
  if (size > 0 && (canvas.width !== size || canvas.height !== size)) {
    canvas.width = size;
    canvas.height = size;
  }
  const ctx = canvas.getContext('2d')!;
  if (v.neuron) {
    const act = v.neuron.activation;
    paintField(ctx, canvas.width, [v.neuron.values], (x) => diverging(neuronValue(act, x[0]!)));
  } else if (v.outputs) paintField(ctx, canvas.width, v.outputs, outputColor(v.activation, v.task, v.discretize));
  else {
    ctx.fillStyle = '#f4f5f6';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  drawAxes(ctx, canvas.width, dpr);
  drawPoints(ctx, canvas.width, v.train, v.test, v.task, v.selected, dpr);
}

/**
 * Training points are discs, test points squares (a shape, so they read on any background); both
 * in their class colour (or target value) with a white ring inside a dark outline.
 */
export function drawPoints(
  ctx: CanvasRenderingContext2D,
  size: number,
  train: readonly Sample[],
  test: readonly Sample[] | null,
  task: 'classification' | 'regression',
  selected: Sample | null,
  dpr = 1,
): void {
  const r = Math.max(2.5 * dpr, size / 120);
  const shape = (x: number, y: number, isTest: boolean, grow: number): void => {
    ctx.beginPath();
    if (isTest) ctx.rect(x - (r + grow) * 0.9, y - (r + grow) * 0.9, 1.8 * (r + grow), 1.8 * (r + grow));
    else ctx.arc(x, y, r + grow, 0, 2 * Math.PI);
  };
  const dot = (s: Sample, isTest: boolean): void => {
    const [x, y] = toPixel(s.x1, s.x2, size);
    shape(x, y, isTest, 1.2 * dpr);
    ctx.fillStyle = '#1d2329';
    ctx.fill();
    shape(x, y, isTest, 0.4 * dpr);
    ctx.fillStyle = '#fff';
    ctx.fill();
    shape(x, y, isTest, -0.6 * dpr);
    ctx.fillStyle = css(pointColor(s, task));
    ctx.fill();
  };
  for (const s of train) dot(s, false);
  if (test) for (const s of test) dot(s, true);
  if (selected) {
    const [x, y] = toPixel(selected.x1, selected.x2, size);
    ctx.beginPath();
    ctx.arc(x, y, r * 2.6, 0, 2 * Math.PI);
    ctx.lineWidth = 3 * dpr;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    ctx.lineWidth = 2 * dpr;
    ctx.strokeStyle = '#c2185b';
    ctx.stroke();
  }
}

/** The axes through 0, with ticks and labels at −1, 0, 1 and the names x₁, x₂. */
export function drawAxes(ctx: CanvasRenderingContext2D, size: number, dpr = 1): void {
  ctx.strokeStyle = 'rgba(0,0,0,0.25)';
  ctx.lineWidth = dpr;
  const [x0, y0] = toPixel(0, 0, size);
  ctx.beginPath();
  ctx.moveTo(x0, 0);
  ctx.lineTo(x0, size);
  ctx.moveTo(0, y0);
  ctx.lineTo(size, y0);
  ctx.stroke();
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillStyle = '#1d2329';
  const tick = 5 * dpr;
  for (const t of [-1, 1]) {
    const [tx] = toPixel(t, 0, size);
    const [, ty] = toPixel(0, t, size);
    ctx.beginPath();
    ctx.moveTo(tx, y0 - tick);
    ctx.lineTo(tx, y0 + tick);
    ctx.moveTo(x0 - tick, ty);
    ctx.lineTo(x0 + tick, ty);
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(String(t), tx, y0 + tick + dpr);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(String(t), x0 + tick + 2 * dpr, ty);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText('x₁', size - 4 * dpr, y0 - 3 * dpr);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText('x₂', x0 + 5 * dpr, 3 * dpr);
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
}

/** The legend under the plane: which colour is which class (or value), and the two point shapes. */
export function legendHtml(o: { task: 'classification' | 'regression'; classes: number; outputs: number; discretize: boolean; neuron: string | null }): string {
  const bar = (left: string, mid: string, right: string, title: string): string =>
    `<div class="scale"><span class="scale-title">${title}</span><span class="bar" style="background: linear-gradient(to right, ${css(diverging(-FIELD))}, ${css(MID)}, ${css(diverging(FIELD))})"></span>` +
    `<span class="ticks"><span>${left}</span><span>${mid}</span><span>${right}</span></span></div>`;
  const shapes = '<span class="shape disc"></span> training point <span class="shape square"></span> test point';
  if (o.neuron) return `${bar('−1', '0', '1', `the map of ${o.neuron} (a; sigmoid 0…1 shown as −1…1)`)}<p class="keys">${shapes}</p>`;
  if (o.task === 'regression') return `${bar('−1', '0', '1', 'target and prediction')}<p class="keys">${shapes}</p>`;
  const swatches = Array.from(
    { length: o.classes },
    (_, c) => `<span class="swatch-dot" style="background:${css(CLASS_COLORS[c % CLASS_COLORS.length]!)}"></span> class ${c}`,
  ).join(' ');
  const background =
    o.outputs === 1 && !o.discretize
      ? bar('0', '0.5', '1', 'background: P(class 1)')
      : `<p class="keys">background: the predicted class${o.discretize ? '' : ', paler where the network is unsure'}</p>`;
  return `<p class="keys">${swatches}</p>${background}<p class="keys">${shapes}</p>`;
}

const SVG = 'http://www.w3.org/2000/svg';

export interface NetworkLayout {
  /** labels of the input units */
  inputs: string[];
  /** units per layer, layers 1..L */
  units: number[];
  /** activation ids of layers 1..L */
  activations: string[];
}

/**
 * The backward view's colour of a value: one fixed log scale for every step and every epoch (a
 * scale per step would make 10⁻⁴ look like 1): pale at |v| ≤ 10⁻⁴, full at |v| ≥ 1.
 */
export function logStrength(v: number): number {
  const a = Math.abs(v);
  if (!(a > 1e-4)) return 0;
  return Math.min(1, Math.log10(a / 1e-4) / 4);
}
export function signedColor(v: number): string {
  return css(diverging(Math.sign(v) * logStrength(v)));
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
  /** the hit lines' titles, kept equal to their lines' */
  private readonly hitTitles: [SVGTitleElement, SVGTitleElement][] = [];

  constructor(
    container: HTMLElement,
    readonly layout: NetworkLayout,
    options: {
      heatmaps: boolean;
      size?: number;
      /** a click on neuron `unit` of `layer` (1..L) */
      onNeuron?: (layer: number, unit: number) => void;
      /** a click on the line of weight w(layer)[unit, input] */
      onLink?: (layer: number, unit: number, input: number) => void;
      /** the pointer (or focus) is on a neuron ([layer, unit], layer 0 = inputs), or left it (null) */
      onHover?: (neuron: [number, number] | null) => void;
    },
  ) {
    container.replaceChildren();
    const columns = [layout.inputs.length, ...layout.units];
    const maxUnits = Math.max(...columns);
    const S = options.size ?? (options.heatmaps ? (maxUnits > 10 ? 22 : 34) : maxUnits > 10 ? 14 : 22);
    const gapY = Math.max(6, Math.round(S * 0.35));
    const height = maxUnits * (S + gapY) + 24;
    // spread the columns over the space there is (the panel's width), within reason
    const room = container.clientWidth || 480;
    const minGap = options.heatmaps ? 64 : 36;
    const colGap = columns.length > 1 ? Math.max(minGap, Math.min(170, (room - S - 80) / (columns.length - 1))) : minGap;
    const width = (columns.length - 1) * colGap + S + 70;
    this.root = document.createElement('div');
    this.root.className = 'netview';
    this.root.style.width = `${width}px`;
    this.root.style.height = `${height}px`;
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('height', String(height));
    this.svg.setAttribute('aria-hidden', 'true');
    if (options.onLink) this.svg.classList.add('clickable');
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
          if (options.onLink) {
            // a wide transparent twin of the line takes the clicks (the line itself is 1–6 px)
            const hit = document.createElementNS(SVG, 'line');
            for (const a of ['x1', 'y1', 'x2', 'y2']) hit.setAttribute(a, line.getAttribute(a)!);
            hit.setAttribute('class', 'link-hit');
            hit.dataset['hit'] = `${l}:${j}:${i}`;
            const cb = options.onLink;
            hit.addEventListener('click', () => cb(l, j, i));
            hit.append(title.cloneNode());
            this.svg.append(hit);
            this.hitTitles.push([hit.firstChild as SVGTitleElement, title]);
          }
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
      label.textContent = l === 0 ? 'input' : last ? 'output' : options.heatmaps ? `layer ${l}` : `${l}`;
      if (last) label.title = `${layout.activations[l - 1]} output`;
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
          el.setAttribute('aria-label', `${el.title}: edit its weights`);
        }
        if (options.onHover) {
          const hover = options.onHover;
          el.addEventListener('mouseenter', () => hover([l, j]));
          el.addEventListener('mouseleave', () => hover(null));
          el.addEventListener('focus', () => hover([l, j]));
          el.addEventListener('blur', () => hover(null));
        }
        this.root.append(el);
        els.push(el);
      }
      this.neurons.push(els);
      this.canvases.push(cvs);
    }
    container.append(this.root);
  }

  /**
   * Weights as lines (colour = sign, width = size) and, with heat maps, every neuron's output; with
   * `output: 'classes'` each output unit's map is in its class's colour (one unit per class).
   */
  update(weights: readonly LayerWeights[], neurons: readonly Float32Array[][] | null, inputMaps: readonly Float32Array[] | null, output: 'diverging' | 'classes' = 'diverging'): void {
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
          this.linkTitles[l]![j]![i]!.textContent = `w(${l})${sub(j + 1)},${sub(i + 1)} = ${v.toPrecision(4)}`;
        }),
      );
      for (const [hit, line] of this.hitTitles) hit.textContent = line.textContent;
      this.neurons[l]?.forEach((el, j) => {
        el.title = `layer ${l}, neuron ${j + 1}: b = ${w.b[j]!.toPrecision(4)}`;
      });
    });
    if (inputMaps) inputMaps.forEach((m, j) => this.canvases[0]?.[j] && paintGrid(this.canvases[0][j]!, (i) => diverging(m[i]!)));
    if (neurons) {
      neurons.forEach((layer, li) => {
        const act = this.layout.activations[li]!;
        const classes = output === 'classes' && li === neurons.length - 1;
        layer.forEach((values, j) => {
          const c = this.canvases[li + 1]?.[j];
          const color = CLASS_COLORS[j % CLASS_COLORS.length]!;
          if (c) paintGrid(c, classes ? (i) => mix(MID, color, Math.max(0, Math.min(1, values[i]!))) : (i) => diverging(neuronValue(act, values[i]!)));
        });
      });
    }
  }

  /** Colours the given neurons and links by value (one fixed log scale); everything else is dimmed. */
  highlight(h: { neurons: Map<string, number>; links: Map<string, number> } | null): void {
    this.root.classList.toggle('dim', h !== null);
    this.neurons.forEach((col) =>
      col.forEach((el) => {
        const v = h?.neurons.get(el.dataset['neuron']!);
        el.classList.toggle('lit', v !== undefined);
        el.style.background = v !== undefined ? signedColor(v) : '';
        if (v !== undefined) el.dataset['v'] = String(v);
        else delete el.dataset['v'];
      }),
    );
    this.links.forEach((rows) =>
      rows?.forEach((row) =>
        row.forEach((line) => {
          const v = h?.links.get(line.dataset['link']!);
          line.classList.toggle('lit', v !== undefined);
          if (v !== undefined) {
            line.setAttribute('stroke', signedColor(v));
            line.setAttribute('stroke-width', (1.5 + 4 * logStrength(v)).toFixed(2));
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

/** The epoch under the pointer on the loss and accuracy charts. */
export type ChartHit = EpochPoint;

interface Series {
  values: (number | null)[];
  color: string;
  dash: number[];
}

/** A canvas the size it is shown at (device pixels), its context scaled to CSS pixels. */
function fitCanvas(canvas: HTMLCanvasElement, fallbackHeight: number): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300;
  const h = canvas.clientHeight || fallbackHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

const INK = '#1d2329';
const MUTED = '#4f5b66';
const LEFT = 44;
const BOTTOM = 16;

/**
 * A line chart with labelled axes (y: its title and 0…max; x: first and last epoch) and a marker at
 * the hovered epoch. Returns the index of the hovered point.
 */
function lineChart(canvas: HTMLCanvasElement, epochs: readonly number[], series: readonly Series[], o: { title: string; max: number | null; format: (v: number) => string; hoverX: number | null; height: number }): number | null {
  const { ctx, w, h } = fitCanvas(canvas, o.height);
  const top = 6;
  const right = 6;
  if (epochs.length === 0) return null;
  let max = o.max ?? 0;
  if (o.max === null) for (const s of series) for (const v of s.values) if (v !== null && Number.isFinite(v)) max = Math.max(max, v);
  if (!(max > 0)) max = 1;
  const first = epochs[0]!;
  const last = Math.max(first + 1, epochs[epochs.length - 1]!);
  const X = (e: number): number => LEFT + ((e - first) / (last - first)) * (w - LEFT - right);
  const Y = (v: number): number => h - BOTTOM - (Math.min(v, max) / max) * (h - BOTTOM - top);
  ctx.strokeStyle = '#c9ced3';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(LEFT, top);
  ctx.lineTo(LEFT, h - BOTTOM);
  ctx.lineTo(w - right, h - BOTTOM);
  ctx.stroke();
  for (const s of series) {
    ctx.beginPath();
    ctx.setLineDash(s.dash);
    let started = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      if (started) ctx.lineTo(X(epochs[i]!), Y(v));
      else ctx.moveTo(X(epochs[i]!), Y(v));
      started = true;
    });
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.6;
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.fillStyle = MUTED;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(o.format(max), LEFT - 4, top - 2);
  ctx.textBaseline = 'bottom';
  ctx.fillText(o.format(0), LEFT - 4, h - BOTTOM + 4);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  // the title on a white patch, readable over the lines
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(LEFT + 3, top - 1, ctx.measureText(o.title).width + 6, 14);
  ctx.fillStyle = INK;
  ctx.fillText(o.title, LEFT + 6, top);
  ctx.fillStyle = MUTED;
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  ctx.fillText(`epoch ${first}`, LEFT, h);
  ctx.textAlign = 'right';
  ctx.fillText(String(epochs[epochs.length - 1]), w - right, h);
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
  if (o.hoverX === null) return null;
  const e = first + ((o.hoverX - LEFT) / (w - LEFT - right)) * (last - first);
  let best = 0;
  epochs.forEach((x, i) => {
    if (Math.abs(x - e) < Math.abs(epochs[best]! - e)) best = i;
  });
  ctx.strokeStyle = 'rgba(29,35,41,0.5)';
  ctx.beginPath();
  ctx.moveTo(X(epochs[best]!), top);
  ctx.lineTo(X(epochs[best]!), h - BOTTOM);
  ctx.stroke();
  return best;
}

/** The loss chart (train solid, test dashed) and, for classification, the accuracy chart beside it. */
export function drawLossCharts(lossCanvas: HTMLCanvasElement, accCanvas: HTMLCanvasElement, points: readonly EpochPoint[], classify: boolean, hoverX: number | null): ChartHit | null {
  const epochs = points.map((p) => p.epoch);
  const short = (v: number): string => String(Number(v.toPrecision(2)));
  const i = lineChart(
    lossCanvas,
    epochs,
    [
      { values: points.map((p) => p.trainLoss), color: INK, dash: [] },
      { values: points.map((p) => p.testLoss), color: '#0a6aa8', dash: [5, 3] },
    ],
    { title: 'loss', max: null, format: short, hoverX, height: 90 },
  );
  accCanvas.hidden = !classify;
  const j = classify
    ? lineChart(
        accCanvas,
        epochs,
        [
          { values: points.map((p) => p.trainAccuracy), color: INK, dash: [] },
          { values: points.map((p) => p.testAccuracy), color: '#0a6aa8', dash: [5, 3] },
        ],
        { title: 'accuracy', max: 1, format: (v) => `${Math.round(v * 100)}%`, hoverX, height: 70 },
      )
    : null;
  const k = i ?? j;
  const p = k === null ? undefined : points[k];
  return p ? { epoch: p.epoch, learningRate: p.learningRate, trainLoss: p.trainLoss, testLoss: p.testLoss, trainAccuracy: p.trainAccuracy, testAccuracy: p.testAccuracy } : null;
}

/** One colour per layer for the gradient flow (first layer darkest). */
const LAYER_COLORS = ['#1b4f72', '#1f77b4', '#2ca02c', '#b35c00', '#c2185b', '#6a3d9a', '#17869e', '#7f6000', '#444', '#8c564b', '#4a7f2c', '#5b2c6f'];

/**
 * The gradient flow: mean |∂C/∂W(l)| (solid) and mean |δ(l)| (dashed) per layer over the epochs on
 * a log scale, and the latest values as a table (data-v keeps the exact numbers).
 */
export function drawFlowChart(canvas: HTMLCanvasElement, table: HTMLElement, flow: readonly FlowPoint[]): void {
  const { ctx, w, h } = fitCanvas(canvas, 180);
  const last = flow[flow.length - 1];
  if (!last) {
    table.textContent = '';
    return;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of flow) for (const v of [...f.dW, ...f.delta]) if (v > 0 && Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!Number.isFinite(lo)) [lo, hi] = [1e-6, 1];
  const l0 = Math.floor(Math.log10(lo));
  const l1 = Math.max(l0 + 1, Math.ceil(Math.log10(hi)));
  const top = 8;
  const right = 8;
  const first = flow[0]!.epoch;
  const end = Math.max(first + 1, last.epoch);
  const X = (e: number): number => LEFT + ((e - first) / (end - first)) * (w - LEFT - right);
  const Y = (v: number): number => h - BOTTOM - ((Math.log10(Math.max(v, 10 ** l0)) - l0) / (l1 - l0)) * (h - BOTTOM - top);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let d = l0; d <= l1; d++) {
    ctx.strokeStyle = '#e3e6e9';
    ctx.beginPath();
    ctx.moveTo(LEFT, Y(10 ** d));
    ctx.lineTo(w - right, Y(10 ** d));
    ctx.stroke();
    ctx.fillStyle = MUTED;
    ctx.fillText(`1e${d}`, LEFT - 4, Y(10 ** d));
  }
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(`epoch ${first}`, LEFT, h);
  ctx.textAlign = 'right';
  ctx.fillText(String(last.epoch), w - right, h);
  const layers = last.dW.length;
  for (let l = 0; l < layers; l++) {
    for (const [key, dash] of [['dW', []], ['delta', [4, 3]]] as const) {
      ctx.beginPath();
      ctx.setLineDash([...dash]);
      flow.forEach((f, i) => {
        const v = f[key][l];
        if (v === undefined) return;
        if (i === 0) ctx.moveTo(X(f.epoch), Y(v));
        else ctx.lineTo(X(f.epoch), Y(v));
      });
      ctx.strokeStyle = LAYER_COLORS[l % LAYER_COLORS.length]!;
      ctx.lineWidth = 1.6;
      ctx.stroke();
    }
  }
  ctx.setLineDash([]);
  ctx.textAlign = 'start';
  ctx.textBaseline = 'alphabetic';
  const cell = (v: number, l: number, q: string): string => `<td data-layer="${l + 1}" data-q="${q}" data-v="${v}">${v.toExponential(2)}</td>`;
  table.innerHTML =
    `<table><caption>epoch ${last.epoch}: mean sizes on the training set</caption><tr><th>layer</th>${last.dW.map((_, l) => `<th><span class="swatch-line" style="border-color:${LAYER_COLORS[l % LAYER_COLORS.length]}"></span> ${l + 1}</th>`).join('')}</tr>` +
    `<tr><th>|∂C/∂W(l)|</th>${last.dW.map((v, l) => cell(v, l, 'dW')).join('')}</tr>` +
    `<tr><th>|δ(l)|</th>${last.delta.map((v, l) => cell(v, l, 'delta')).join('')}</tr></table>`;
}
