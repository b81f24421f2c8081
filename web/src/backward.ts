/**
 * The Backward view: one backpropagation step for one sample, walked from the cost back to the
 * input one layer at a time. Every number shown is read from the library's `explain()`; the page
 * only lays the numbers out (a transpose here is a different arrangement of the same numbers).
 */
import type { Explanation, LayerExplanation } from '../../src/train/explain.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { NetworkView, sub } from './draw.js';

/** Matrices cross from the worker as plain {rows, cols, data}: made Matrix again for the views. */
export function revive(e: Explanation): Explanation {
  const m = (x: Matrix | null | undefined): Matrix | null => (x ? new Matrix(x.rows, x.cols, x.data) : null);
  return {
    ...e,
    x: m(e.x)!,
    y: m(e.y)!,
    layers: e.layers.map((l) => ({
      ...l,
      W: m(l.W)!,
      b: m(l.b)!,
      aPrev: m(l.aPrev)!,
      z: m(l.z)!,
      a: m(l.a)!,
      sigmaPrime: m(l.sigmaPrime),
      dA: m(l.dA)!,
      delta: m(l.delta)!,
      dW: m(l.dW)!,
      db: m(l.db)!,
      dAPrev: m(l.dAPrev),
      ...(l.dWPenalty ? { dWPenalty: m(l.dWPenalty)! } : {}),
      ...(l.dWClipped ? { dWClipped: m(l.dWClipped)! } : {}),
      ...(l.dbClipped ? { dbClipped: m(l.dbClipped)! } : {}),
      ...(l.WNext ? { WNext: m(l.WNext)! } : {}),
      ...(l.bNext ? { bNext: m(l.bNext)! } : {}),
    })),
  };
}

export interface BackwardStep {
  /** short title, e.g. "δ(2)" */
  title: string;
  /** what the step says, in words */
  text: string;
  /** the equation rows (already built DOM) */
  body: HTMLElement;
  highlight: { neurons: Map<string, number>; links: Map<string, number> } | null;
  /** exercise mode: the factors asked for before the step is shown */
  quiz: Quiz[];
}

/**
 * One factor the exercise asks for: the right value (from explain()) and, for a wrong answer, which
 * factor of the chain is off — found by comparing the answer with the values a typical slip gives.
 */
export interface Quiz {
  /** the quantity, as in data-q ("2.delta") */
  id: string;
  prompt: string;
  answer: number;
  /** values of common mistakes, each with what it means */
  slips: { value: number; says: string }[];
}

/** A typed answer is right within 0.5% (or 5·10⁻⁴ near zero): students round to 3–4 digits. */
export function close(typed: number, expected: number): boolean {
  return Math.abs(typed - expected) <= Math.max(5e-4, 5e-3 * Math.abs(expected));
}

