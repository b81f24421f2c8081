/**
 * The Chain view: the derivation's first example, a chain of layers with one neuron each
 * (x → a(1) → … → a(L) → C), with sliders for every weight and bias, the input and the target.
 * Every partial derivative shown is read from the library's `explain()` on that 1-1-…-1 network
 * (float64, MSE); the cost curve evaluates the same network as one weight moves. Both are computed
 * in the worker (the `explainChain` callback), where the library is.
 */
import type { ActivationId } from '../../src/activations/index.js';
import type { Explanation } from '../../src/train/explain.js';
import { fmt, revive } from './backward.js';
import type { ChainRequest } from './protocol.js';

export interface ChainState {
  depth: number;
  activation: Exclude<ActivationId, 'softmax' | 'leaky-relu'>;
  x: number;
  y: number;
  w: number[];
  b: number[];
  /** which w(k) the cost curve varies (1-based) */
  vary: number;
}

export function defaultChain(): ChainState {
  return { depth: 3, activation: 'sigmoid', x: 1, y: 0, w: [1.5, -2, 1, 0.5, 1, 1], b: [0, 0.5, -0.5, 0, 0, 0], vary: 1 };
}

const RANGE = 4;

export type ChainExplainer = (c: ChainRequest) => Promise<{ explanation: Explanation; curve: [number, number][] }>;


function slider(label: string, value: number, min: number, max: number, onInput: (v: number) => void, testid: string): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'slider';
  const name = document.createElement('span');
  name.className = 'slider-name';
  name.textContent = label;
  const input = document.createElement('input');
  input.type = 'range';
  input.min = String(min);
  input.max = String(max);
  input.step = '0.01';
  input.value = String(value);
  input.dataset['testid'] = testid;
  const out = document.createElement('output');
  out.textContent = value.toFixed(2);
  input.addEventListener('input', () => {
    out.textContent = Number(input.value).toFixed(2);
    onInput(Number(input.value));
  });
  wrap.append(name, input, out);
  return wrap;
}

