/**
 * The Backward view: one backpropagation step for one sample, walked from the cost back to the
 * input one layer at a time. Every number shown is read from the library's `explain()`; the page
 * only lays the numbers out (a transpose here is a different arrangement of the same numbers).
 */
import type { Explanation, LayerExplanation } from '../../src/train/explain.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import { NetworkView } from './draw.js';

export interface BackwardStep {
  /** short title, e.g. "δ(2)" */
  title: string;
  /** what the step says, in words */
  text: string;
  /** the equation rows (already built DOM) */
  body: HTMLElement;
  highlight: { neurons: Map<string, number>; links: Map<string, number> } | null;
}

/** How numbers are printed: 4 significant digits; the exact float is kept in data-v. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace('e', 'e');
  return String(Number(v.toPrecision(4)));
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/**
 * A matrix (or column vector) as a bracketed table. `q` names the quantity (e.g. "2.delta"); each
 * cell keeps its exact value in data-v so that tests can compare it with explain().
 */
export function matrixEl(m: Matrix, q: string | null, options: { transpose?: boolean; caption?: string } = {}): HTMLElement {
  const rows = options.transpose ? m.cols : m.rows;
  const cols = options.transpose ? m.rows : m.cols;
  const wrap = el('span', 'mat');
  if (q) wrap.dataset['q'] = q;
  wrap.dataset['rows'] = String(m.rows);
  wrap.dataset['cols'] = String(m.cols);
  if (options.transpose) wrap.dataset['transposed'] = 'true';
  const table = el('table');
  for (let i = 0; i < rows; i++) {
    const tr = el('tr');
    for (let j = 0; j < cols; j++) {
      const v = options.transpose ? m.get(j, i) : m.get(i, j);
      const td = el('td', v < 0 ? 'neg' : undefined, fmt(v));
      td.dataset['v'] = String(v);
      tr.append(td);
    }
    table.append(tr);
  }
  wrap.append(table);
  if (options.caption) wrap.append(el('span', 'mat-caption', options.caption));
  return wrap;
}

function scalarEl(v: number, q: string | null): HTMLElement {
  const s = el('span', 'scalar', fmt(v));
  s.dataset['v'] = String(v);
  if (q) s.dataset['q'] = q;
  return s;
}

/** One equation line: a sequence of names, operators and matrices. */
function eq(...parts: (string | HTMLElement)[]): HTMLElement {
  const row = el('div', 'eq');
  for (const p of parts) row.append(typeof p === 'string' ? el('span', 'op', p) : p);
  return row;
}

function note(text: string): HTMLElement {
  return el('p', 'note', text);
}

const a = (l: number): string => `a(${l})`;

function neuronMap(layer: number, m: Matrix | null): Map<string, number> {
  const out = new Map<string, number>();
  if (!m) return out;
  for (let j = 0; j < m.rows; j++) out.set(`${layer}:${j}`, m.get(j, 0));
  return out;
}

function linkMap(layer: number, m: Matrix): Map<string, number> {
  const out = new Map<string, number>();
  for (let j = 0; j < m.rows; j++) for (let i = 0; i < m.cols; i++) out.set(`${layer}:${j}:${i}`, m.get(j, i));
  return out;
}

const costNames: Record<string, string> = {
  mse: 'C = (1/n_L)·Σᵢ (aᵢ(L) − yᵢ)²',
  'cross-entropy': 'C = −Σᵢ yᵢ·log aᵢ(L)',
  'binary-cross-entropy': 'C = −(1/n_L)·Σᵢ [yᵢ·log aᵢ(L) + (1 − yᵢ)·log(1 − aᵢ(L))]',
};