/** What to say to a typed answer: null when it is right. */
export function judge(q: Quiz, typed: number): string | null {
  if (!Number.isFinite(typed)) return 'type a number (e.g. -0.0123 or 1.2e-3)';
  if (close(typed, q.answer)) return null;
  for (const slip of q.slips) if (!close(slip.value, q.answer) && close(typed, slip.value)) return slip.says;
  return 'not this one: check each factor of the chain in turn (the step’s equation is shown after “show me”).';
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
    if (e.penalty > 0) body.append(eq(`${costNames[e.cost] ?? 'C'} + Σ_l (l1·Σ|W(l)| + l2·ΣW(l)²), the penalty ${fmt(e.penalty)} included =`, scalarEl(e.loss, 'loss')));
    else body.append(eq(`${costNames[e.cost] ?? 'C'} =`, scalarEl(e.loss, 'loss')));
    const neurons = new Map<string, number>();
    for (const l of e.layers) for (const [k, v] of neuronMap(l.layer, l.a)) neurons.set(k, v);
    steps.push({ title: 'forward pass', text: 'The sample goes forward through every layer; the cost C compares the output a(L) with the target y.', body, highlight: { neurons, links: new Map() }, quiz: [] });
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
    body.append(note(`Plain gradient descent with η = ${fmt(eta)}, for this one sample (the optimizer you chose for training, e.g. Adam, scales each step its own way). “apply this update” puts the new weights into the network.`));
    const links = new Map<string, number>();
    const clipped = e.clipScale !== undefined;
    if (clipped) {
      body.append(note(`Clipping: the whole gradient g is scaled by min(1, clipNorm/‖g‖) = ${fmt(e.clipScale!)} before the update${e.clipScale! < 1 ? '' : ' (it is within the limit: unchanged)'}.`));
    }
    const g = clipped ? 'g' : '∂C/∂';
    for (const l of e.layers) {
      const n = l.layer;
      const dW = l.dWClipped ?? l.dW;
      const db = l.dbClipped ?? l.db;
      if (l.WNext) body.append(eq(`W(${n}) ← W(${n}) − η·${g}W(${n}) =`, matrixEl(l.W, null), `− ${fmt(eta)} ·`, matrixEl(dW, l.dWClipped ? `${n}.dWClipped` : null), '=', matrixEl(l.WNext, `${n}.WNext`)));
      if (l.bNext) body.append(eq(`b(${n}) ← b(${n}) − η·${g}b(${n}) =`, matrixEl(l.b, null), `− ${fmt(eta)} ·`, matrixEl(db, l.dbClipped ? `${n}.dbClipped` : null), '=', matrixEl(l.bNext, `${n}.bNext`)));
      for (const [k, v] of linkMap(n, dW)) links.set(k, -v);
    }
    steps.push({ title: 'update W ← W − η·∂C/∂W', text: 'Every weight moves against its gradient: the lines show the change −η·∂C/∂W.', body, highlight: { neurons: new Map(), links }, quiz: [] });
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
  const av = out.a.get(0, 0);
  const yv = e.y.get(0, 0);
  const slips =
    e.cost === 'mse'
      ? [
          { value: av - yv, says: `you used a(L) − y: the cost's derivative is 2(a − y)/n_L (the 2 from the square${nL > 1 ? `, and 1/n_L with n_L = ${nL}` : `; here n_L = 1`})` },
          { value: 2 * (av - yv), says: `you left out 1/n_L: C = (1/n_L)·Σ(a − y)², so ∂C/∂a = 2(a − y)/n_L with n_L = ${nL}` },
          { value: (av - yv) / nL, says: 'you left out the 2: the derivative of (a − y)² is 2(a − y)' },
          { value: (2 * (yv - av)) / nL, says: 'the sign is flipped: ∂C/∂a = 2(a − y)/n_L, a − y and not y − a (C grows as a moves away from y)' },
          { value: (av - yv) ** 2 / nL, says: 'that is the cost C itself; the question is its derivative with respect to a(L)' },
        ]
      : [{ value: -out.dA.get(0, 0), says: 'the sign is flipped' }];
  return {
    title: `∂C/∂${a(L)}`,
    text: 'How the cost changes with each output: the start of the backward pass.',
    body,
    highlight: { neurons: neuronMap(L, out.dA), links: new Map() },
    quiz: [{ id: `${L}.dA`, prompt: `∂C/∂a(${L})₁, for output neuron 1`, answer: out.dA.get(0, 0), slips }],
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
    body.append(sigmaPrimeRow(l));
  }
  const quiz: Quiz[] = [];
  const dA = l.dA.get(0, 0);
  const z = l.z.get(0, 0);
  const av = l.a.get(0, 0);
  if (l.sigmaPrime) {
    const sp = l.sigmaPrime.get(0, 0);
    quiz.push({ id: `${n}.sigmaPrime`, prompt: `σ'(z(${n})₁), with z(${n})₁ = ${fmt(z)}`, answer: sp, slips: sigmaPrimeSlips(l.activation, z, av) });
    quiz.push({
      id: `${n}.delta`,
      prompt: `δ(${n})₁ = ∂C/∂z(${n})₁`,
      answer: l.delta.get(0, 0),
      slips: [
        { value: dA, says: `you left out σ'(z): δ = ∂C/∂a(${n}) ⊙ σ'(z(${n}))` },
        { value: sp, says: `you left out ∂C/∂a(${n}): δ = ∂C/∂a(${n}) ⊙ σ'(z(${n}))` },
        { value: dA * av, says: `you multiplied by a = σ(z), not by its derivative σ'(z)` },
        { value: dA * z, says: `you multiplied by z, not by σ'(z)` },
        { value: -dA * sp, says: 'the sign is flipped' },
      ],
    });
  } else quiz.push({ id: `${n}.delta`, prompt: `δ(${n})₁ = ∂C/∂z(${n})₁`, answer: l.delta.get(0, 0), slips: [] });
  return {
    title: `δ(${n}) = ∂C/∂z(${n})`,
    text: `How the cost changes with each weighted input z of layer ${n}.`,
    body,
    highlight: { neurons: neuronMap(n, l.delta), links: new Map() },
    quiz,
  };
}

