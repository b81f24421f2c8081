import type { Explanation, LayerExplanation } from '../train/explain.js';
import type { Matrix } from '../tensor/matrix.js';

/** What the text view knows about the sample besides the numbers. */
export interface ExplainContext {
  title: string;
  classNames?: string[];
  /** Where η came from when the command chose it (e.g. "epoch 3 of the recorded run"). */
  rateSource?: string;
}

const WIDTH = 80;

/**
 * One backpropagation step as text, from the cost back to the input, in the derivation's names;
 * for each factor its shape, its norm and a few named entries. Fits 80 columns.
 */
export function renderExplanation(e: Explanation, ctx: ExplainContext): string[] {
  const L = e.layers.length;
  const lines: string[] = [];
  const arch = [e.x.rows, ...e.layers.map((l) => l.z.rows)].join('-');
  lines.push(clip(ctx.title));
  lines.push(clip(`network ${arch} (${e.layers.map((l) => l.activation).join(', ')}), cost ${e.cost}, C = ${num(e.loss)}`));
  if (e.penalty) lines.push(clip(`penalty Σ_l l1·Σ|W(l)| + l2·ΣW(l)² = ${num(e.penalty)}, part of C (the cost alone: ${num(e.loss - e.penalty)})`));
  const out = e.layers[L - 1]!;
  lines.push(clip(`output a(${L}): ${topEntries(out.a, 3, ctx.classNames)}`));
  lines.push(clip(`target y:    ${topEntries(e.y, 1, ctx.classNames)}`));
  lines.push('');
  lines.push('Backward pass, from the cost to the input:');
  for (let i = L - 1; i >= 0; i--) {
    lines.push('');
    lines.push(...renderLayer(e.layers[i]!, L, e, i === L - 1 ? ctx.classNames : undefined));
  }
  lines.push('');
  if (e.clipScale !== undefined) lines.push(clip(`Clipping: the gradient's global norm scaled by min(1, clipNorm/‖g‖) = ${num(e.clipScale)}`));
  const clipped = e.layers.some((l) => l.dWClipped) ? ' (clipped)' : '';
  lines.push(clip(`Update (gradient descent): W(l) ← W(l) − η·∂C/∂W(l)${clipped}, b(l) likewise`));
  if (e.learningRate !== undefined) {
    lines.push(clip(`  η = ${num(e.learningRate)}${ctx.rateSource ? ` (${ctx.rateSource})` : ''}`));
    for (const l of e.layers) {
      if (l.WNext) lines.push(...updateRows(`W(${l.layer})`, l.W, l.WNext));
      if (l.bNext) lines.push(...updateRows(`b(${l.layer})`, l.b, l.bNext));
    }
  }
  return lines;
}

/** One parameter's update: its norm before and after, and the entry that moved most. */
function updateRows(name: string, before: Matrix, after: Matrix): string[] {
  let k = 0;
  for (let i = 1; i < before.data.length; i++) {
    if (Math.abs(after.data[i]! - before.data[i]!) > Math.abs(after.data[k]! - before.data[k]!)) k = i;
  }
  const at = before.cols === 1 ? `[${k}]` : `[${Math.floor(k / before.cols)},${k % before.cols}]`;
  return [
    clip(`  ${name.padEnd(12)} ${`${before.rows}×${before.cols}`.padEnd(8)} ‖·‖=${num(norm(before))} → ${num(norm(after))}`),
    clip(`    largest step ${at} ${num(before.data[k]!)} → ${num(after.data[k]!)} (${num(after.data[k]! - before.data[k]!)})`),
  ];
}