/** The steps of the walk: forward pass, then per layer from L to 1, then the update. */
export function backwardSteps(e: Explanation): BackwardStep[] {
  const L = e.layers.length;
  const steps: BackwardStep[] = [];
  const out = e.layers[L - 1]!;

  // 0. forward pass
  {
    const body = el('div');
    body.append(eq(`${a(0)} = x =`, matrixEl(e.x, '0.x')));
    for (const l of e.layers) {
      const n = l.layer;
      body.append(
        eq(`z(${n}) = W(${n})·${a(n - 1)} + b(${n}) =`, matrixEl(l.W, `${n}.W`), '·', matrixEl(l.aPrev, `${n}.aPrev`), '+', matrixEl(l.b, `${n}.b`), '=', matrixEl(l.z, `${n}.z`)),
      );
      body.append(eq(`${a(n)} = ${l.activation}(z(${n})) =`, matrixEl(l.a, `${n}.a`)));
    }
    body.append(eq('y =', matrixEl(e.y, 'y')));
    body.append(eq(`${costNames[e.cost] ?? 'C'} =`, scalarEl(e.loss, 'loss')));
    const neurons = new Map<string, number>();
    for (const l of e.layers) for (const [k, v] of neuronMap(l.layer, l.a)) neurons.set(k, v);
    steps.push({ title: 'forward pass', text: 'The sample goes forward through every layer; the cost C compares the output a(L) with the target y.', body, highlight: { neurons, links: new Map() } });
  }

  for (let i = L - 1; i >= 0; i--) {
    const l = e.layers[i]!;
    const n = l.layer;
    if (n === L) steps.push(outputGradientStep(e, out));
    steps.push(deltaStep(e, l));
    steps.push(weightGradientStep(l));
    if (l.dAPrev) steps.push(backToPreviousStep(l));
  }

  // the update
  {
    const body = el('div');
    const eta = e.learningRate ?? NaN;
    body.append(note(`Plain gradient descent with η = ${fmt(eta)} (the optimizer you chose for training, e.g. Adam, scales each step its own way).`));
    const links = new Map<string, number>();
    for (const l of e.layers) {
      const n = l.layer;
      if (l.WNext) body.append(eq(`W(${n}) ← W(${n}) − η·∂C/∂W(${n}) =`, matrixEl(l.W, null), `− ${fmt(eta)} ·`, matrixEl(l.dW, null), '=', matrixEl(l.WNext, `${n}.WNext`)));
      if (l.bNext) body.append(eq(`b(${n}) ← b(${n}) − η·∂C/∂b(${n}) =`, matrixEl(l.b, null), `− ${fmt(eta)} ·`, matrixEl(l.db, null), '=', matrixEl(l.bNext, `${n}.bNext`)));
      for (const [k, v] of linkMap(n, l.dW)) links.set(k, -v);
    }
    steps.push({ title: 'update W ← W − η·∂C/∂W', text: 'Every weight moves against its gradient: the lines show the change −η·∂C/∂W.', body, highlight: { neurons: new Map(), links } });
  }
  return steps;
}

function outputGradientStep(e: Explanation, out: LayerExplanation): BackwardStep {
  const L = out.layer;
  const body = el('div');
  const nL = out.a.rows;
  if (e.cost === 'mse') {
    body.append(eq(`∂C/∂${a(L)} = (2/n_L)(${a(L)} − y) = (2/${nL})·(`, matrixEl(out.a, null), '−', matrixEl(e.y, null), ') =', matrixEl(out.dA, `${L}.dA`)));
  } else if (e.cost === 'cross-entropy') {
    body.append(eq(`∂C/∂${a(L)} = −y ⊘ ${a(L)} =`, matrixEl(out.dA, `${L}.dA`)));
  } else {
    body.append(eq(`∂C/∂${a(L)} = (${a(L)} − y) ⊘ (${a(L)} ⊙ (1 − ${a(L)}))/n_L =`, matrixEl(out.dA, `${L}.dA`)));
  }
  return {
    title: `∂C/∂${a(L)}`,
    text: 'How the cost changes with each output: the start of the backward pass.',
    body,
    highlight: { neurons: neuronMap(L, out.dA), links: new Map() },
  };
}

function deltaStep(e: Explanation, l: LayerExplanation): BackwardStep {
  const n = l.layer;
  const body = el('div');
  if (l.deltaRule === 'fused') {
    const rule = e.cost === 'cross-entropy' ? `δ(${n}) = ${a(n)} − y (softmax with cross-entropy: the Jacobian and −y/a cancel)` : `δ(${n}) = (${a(n)} − y)/n_L (sigmoid with binary cross-entropy)`;
    body.append(eq(`${rule} =`, matrixEl(l.a, null), '−', matrixEl(e.y, null), '→', matrixEl(l.delta, `${n}.delta`)));
  } else if (l.deltaRule === 'softmax-jacobian') {
    body.append(eq(`δ(${n}) = J_softmax(z(${n}))·∂C/∂${a(n)} =`, matrixEl(l.dA, n === e.layers.length ? null : `${n}.dA`), '→', matrixEl(l.delta, `${n}.delta`)));
  } else {
    body.append(
      eq(
        `δ(${n}) = ∂C/∂${a(n)} ⊙ σ'(z(${n})) =`,
        matrixEl(l.dA, n === e.layers.length ? null : `${n}.dA`),
        '⊙',
        matrixEl(l.sigmaPrime!, `${n}.sigmaPrime`),
        '=',
        matrixEl(l.delta, `${n}.delta`),
      ),
    );
    body.append(note(`σ = ${l.activation}; σ'(z) is ${derivativeText(l.activation)}.`));
  }
  return {
    title: `δ(${n}) = ∂C/∂z(${n})`,
    text: `How the cost changes with each weighted input z of layer ${n}.`,
    body,
    highlight: { neurons: neuronMap(n, l.delta), links: new Map() },
  };
}