/** σ'(z) from z, spelled out: the rule, then z → a = σ(z) → σ'(z), all from explain(). */
function sigmaPrimeRow(l: LayerExplanation): HTMLElement {
  const n = l.layer;
  const wrap = el('div');
  const rule: Record<string, string> = {
    sigmoid: `σ'(z) = σ(z)·(1 − σ(z)) = a ⊙ (1 − a), with a(${n}) = σ(z(${n}))`,
    tanh: `σ'(z) = 1 − tanh²(z) = 1 − a², with a(${n}) = tanh(z(${n}))`,
    relu: 'σ\'(z) = 1 where z > 0, else 0',
    'leaky-relu': 'σ\'(z) = 1 where z > 0, else α (the leak, 0.01)',
    linear: 'σ\'(z) = 1',
    elu: 'σ\'(z) = 1 where z > 0, else α·eᶻ = a + α (α = 1)',
    gelu: 'σ\'(z) = Φ(z) + z·φ(z) (Φ, φ: the normal distribution and its density)',
    softplus: 'σ\'(z) = 1/(1 + e⁻ᶻ), the logistic sigmoid of z',
    silu: 'σ\'(z) = s(z)·(1 + z·(1 − s(z))), s the logistic sigmoid',
    swish: 'σ\'(z) = s(z)·(1 + z·(1 − s(z))), s the logistic sigmoid',
  };
  const uses = l.activation === 'sigmoid' || l.activation === 'tanh';
  wrap.append(
    eq(`${rule[l.activation] ?? "σ'(z): the activation's derivative"}:`, 'z =', matrixEl(l.z, null), ...(uses ? ['→ a =', matrixEl(l.a, null)] : []), "→ σ'(z) =", matrixEl(l.sigmaPrime!, null)),
  );
  return wrap;
}

function sigmaPrimeSlips(act: string, z: number, a: number): Quiz['slips'] {
  switch (act) {
    case 'sigmoid':
      return [
        { value: a, says: `that is σ(z) = a itself; its derivative is σ(z)(1 − σ(z)) = a(1 − a)` },
        { value: z * (1 - z), says: `you put z into σ(1 − σ): use a = σ(z) = ${fmt(a)}, so σ'(z) = a(1 − a)` },
        { value: 1 - a, says: `you left out the factor σ(z): σ'(z) = σ(z)·(1 − σ(z))` },
      ];
    case 'tanh':
      return [
        { value: 1 - z * z, says: `you used z: σ'(z) = 1 − tanh²(z) = 1 − a² with a = tanh z = ${fmt(a)}` },
        { value: a, says: 'that is tanh(z) itself; its derivative is 1 − tanh²(z)' },
        { value: 1 - a, says: 'σ\'(z) = 1 − a², not 1 − a' },
      ];
    case 'relu':
      return [
        { value: z > 0 ? 0 : 1, says: `ReLU'(z) is 1 where z > 0 and 0 where z ≤ 0; here z = ${fmt(z)}` },
        { value: z, says: 'ReLU\'(z) is 1 or 0 (the slope), not z' },
        { value: a, says: 'that is ReLU(z) = a; its derivative is 1 or 0' },
      ];
    default:
      return [{ value: a, says: 'that is σ(z) = a itself, not its derivative' }];
  }
}