/** Builds the chain view into `root` and keeps it live. */
export function mountChain(root: HTMLElement, explainChain: ChainExplainer): void {
  const s = defaultChain();
  root.replaceChildren();
  const controls = document.createElement('div');
  controls.className = 'chain-controls';
  const diagram = document.createElement('div');
  diagram.className = 'chain-diagram';
  diagram.dataset['testid'] = 'chain-diagram';
  const table = document.createElement('div');
  table.className = 'chain-table';
  table.dataset['testid'] = 'chain-derivatives';
  const curveWrap = document.createElement('div');
  curveWrap.className = 'chain-curve';
  const curveTitle = document.createElement('p');
  curveTitle.className = 'note';
  const curve = document.createElement('canvas');
  curve.className = 'curve';
  curve.setAttribute('role', 'img');
  curveWrap.append(curveTitle, curve);
  root.append(controls, diagram, table, curveWrap);

  const rebuildControls = (): void => {
    controls.replaceChildren();
    const top = document.createElement('div');
    top.className = 'row';
    const depth = document.createElement('select');
    depth.setAttribute('aria-label', 'layers in the chain');
    for (let d = 1; d <= 6; d++) depth.append(new Option(`${d} layer${d > 1 ? 's' : ''}`, String(d), false, d === s.depth));
    depth.addEventListener('change', () => {
      s.depth = Number(depth.value);
      s.vary = Math.min(s.vary, s.depth);
      rebuildControls();
      update();
    });
    const act = document.createElement('select');
    act.setAttribute('aria-label', 'activation of the chain');
    for (const a of ['sigmoid', 'tanh', 'relu', 'linear'] as const) act.append(new Option(a, a, false, a === s.activation));
    act.addEventListener('change', () => {
      s.activation = act.value as ChainState['activation'];
      update();
    });
    const vary = document.createElement('select');
    vary.setAttribute('aria-label', 'weight of the cost curve');
    for (let k = 1; k <= s.depth; k++) vary.append(new Option(`curve over w(${k})`, String(k), false, k === s.vary));
    vary.addEventListener('change', () => {
      s.vary = Number(vary.value);
      update();
    });
    top.append(depth, act, vary);
    controls.append(top);
    controls.append(slider('x', s.x, -RANGE, RANGE, (v) => ((s.x = v), update()), 'chain-x'));
    controls.append(slider('y', s.y, -1, 1, (v) => ((s.y = v), update()), 'chain-y'));
    for (let l = 0; l < s.depth; l++) {
      controls.append(slider(`w(${l + 1})`, s.w[l]!, -RANGE, RANGE, (v) => ((s.w[l] = v), update()), `chain-w${l + 1}`));
      controls.append(slider(`b(${l + 1})`, s.b[l]!, -RANGE, RANGE, (v) => ((s.b[l] = v), update()), `chain-b${l + 1}`));
    }
  };

  /** a factor in a product: negative numbers in parentheses */
  const fp = (v: number): string => (v < 0 ? `(${fmt(v)})` : fmt(v));
  const val = (v: number, q: string): string => `<span class="scalar${v < 0 ? ' neg' : ''}" data-q="${q}" data-v="${v}">${fmt(v)}</span>`;

  /** the latest request wins: slider moves come faster than answers */
  let asked = 0;
  let last: { e: Explanation; curve: [number, number][] } | null = null;
  const update = (): void => {
    const mine = ++asked;
    const req: ChainRequest = { activation: s.activation, x: s.x, y: s.y, w: s.w.slice(0, s.depth), b: s.b.slice(0, s.depth), vary: s.vary, range: RANGE };
    void explainChain(req).then((r) => {
      if (mine !== asked) return;
      last = { e: revive(r.explanation), curve: r.curve };
      show(last.e, last.curve);
    });
  };
  const show = (e: Explanation, curve: [number, number][]): void => {
    const L = s.depth;
    // diagram: x → z(1), a(1) → … → C
    const parts = [`<span class="chain-node">x = a(0)<br>${val(e.x.get(0, 0), 'x')}</span>`];
    for (const l of e.layers) {
      parts.push(`<span class="chain-edge">w(${l.layer}) = ${fmt(l.W.get(0, 0))}<br>b(${l.layer}) = ${fmt(l.b.get(0, 0))}</span>`);
      parts.push(`<span class="chain-node">z(${l.layer}) = ${val(l.z.get(0, 0), `${l.layer}.z`)}<br>a(${l.layer}) = ${val(l.a.get(0, 0), `${l.layer}.a`)}</span>`);
    }
    parts.push(`<span class="chain-edge">y = ${fmt(e.y.get(0, 0))}</span>`, `<span class="chain-node cost">C = (a(${L}) − y)²<br>${val(e.loss, 'C')}</span>`);
    diagram.innerHTML = parts.join('<span class="arrow" aria-hidden="true">→</span>');

    const rows: string[] = [];
    const out = e.layers[L - 1]!;
    rows.push(`<tr><th>∂C/∂a(${L})</th><td>= 2(a(${L}) − y)</td><td>${val(out.dA.get(0, 0), `${L}.dA`)}</td></tr>`);
    for (let i = L - 1; i >= 0; i--) {
      const l = e.layers[i]!;
      const n = l.layer;
      rows.push(`<tr><th>∂a(${n})/∂z(${n})</th><td>= σ'(z(${n}))</td><td>${val(l.sigmaPrime!.get(0, 0), `${n}.sigmaPrime`)}</td></tr>`);
      rows.push(`<tr><th>δ(${n}) = ∂C/∂z(${n})</th><td>= ∂C/∂a(${n}) · σ'(z(${n}))</td><td>${val(l.delta.get(0, 0), `${n}.delta`)}</td></tr>`);
      rows.push(`<tr class="grad"><th>∂C/∂w(${n})</th><td>= a(${n - 1}) · δ(${n}) = ${fp(l.aPrev.get(0, 0))} · ${fp(l.delta.get(0, 0))}</td><td>${val(l.dW.get(0, 0), `${n}.dW`)}</td></tr>`);
      rows.push(`<tr class="grad"><th>∂C/∂b(${n})</th><td>= δ(${n})</td><td>${val(l.db.get(0, 0), `${n}.db`)}</td></tr>`);
      if (l.dAPrev) rows.push(`<tr><th>∂C/∂a(${n - 1})</th><td>= w(${n}) · δ(${n}) = ${fp(l.W.get(0, 0))} · ${fp(l.delta.get(0, 0))}</td><td>${val(l.dAPrev.get(0, 0), `${n}.dAPrev`)}</td></tr>`);
    }
    // the whole chain for w(1), as a product of the local factors (each read from explain)
    const names: string[] = ['a(0)'];
    const values: string[] = [fmt(e.layers[0]!.aPrev.get(0, 0))];
    for (let i = 0; i < L; i++) {
      const l = e.layers[i]!;
      names.push(`σ'(z(${l.layer}))`);
      values.push(fmt(l.sigmaPrime!.get(0, 0)));
      if (i < L - 1) {
        names.push(`w(${l.layer + 1})`);
        values.push(fmt(e.layers[i + 1]!.W.get(0, 0)));
      }
    }
    names.push(`∂C/∂a(${L})`);
    values.push(fmt(out.dA.get(0, 0)));
    rows.push(
      `<tr class="chain-product"><th>∂C/∂w(1)</th><td>= ${names.join(' · ')}<br>= ${values.map((v) => (v.startsWith('-') ? `(${v})` : v)).join(' × ')}</td><td>${val(e.layers[0]!.dW.get(0, 0), 'chain.dW1')}</td></tr>`,
    );
    table.innerHTML = `<table><caption>Every partial derivative of the chain (from the library's explain())</caption>${rows.join('')}</table>`;
    root.dataset['ready'] = 'true';
    drawCurve(e, curve);
  };

  const drawCurve = (e: Explanation, samples: [number, number][]): void => {
    const k = s.vary;
    const here = s.w[k - 1]!;
    const slope = e.layers[k - 1]!.dW.get(0, 0);
    curveTitle.textContent = `Cost C as w(${k}) moves (the others fixed); the line is the tangent with slope ∂C/∂w(${k}) = ${fmt(slope)} at w(${k}) = ${fmt(here)}.`;
    curve.setAttribute('aria-label', curveTitle.textContent);
    const dpr = window.devicePixelRatio || 1;
    const W = curve.clientWidth || 320;
    const H = curve.clientHeight || 160;
    curve.width = Math.round(W * dpr);
    curve.height = Math.round(H * dpr);
    const ctx = curve.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const maxC = Math.max(1e-9, ...samples.map((p) => p[1]));
    const X = (w: number): number => 24 + ((w + RANGE) / (2 * RANGE)) * (W - 32);
    const Y = (c: number): number => H - 18 - (c / maxC) * (H - 30);
    ctx.strokeStyle = '#ccc';
    ctx.beginPath();
    ctx.moveTo(X(0), 0);
    ctx.lineTo(X(0), H - 18);
    ctx.moveTo(0, H - 18);
    ctx.lineTo(W, H - 18);
    ctx.stroke();
    ctx.fillStyle = '#666';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(`w(${k})`, W - 34, H - 4);
    ctx.fillText(`C (max ${fmt(maxC)})`, 28, 11);
    ctx.strokeStyle = '#0877bd';
    ctx.lineWidth = 2;
    ctx.beginPath();
    samples.forEach(([w, c], i) => (i === 0 ? ctx.moveTo(X(w), Y(c)) : ctx.lineTo(X(w), Y(c))));
    ctx.stroke();
    const c0 = e.loss;
    ctx.strokeStyle = '#e0006c';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(X(here - 1), Y(c0 - slope));
    ctx.lineTo(X(here + 1), Y(c0 + slope));
    ctx.stroke();
    ctx.fillStyle = '#e0006c';
    ctx.beginPath();
    ctx.arc(X(here), Y(c0), 4, 0, 2 * Math.PI);
    ctx.fill();
  };

  rebuildControls();
  update();
  new ResizeObserver(() => last && drawCurve(last.e, last.curve)).observe(curve);
}