function derivativeText(act: string): string {
  switch (act) {
    case 'sigmoid':
      return 'σ(z)(1 − σ(z))';
    case 'tanh':
      return '1 − tanh²(z)';
    case 'relu':
      return '1 where z > 0, else 0';
    case 'linear':
      return '1';
    default:
      return 'the activation’s derivative';
  }
}

function weightGradientStep(l: LayerExplanation): BackwardStep {
  const n = l.layer;
  const body = el('div');
  body.append(eq(`∂C/∂W(${n}) = δ(${n})·${a(n - 1)}ᵀ =`, matrixEl(l.delta, null), '·', matrixEl(l.aPrev, null, { transpose: true }), '=', matrixEl(l.dW, `${n}.dW`)));
  body.append(eq(`∂C/∂b(${n}) = δ(${n}) =`, matrixEl(l.db, `${n}.db`)));
  return {
    title: `∂C/∂W(${n}), ∂C/∂b(${n})`,
    text: `Each weight w_jk of layer ${n} gets δ_j of the neuron j it feeds times the activation a_k(${n - 1}) it carries; each bias gets its neuron's δ.`,
    body,
    highlight: { neurons: neuronMap(n, l.db), links: linkMap(n, l.dW) },
  };
}

function backToPreviousStep(l: LayerExplanation): BackwardStep {
  const n = l.layer;
  const body = el('div');
  body.append(eq(`∂C/∂${a(n - 1)} = W(${n})ᵀ·δ(${n}) =`, matrixEl(l.W, null, { transpose: true }), '·', matrixEl(l.delta, null), '=', matrixEl(l.dAPrev!, `${n}.dAPrev`)));
  // each link carries w·δ back to the neuron below
  const links = new Map<string, number>();
  for (let j = 0; j < l.W.rows; j++) for (let i = 0; i < l.W.cols; i++) links.set(`${n}:${j}:${i}`, l.W.get(j, i) * l.delta.get(j, 0));
  return {
    title: `∂C/∂${a(n - 1)}`,
    text: `The error flows back through the weights of layer ${n}: each neuron of layer ${n - 1} sums w·δ over the neurons it feeds.`,
    body,
    highlight: { neurons: neuronMap(n - 1, l.dAPrev), links },
  };
}

/** The panel: the steps, one visible at a time, with a network drawing lit by the current step. */
export class BackwardPanel {
  private steps: BackwardStep[] = [];
  private index = 0;
  private view: NetworkView | null = null;

  constructor(
    private readonly stepsEl: HTMLElement,
    private readonly netEl: HTMLElement,
    private readonly titleEl: HTMLElement,
    private readonly prevBtn: HTMLButtonElement,
    private readonly nextBtn: HTMLButtonElement,
  ) {
    prevBtn.addEventListener('click', () => this.go(this.index - 1));
    nextBtn.addEventListener('click', () => this.go(this.index + 1));
  }

  show(e: Explanation, inputs: string[]): void {
    const units = e.layers.map((l) => l.W.rows);
    const same = this.view && this.view.layout.units.join() === units.join() && this.view.layout.inputs.join() === inputs.join();
    if (!same) this.view = new NetworkView(this.netEl, { inputs, units, activations: e.layers.map((l) => l.activation) }, { heatmaps: false });
    this.view!.update(
      e.layers.map((l) => ({ W: Float32Array.from(l.W.data), b: Float32Array.from(l.b.data) })),
      null,
      null,
    );
    this.steps = backwardSteps(e);
    this.stepsEl.replaceChildren();
    this.steps.forEach((s, i) => {
      const sec = el('section', 'bw-step');
      sec.dataset['step'] = String(i);
      sec.append(el('h4', undefined, `${i + 1}. ${s.title}`), note(s.text), s.body);
      sec.hidden = true;
      this.stepsEl.append(sec);
    });
    this.go(Math.min(this.index, this.steps.length - 1));
  }

  clear(message: string): void {
    this.steps = [];
    this.stepsEl.replaceChildren(note(message));
    this.netEl.replaceChildren();
    this.view = null;
    this.titleEl.textContent = '';
    this.prevBtn.disabled = true;
    this.nextBtn.disabled = true;
  }

  go(i: number): void {
    if (this.steps.length === 0) return;
    this.index = Math.max(0, Math.min(this.steps.length - 1, i));
    this.stepsEl.querySelectorAll<HTMLElement>('.bw-step').forEach((s, k) => (s.hidden = k !== this.index));
    this.titleEl.textContent = `step ${this.index + 1} of ${this.steps.length}: ${this.steps[this.index]!.title}`;
    this.prevBtn.disabled = this.index === 0;
    this.nextBtn.disabled = this.index === this.steps.length - 1;
    this.view?.highlight(this.steps[this.index]!.highlight);
  }

  get current(): number {
    return this.index;
  }
}