function weightGradientStep(l: LayerExplanation): BackwardStep {
  const n = l.layer;
  const body = el('div');
  if (l.dWPenalty) {
    // with L1/L2 the penalty's own derivative joins the chain rule's part
    body.append(
      eq(
        `∂C/∂W(${n}) = δ(${n})·${a(n - 1)}ᵀ + (l1·sign(W) + 2·l2·W) =`,
        matrixEl(l.delta, null),
        '·',
        matrixEl(l.aPrev, null, { transpose: true }),
        '+',
        matrixEl(l.dWPenalty, `${n}.dWPenalty`),
        '=',
        matrixEl(l.dW, `${n}.dW`),
      ),
    );
  } else body.append(eq(`∂C/∂W(${n}) = δ(${n})·${a(n - 1)}ᵀ =`, matrixEl(l.delta, null), '·', matrixEl(l.aPrev, null, { transpose: true }), '=', matrixEl(l.dW, `${n}.dW`)));
  body.append(eq(`∂C/∂b(${n}) = δ(${n}) =`, matrixEl(l.db, `${n}.db`)));
  // ask for the entry of the last neuron j from the first input k (an off-diagonal one where there is one)
  const j = l.W.rows - 1;
  const k = 0;
  const dj = l.delta.get(j, 0);
  const ak = l.aPrev.get(k, 0);
  const slips: Quiz['slips'] = [
    { value: dj, says: `you left out a_${k + 1}(${n - 1}): ∂C/∂w_jk = δ_j · a_k(${n - 1})` },
    { value: ak, says: `you left out δ_${j + 1}: ∂C/∂w_jk = δ_j · a_k(${n - 1})` },
    { value: l.dA.get(j, 0) * ak, says: `you used ∂C/∂a(${n}) instead of δ(${n}) = ∂C/∂a ⊙ σ'(z): σ'(z) is missing` },
    { value: -dj * ak, says: 'the sign is flipped: ∂C/∂w is δ·a; the minus comes only in the update W − η·∂C/∂W' },
  ];
  if (j < l.aPrev.rows && k < l.delta.rows) slips.push({ value: l.delta.get(k, 0) * l.aPrev.get(j, 0), says: `indices swapped: w_jk joins a_k(${n - 1}) to neuron j, so ∂C/∂w_jk = δ_j · a_k(${n - 1})` });
  return {
    title: `∂C/∂W(${n}), ∂C/∂b(${n})`,
    text: `Each weight w_jk of layer ${n} gets δ_j of the neuron j it feeds times the activation a_k(${n - 1}) it carries; each bias gets its neuron's δ.`,
    body,
    highlight: { neurons: neuronMap(n, l.db), links: linkMap(n, l.dW) },
    quiz: [{ id: `${n}.dW`, prompt: `∂C/∂w(${n})${sub(j + 1)},${sub(k + 1)} (into neuron ${j + 1} from input ${k + 1})`, answer: l.dW.get(j, k), slips }],
  };
}

function backToPreviousStep(l: LayerExplanation): BackwardStep {
  const n = l.layer;
  const body = el('div');
  body.append(eq(`∂C/∂${a(n - 1)} = W(${n})ᵀ·δ(${n}) =`, matrixEl(l.W, null, { transpose: true }), '·', matrixEl(l.delta, null), '=', matrixEl(l.dAPrev!, `${n}.dAPrev`)));
  // each link carries w·δ back to the neuron below
  const links = new Map<string, number>();
  for (let j = 0; j < l.W.rows; j++) for (let i = 0; i < l.W.cols; i++) links.set(`${n}:${j}:${i}`, l.W.get(j, i) * l.delta.get(j, 0));
  let viaDA = 0;
  let viaRow = 0;
  for (let j = 0; j < l.W.rows; j++) viaDA += l.W.get(j, 0) * l.dA.get(j, 0);
  for (let j = 0; j < Math.min(l.W.cols, l.delta.rows); j++) viaRow += l.W.get(0, j) * l.delta.get(j, 0);
  const slips: Quiz['slips'] = [{ value: viaDA, says: `you used ∂C/∂a(${n}) instead of δ(${n}): σ'(z(${n})) is missing` }];
  if (l.W.rows > 1) slips.push({ value: l.W.get(0, 0) * l.delta.get(0, 0), says: `you took only the path through neuron 1: sum w_j1·δ_j over every neuron j of layer ${n}` });
  if (l.W.cols > 1) slips.push({ value: viaRow, says: `you took row 1 of W(${n}); a₁(${n - 1}) feeds every neuron j through w_j1, the column 1: W(${n})ᵀ·δ(${n})` });
  return {
    title: `∂C/∂${a(n - 1)}`,
    text: `The error flows back through the weights of layer ${n}: each neuron of layer ${n - 1} sums w·δ over the neurons it feeds.`,
    body,
    highlight: { neurons: neuronMap(n - 1, l.dAPrev), links },
    quiz: [{ id: `${n}.dAPrev`, prompt: `∂C/∂a(${n - 1})₁`, answer: l.dAPrev!.get(0, 0), slips }],
  };
}

/**
 * The panel: the steps, one visible at a time, with a network drawing lit by the current step. In
 * exercise mode a step with factors to find shows its questions first, and its numbers once they
 * are answered (or "show me" is pressed).
 */