function renderLayer(l: LayerExplanation, L: number, e: Explanation, names: string[] | undefined): string[] {
  const n = l.layer;
  const p = n - 1;
  const lines: string[] = [];
  lines.push(clip(`layer ${n} (${l.W.cols} → ${l.W.rows}, ${l.activation})` + '  ' + '─'.repeat(40)).slice(0, WIDTH));
  if (l.mask) {
    // the mask's entries are 0 or 1/(1 − p): the count of zeros is what dropout did to this sample
    const dropped = l.mask.data.filter((v) => v === 0).length;
    lines.push(...row(`m(${n})`, l.mask, `${dropped} of ${l.mask.data.length} dropped, the rest ×${num(Math.max(...l.mask.data))}`));
    lines.push(...row(`ã(${n})`, l.aDropped!, `= a(${n}) ⊙ m(${n}), what layer ${n + 1} reads`, names));
  }
  const dARule = n === L ? `C'(a, y)${costRule(e.cost)}` : `W(${n + 1})ᵀ·δ(${n + 1})`;
  lines.push(...row(`∂C/∂a(${n})`, l.dA, `= ${dARule}`, names));
  if (l.sigmaPrime) lines.push(...row(`σ'(z(${n}))`, l.sigmaPrime, '', names));
  const deltaRule =
    l.deltaRule === 'fused' ? `= ${e.cost === 'cross-entropy' ? 'a − y (softmax with cross-entropy)' : '(a − y)/n_L (sigmoid with BCE)'}` : l.deltaRule === 'softmax-jacobian' ? '= J_softmax·∂C/∂a' : `= ∂C/∂a(${n}) ⊙ σ'(z(${n}))`;
  lines.push(...row(`δ(${n})`, l.delta, deltaRule, names));
  lines.push(...row(`∂C/∂W(${n})`, l.dW, `= δ(${n})·a(${p})ᵀ`));
  if (l.dWPenalty) {
    const share = norm(l.dW) > 0 ? norm(l.dWPenalty) / norm(l.dW) : 0;
    lines.push(...row(`  penalty's`, l.dWPenalty, `= l1·sign(W) + 2·l2·W, ${(100 * share).toFixed(1)}% of ‖∂C/∂W(${n})‖`));
  }
  if (l.dWClipped) lines.push(...row(`  clipped`, l.dWClipped, `∂C/∂W(${n}) as the update uses it`));
  const big = largest(l.dW);
  lines.push(clip(`    largest |∂C/∂w| ${num(big.value)} at w[${big.i},${big.j}]: ${p === 0 ? 'input' : `layer ${p}`} neuron ${big.j} → layer ${n} neuron ${big.i}`));
  lines.push(...row(`∂C/∂b(${n})`, l.db, `= δ(${n})`, names));
  if (l.dAPrev) lines.push(...row(`∂C/∂a(${p})`, l.dAPrev, `= W(${n})ᵀ·δ(${n})`));
  else lines.push(clip(`  (no ∂C/∂a(0): the input is data, not a parameter)`));
  return lines;
}

function costRule(cost: string): string {
  if (cost === 'mse') return ' = (2/n_L)(a − y)';
  if (cost === 'cross-entropy') return ' = −y/a';
  return ' = (a − y)/(a(1 − a)·n_L)';
}

/** "name  shape  ‖·‖=…  rule", then its largest entries. */
function row(name: string, m: Matrix, rule: string, names?: string[]): string[] {
  const head = `  ${name.padEnd(12)} ${`${m.rows}×${m.cols}`.padEnd(8)} ‖·‖=${num(norm(m)).padEnd(9)} ${rule}`;
  return [clip(head), clip(`    ${topEntries(m, 3, names)}`)];
}

function topEntries(m: Matrix, k: number, names?: string[]): string {
  const idx = Array.from(m.data.keys()).sort((a, b) => Math.abs(m.data[b]!) - Math.abs(m.data[a]!)).slice(0, k);
  return idx
    .map((i) => {
      const r = Math.floor(i / m.cols);
      const label = m.cols === 1 ? `[${r}${names?.[r] && names[r] !== String(r) ? ` ${names[r]}` : ''}]` : `[${r},${i % m.cols}]`;
      return `${label} ${num(m.data[i]!)}`;
    })
    .join('  ');
}

function largest(m: Matrix): { i: number; j: number; value: number } {
  let best = 0;
  for (let k = 1; k < m.data.length; k++) if (Math.abs(m.data[k]!) > Math.abs(m.data[best]!)) best = k;
  return { i: Math.floor(best / m.cols), j: best % m.cols, value: m.data[best]! };
}

function norm(m: Matrix): number {
  let s = 0;
  for (const v of m.data) s += v * v;
  return Math.sqrt(s);
}

function num(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? v.toPrecision(4) : v.toExponential(2);
}

function clip(s: string): string {
  return s.length > WIDTH ? s.slice(0, WIDTH - 1) + '…' : s;
}