export class BackwardPanel {
  private steps: BackwardStep[] = [];
  private index = 0;
  private view: NetworkView | null = null;
  private exercise = false;
  /** quizzes answered or shown, by id, for the explanation of `solvedFor` */
  private solved = new Set<string>();
  private solvedFor = '';

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

  setExercise(on: boolean): void {
    this.exercise = on;
    this.stepsEl.querySelectorAll<HTMLElement>('.bw-step').forEach((sec, i) => this.reveal(sec, this.steps[i]!));
  }

  show(e: Explanation, inputs: string[], exercise: boolean): void {
    this.exercise = exercise;
    const units = e.layers.map((l) => l.W.rows);
    const same = this.view && this.view.layout.units.join() === units.join() && this.view.layout.inputs.join() === inputs.join();
    if (!same) this.view = new NetworkView(this.netEl, { inputs, units, activations: e.layers.map((l) => l.activation) }, { heatmaps: false });
    this.view!.update(
      e.layers.map((l) => ({ W: Float32Array.from(l.W.data), b: Float32Array.from(l.b.data) })),
      null,
      null,
    );
    // another sample or other weights: the questions start over
    const key = `${Array.from(e.x.data).join()}|${Array.from(e.y.data).join()}|${e.layers.map((l) => `${Array.from(l.W.data).join()};${Array.from(l.b.data).join()}`).join('|')}`;
    if (key !== this.solvedFor) {
      this.solved.clear();
      this.solvedFor = key;
    }
    this.steps = backwardSteps(e);
    this.stepsEl.replaceChildren();
    this.steps.forEach((s, i) => {
      const sec = el('section', 'bw-step');
      sec.dataset['step'] = String(i);
      const body = el('div', 'bw-body');
      body.append(s.body);
      sec.append(el('h4', undefined, `${i + 1}. ${s.title}`), note(s.text));
      if (s.quiz.length) sec.append(this.quizEl(sec, s));
      sec.append(body);
      sec.hidden = true;
      this.reveal(sec, s);
      this.stepsEl.append(sec);
    });
    this.go(Math.min(this.index, this.steps.length - 1));
  }

  /** Exercise mode hides a step's numbers until its questions are answered. */
  private reveal(sec: HTMLElement, s: BackwardStep): void {
    const open = !this.exercise || s.quiz.every((q) => this.solved.has(q.id));
    const body = sec.querySelector<HTMLElement>('.bw-body');
    const quiz = sec.querySelector<HTMLElement>('.quiz');
    if (body) body.hidden = !open;
    if (quiz) quiz.hidden = !this.exercise;
  }

  private quizEl(sec: HTMLElement, s: BackwardStep): HTMLElement {
    const box = el('div', 'quiz');
    for (const q of s.quiz) {
      const row = el('form', 'quiz-row');
      const label = el('label', 'inline');
      const input = el('input');
      input.type = 'text';
      input.inputMode = 'decimal';
      input.autocomplete = 'off';
      input.dataset['testid'] = `quiz-${q.id}`;
      label.append(`${q.prompt} = `, input);
      const check = el('button', 'primary', 'check');
      check.type = 'submit';
      check.dataset['testid'] = `quiz-check-${q.id}`;
      const showMe = el('button', undefined, 'show me');
      showMe.type = 'button';
      const feedback = el('p', 'quiz-feedback');
      feedback.setAttribute('role', 'status');
      feedback.dataset['testid'] = `quiz-feedback-${q.id}`;
      if (this.solved.has(q.id)) feedback.textContent = `✓ ${fmt(q.answer)}`;
      row.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const typed = Number(input.value.trim().replace(/[−–]/g, '-').replace(',', '.'));
        const verdict = input.value.trim() === '' ? 'type a number first' : judge(q, typed);
        feedback.classList.toggle('right', verdict === null);
        feedback.classList.toggle('wrong', verdict !== null);
        feedback.dataset['verdict'] = verdict === null ? 'right' : 'wrong';
        feedback.textContent = verdict === null ? `✓ right: ${fmt(q.answer)} (explain() gives ${q.answer})` : `✗ ${verdict}`;
        if (verdict === null) {
          this.solved.add(q.id);
          this.reveal(sec, s);
        }
      });
      showMe.addEventListener('click', () => {
        this.solved.add(q.id);
        feedback.textContent = `it is ${fmt(q.answer)}`;
        this.reveal(sec, s);
      });
      row.append(label, check, showMe, feedback);
      box.append(row);
    }
    return box;
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
