/**
 * The page: controls ⇄ state ⇄ URL hash, the training worker, and the views.
 */
import { modelToBytes } from '../../src/io/model-file.js';
import { toOnnx } from '../../src/io/onnx.js';
import { TFJS_WEIGHTS_FILE, toTfjs } from '../../src/io/tfjs.js';
import type { Explanation } from '../../src/train/explain.js';
import { BackwardPanel, fmt } from './backward.js';
import { mountChain } from './chain.js';
import { DOMAIN, featureLabel, featureRows, featureValue, gridPoints, makeData, parsePointsCsv, targetRows, type RunData, type Sample } from './data.js';
import { CLASS_COLORS, css, drawAxes, drawLossChart, drawPoints, fromPixel, NetworkView, outputColor, paintGrid, toPixel } from './draw.js';
import { codeOf, modelConfig, networkWithWeights, outputOf, type ModelConfig } from './model.js';
import type { EpochPoint, FromWorker, KernelInfo, Snapshot, ToWorker } from './protocol.js';
import { FEATURES, fromHash, MAX_LAYERS, MAX_UNITS, toHash, type State } from './state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
};

// ---------------------------------------------------------------- state
let state: State = fromHash(location.hash);
let data: RunData = makeData(state);
let config: ModelConfig = modelConfig(state, data);
let setupId = 0;
let snap: Snapshot | null = null;
let history: EpochPoint[] = [];
let playing = false;
let selected: { set: 'train' | 'test'; index: number } | null = null;
let drawClass = 0;
let explanation: Explanation | null = null;
/** the epoch a restored link is training to (0: none) */
let restoring = 0;

const grid = gridPoints();
let inputMaps: Float32Array[] = [];

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);

// ---------------------------------------------------------------- page API for tests and the curious
interface PageApi {
  ready: boolean;
  state: State;
  config: ModelConfig;
  epoch: number;
  playing: boolean;
  /** the worker is training (playing, or stepping to a restored epoch) */
  busy: boolean;
  trainLoss: number | null;
  testLoss: number | null;
  weights: { W: number[]; b: number[] }[];
  sample: { set: 'train' | 'test'; index: number; x1: number; x2: number; x: number[]; y: number[] } | null;
  learningRate: number;
  /** the kernels training runs on (null until the first snapshot) */
  kernels: KernelInfo | null;
  /** C of the backward view's sample, as explain() gave it */
  explanationLoss: number | null;
  /** client coordinates of a data point on the plane (to click it) */
  screenPoint(set: 'train' | 'test', index: number): { x: number; y: number } | null;
}
declare global {
  interface Window {
    __backprop: PageApi;
  }
}

function publish(): void {
  const s = selected ? sampleOf(selected) : null;
  window.__backprop = {
    ready: snap !== null,
    state: structuredClone(state),
    config: structuredClone(config),
    epoch: snap?.epoch ?? 0,
    playing,
    busy: snap?.playing ?? true,
    trainLoss: snap?.trainLoss ?? null,
    testLoss: snap?.testLoss ?? null,
    weights: snap ? snap.weights.map((w) => ({ W: Array.from(w.W), b: Array.from(w.b) })) : [],
    sample:
      s && selected
        ? { set: selected.set, index: selected.index, x1: s.x1, x2: s.x2, x: featureRows([s], state.features)[0]!, y: targetRows([s], data)[0]! }
        : null,
    learningRate: state.learningRate,
    kernels: snap ? { ...snap.kernels } : null,
    explanationLoss: explanation?.loss ?? null,
    screenPoint(set, index) {
      const p = (set === 'train' ? data.train : data.test)[index];
      if (!p) return null;
      const c = $<HTMLCanvasElement>('plane');
      const r = c.getBoundingClientRect();
      const [x, y] = toPixel(p.x1, p.x2, r.width);
      return { x: r.left + x, y: r.top + y };
    },
  };
}

function sampleOf(sel: { set: 'train' | 'test'; index: number }): Sample | undefined {
  return (sel.set === 'train' ? data.train : data.test)[sel.index];
}

// ---------------------------------------------------------------- worker
worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  if (m.id !== setupId) return;
  if (m.type === 'error') {
    showError(m.message);
    setPlaying(false, false);
    return;
  }
  snap = m;
  history.push(...m.history);
  if (history.length > 4000) history = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
  if (!m.playing && playing) setPlaying(false, false);
  if (!m.playing && m.epoch >= restoring) {
    // (while a restored link trains to its epoch, the hash keeps that epoch)
    restoring = 0;
    state.epoch = m.epoch;
    writeHash();
  }
  scheduleRender();
  refreshBackward(m.playing);
};
worker.onerror = (e) => showError(`training worker failed: ${e.message}`);

function showError(message: string | null): void {
  const e = $('error');
  e.hidden = message === null;
  e.textContent = message ? `⚠ ${message}` : '';
}

/** Rebuilds data, network and worker run from the state; trains to state.epoch (a restored link). */
function reset(toEpoch = 0): void {
  showError(null);
  try {
    data = makeData(state);
    config = modelConfig(state, data);
  } catch (e) {
    showError(e instanceof Error ? e.message : String(e));
    return;
  }
  setPlaying(false, false);
  setupId++;
  snap = null;
  history = [];
  explanation = null;
  if (selected && !sampleOf(selected)) selected = null;
  inputMaps = state.features.map((f) => Float32Array.from(grid, (p) => featureValue(f, p.x1, p.x2)));
  send({
    type: 'setup',
    id: setupId,
    setup: {
      model: config,
      optimizer: state.optimizer,
      learningRate: state.learningRate,
      batchSize: state.batchSize,
      seed: state.seed,
      xTrain: featureRows(data.train, state.features),
      yTrain: targetRows(data.train, data),
      xTest: featureRows(data.test, state.features),
      yTest: targetRows(data.test, data),
      grid: featureRows(grid, state.features),
      backend: state.backend,
    },
  });
  state.epoch = toEpoch;
  restoring = toEpoch;
  if (toEpoch > 0) send({ type: 'step', epochs: toEpoch });
  writeHash();
  syncControls();
  rebuildNetworkView();
  scheduleRender();
  publish();
}

function setPlaying(on: boolean, tell = true): void {
  playing = on;
  const b = $<HTMLButtonElement>('play');
  b.textContent = on ? 'Pause' : 'Play';
  b.setAttribute('aria-pressed', String(on));
  if (tell) send(on ? { type: 'play', epochsPerFrame: Number($<HTMLSelectElement>('speed').value) } : { type: 'pause' });
  publish();
}

/** A state change from a control: the run starts over with the new settings. */
function change(mutate: (s: State) => void): void {
  mutate(state);
  reset(0);
}

let hashTimer = 0;
function writeHash(): void {
  clearTimeout(hashTimer);
  hashTimer = window.setTimeout(() => {
    const h = toHash(state);
    if (location.hash.replace(/^#/, '') !== h) history_replace(h);
  }, 50);
}
function history_replace(h: string): void {
  window.history.replaceState(null, '', h ? `#${h}` : location.pathname + location.search);
}

// ---------------------------------------------------------------- controls
const lrChoices = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

function syncControls(): void {
  $<HTMLSelectElement>('dataset').value = state.dataset;
  $<HTMLInputElement>('samples').value = String(state.samples);
  $<HTMLInputElement>('noise').value = String(state.noise);
  $('noise-out').textContent = state.noise.toFixed(2);
  $<HTMLInputElement>('classes').value = String(state.classes);
  $('classes-row').hidden = state.dataset !== 'blobs';
  $('toy-options').hidden = state.dataset === 'custom';
  $('custom-options').hidden = state.dataset !== 'custom';
  $<HTMLInputElement>('test-ratio').value = String(state.testRatio);
  $('test-ratio-out').textContent = `${Math.round(state.testRatio * 100)}%`;
  $<HTMLInputElement>('seed').value = String(state.seed);
  $<HTMLSelectElement>('activation').value = state.activation;
  $<HTMLSelectElement>('init').value = state.init;
  $<HTMLSelectElement>('cost').value = state.cost;
  $<HTMLSelectElement>('cost').disabled = data.task === 'regression';
  $<HTMLSelectElement>('optimizer').value = state.optimizer;
  const lr = $<HTMLSelectElement>('lr');
  const choices = [...new Set([...lrChoices, state.learningRate])].sort((a, b) => a - b);
  lr.replaceChildren(...choices.map((v) => new Option(String(v), String(v), false, v === state.learningRate)));
  $<HTMLInputElement>('batch').value = String(state.batchSize);
  $<HTMLSelectElement>('backend').value = state.backend;
  // features
  const feats = $('features');
  feats.replaceChildren(
    ...FEATURES.map((f) => {
      const l = document.createElement('label');
      l.className = 'inline';
      const c = document.createElement('input');
      c.type = 'checkbox';
      c.checked = state.features.includes(f);
      c.dataset['feature'] = f;
      c.addEventListener('change', () => {
        const next = FEATURES.filter((g) => (g === f ? c.checked : state.features.includes(g)));
        if (next.length === 0) {
          c.checked = true;
          return;
        }
        change((s) => (s.features = next));
      });
      l.append(c, ` ${featureLabel(f)}`);
      return l;
    }),
  );
  // layers
  $('layers-text').textContent = `${state.hidden.length} hidden layer${state.hidden.length === 1 ? '' : 's'}: ${[state.features.length, ...state.hidden, data.outputs].join('–')}`;
  $<HTMLButtonElement>('add-layer').disabled = state.hidden.length >= MAX_LAYERS;
  $<HTMLButtonElement>('remove-layer').disabled = state.hidden.length === 0;
  const units = $('unit-buttons');
  units.replaceChildren(
    ...state.hidden.map((n, i) => {
      const g = document.createElement('div');
      g.className = 'unit-group';
      g.setAttribute('role', 'group');
      g.setAttribute('aria-label', `layer ${i + 1} neurons`);
      const minus = document.createElement('button');
      minus.type = 'button';
      minus.textContent = '−';
      minus.setAttribute('aria-label', `remove a neuron from layer ${i + 1}`);
      minus.dataset['testid'] = `units-minus-${i + 1}`;
      minus.disabled = n <= 1;
      minus.addEventListener('click', () => change((s) => (s.hidden[i] = n - 1)));
      const plus = document.createElement('button');
      plus.type = 'button';
      plus.textContent = '+';
      plus.setAttribute('aria-label', `add a neuron to layer ${i + 1}`);
      plus.dataset['testid'] = `units-plus-${i + 1}`;
      plus.disabled = n >= MAX_UNITS;
      plus.addEventListener('click', () => change((s) => (s.hidden[i] = n + 1)));
      const t = document.createElement('span');
      t.textContent = `L${i + 1}: ${n}`;
      g.append(minus, t, plus);
      return g;
    }),
  );
  const out = outputOf(state, data);
  $('output-note').textContent =
    `Output: ${data.outputs} ${out.activation} unit${data.outputs > 1 ? 's' : ''}, cost ${out.loss}` +
    (data.task === 'regression' ? ' (regression)' : data.classes > 2 ? ` (${data.classes} classes, one colour each)` : ' (two classes: the output is P(class 1))');
  // class picker
  const picker = $('class-picker');
  picker.replaceChildren(
    ...Array.from({ length: Math.min(8, Math.max(2, data.classes + 1)) }, (_, c) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', String(c === drawClass));
      b.className = 'class-btn';
      b.style.setProperty('--c', css(CLASS_COLORS[c]!));
      b.textContent = `class ${c}`;
      b.addEventListener('click', () => {
        drawClass = c;
        syncControls();
      });
      return b;
    }),
  );
}

function bind(): void {
  $<HTMLSelectElement>('dataset').addEventListener('change', (e) => change((s) => (s.dataset = (e.target as HTMLSelectElement).value as State['dataset'])));
  const int = (id: string, min: number, max: number, set: (s: State, v: number) => void): void => {
    $<HTMLInputElement>(id).addEventListener('change', (e) => {
      const v = Math.round(Number((e.target as HTMLInputElement).value));
      if (Number.isFinite(v) && v >= min && v <= max) change((s) => set(s, v));
      else syncControls();
    });
  };
  int('samples', 10, 2000, (s, v) => (s.samples = v));
  int('classes', 2, 8, (s, v) => (s.classes = v));
  int('seed', 0, 2 ** 31 - 1, (s, v) => (s.seed = v));
  int('batch', 1, 2000, (s, v) => (s.batchSize = v));
  const range = (id: string, out: string, show: (v: number) => string, set: (s: State, v: number) => void): void => {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('input', () => ($(out).textContent = show(Number(input.value))));
    input.addEventListener('change', () => change((s) => set(s, Number(input.value))));
  };
  range('noise', 'noise-out', (v) => v.toFixed(2), (s, v) => (s.noise = v));
  range('test-ratio', 'test-ratio-out', (v) => `${Math.round(v * 100)}%`, (s, v) => (s.testRatio = v));
  $('reseed').addEventListener('click', () => change((s) => (s.seed = (s.seed * 1103515245 + 12345) % 2147483647 || 1)));
  const choose = (id: string, set: (s: State, v: string) => void): void => {
    $<HTMLSelectElement>(id).addEventListener('change', (e) => change((s) => set(s, (e.target as HTMLSelectElement).value)));
  };
  choose('activation', (s, v) => (s.activation = v as State['activation']));
  choose('init', (s, v) => (s.init = v as State['init']));
  choose('cost', (s, v) => (s.cost = v as State['cost']));
  choose('optimizer', (s, v) => (s.optimizer = v as State['optimizer']));
  choose('lr', (s, v) => (s.learningRate = Number(v)));
  choose('backend', (s, v) => (s.backend = v as State['backend']));
  $('add-layer').addEventListener('click', () => change((s) => s.hidden.push(s.hidden[s.hidden.length - 1] ?? 4)));
  $('remove-layer').addEventListener('click', () => change((s) => s.hidden.pop()));
  $('reset').addEventListener('click', () => reset(0));
  $('play').addEventListener('click', () => setPlaying(!playing));
  $('step').addEventListener('click', () => {
    setPlaying(false);
    send({ type: 'step', epochs: 1 });
  });
  $<HTMLSelectElement>('speed').addEventListener('change', () => playing && setPlaying(true));
  $<HTMLInputElement>('show-test').addEventListener('change', scheduleRender);
  $('clear-points').addEventListener('click', () => change((s) => (s.points = [])));
  $('load-csv').addEventListener('click', () => {
    try {
      const pts = parsePointsCsv($<HTMLTextAreaElement>('csv').value);
      if (pts.length === 0) throw new Error('the CSV holds no points');
      change((s) => {
        s.dataset = 'custom';
        s.points = pts;
      });
    } catch (e) {
      showError(`CSV: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  // downloads
  $('dl-model').addEventListener('click', () => withNetwork((net) => download('playground-model.safetensors', modelToBytes(net, modelInfo()))));
  $('dl-onnx').addEventListener('click', () => withNetwork((net) => download('playground-model.onnx', toOnnx(net, { metadata: { features: JSON.stringify(state.features), playground: toHash(state) } }))));
  $('dl-tfjs').addEventListener('click', () =>
    withNetwork((net) => {
      const t = toTfjs(net, { metadata: { features: state.features, playground: toHash(state) } });
      download('model.json', new TextEncoder().encode(JSON.stringify(t.modelJson)));
      setTimeout(() => download(TFJS_WEIGHTS_FILE, t.weights), 300);
    }),
  );
  $('copy-code').addEventListener('click', () => {
    const code = codeOf(state, data, snap?.epoch ?? 0);
    const pre = $('code');
    pre.textContent = code;
    pre.hidden = false;
    void navigator.clipboard?.writeText(code).catch(() => undefined);
  });
  $('copy-link').addEventListener('click', () => {
    state.epoch = snap?.epoch ?? 0;
    const url = `${location.href.split('#')[0]}#${toHash(state)}`;
    history_replace(toHash(state));
    void navigator.clipboard?.writeText(url).catch(() => undefined);
    $('copy-link').textContent = 'link copied ✓';
    setTimeout(() => ($('copy-link').textContent = 'copy link'), 1500);
  });
  // plane: select a point, or place one (own data)
  const plane = $<HTMLCanvasElement>('plane');
  plane.addEventListener('click', (e) => {
    const r = plane.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    const hit = nearest(px, py, r.width);
    if (e.shiftKey && state.dataset === 'custom') {
      const [x1, x2] = fromPixel(px, py, r.width);
      let best = -1;
      let bestD = Infinity;
      state.points.forEach((p, i) => {
        const d = (p.x1 - x1) ** 2 + (p.x2 - x2) ** 2;
        if (d < bestD) [best, bestD] = [i, d];
      });
      if (best >= 0) change((s) => s.points.splice(best, 1));
      return;
    }
    if (hit && (hit.distance < 8 || state.dataset !== 'custom')) {
      select(hit.sel);
      return;
    }
    if (state.dataset === 'custom') {
      const [x1, x2] = fromPixel(px, py, r.width);
      change((s) => s.points.push({ x1: Number(x1.toFixed(3)), x2: Number(x2.toFixed(3)), label: drawClass }));
    }
  });
  plane.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') stepSample(1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') stepSample(-1);
    else return;
    e.preventDefault();
  });
  $('bw-prev-sample').addEventListener('click', () => stepSample(-1));
  $('bw-next-sample').addEventListener('click', () => stepSample(1));
  $('bw-apply').addEventListener('click', () => {
    if (!explanation) return;
    setPlaying(false);
    send({ type: 'setWeights', weights: explanation.layers.map((l) => ({ W: Float32Array.from(l.WNext!.data), b: Float32Array.from(l.bNext!.data) })) });
  });
  // tabs
  const tabs = [$('tab-backward'), $('tab-chain')];
  let chainMounted = false;
  const openTab = (t: HTMLElement): void => {
    for (const other of tabs) {
      const on = other === t;
      other.setAttribute('aria-selected', String(on));
      other.tabIndex = on ? 0 : -1;
      $(other.getAttribute('aria-controls')!).hidden = !on;
    }
    if (t.id === 'tab-chain' && !chainMounted) {
      mountChain($('view-chain'));
      chainMounted = true;
    }
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => openTab(t));
    t.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!;
      openTab(next);
      next.focus();
    });
  });
  openTab(tabs[0]!);
  // keys
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName)) return;
    if (e.key === ' ') {
      setPlaying(!playing);
      e.preventDefault();
    } else if (e.key === 's') $('step').click();
    else if (e.key === 'r') reset(0);
  });
  $('bw-steps').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight') $('bw-next').click();
    else if (e.key === 'ArrowLeft') $('bw-prev').click();
  });
  new ResizeObserver(scheduleRender).observe(plane);
  window.addEventListener('hashchange', () => {
    if (location.hash.replace(/^#/, '') === toHash(state)) return;
    state = fromHash(location.hash);
    reset(state.epoch);
  });
}

function withNetwork(f: (net: ReturnType<typeof networkWithWeights>) => void): void {
  if (!snap) return;
  try {
    f(networkWithWeights(config, snap.weights));
  } catch (e) {
    showError(e instanceof Error ? e.message : String(e));
  }
}

function modelInfo(): Parameters<typeof modelToBytes>[1] {
  const info: NonNullable<Parameters<typeof modelToBytes>[1]> = { task: data.task, extra: { features: state.features, playground: toHash(state), epoch: snap?.epoch ?? 0 } };
  if (data.task === 'classification') info.classNames = Array.from({ length: data.classes }, (_, c) => String(c));
  return info;
}

function download(name: string, bytes: Uint8Array): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

// ---------------------------------------------------------------- selection and the backward view
function nearest(px: number, py: number, size: number): { sel: { set: 'train' | 'test'; index: number }; distance: number } | null {
  let best: { sel: { set: 'train' | 'test'; index: number }; distance: number } | null = null;
  const sets: ['train' | 'test', Sample[]][] = [['train', data.train]];
  if ($<HTMLInputElement>('show-test').checked) sets.push(['test', data.test]);
  for (const [set, samples] of sets) {
    samples.forEach((s, index) => {
      const [x, y] = toPixel(s.x1, s.x2, size);
      const d = Math.hypot(x - px, y - py);
      if (!best || d < best.distance) best = { sel: { set, index }, distance: d };
    });
  }
  return best;
}

function stepSample(delta: number): void {
  const all: { set: 'train' | 'test'; index: number }[] = [
    ...data.train.map((_, index) => ({ set: 'train' as const, index })),
    ...data.test.map((_, index) => ({ set: 'test' as const, index })),
  ];
  if (all.length === 0) return;
  const at = selected ? all.findIndex((a) => a.set === selected!.set && a.index === selected!.index) : -1;
  select(all[(at + delta + all.length) % all.length]!);
}

function select(sel: { set: 'train' | 'test'; index: number }): void {
  selected = sel;
  if (playing) setPlaying(false);
  $('tab-backward').click();
  refreshBackward(false, true);
  scheduleRender();
}

const panel = new BackwardPanel($('bw-steps'), $('bw-net'), $('bw-title'), $<HTMLButtonElement>('bw-prev'), $<HTMLButtonElement>('bw-next'));
panel.clear('Click a point on the plane to explain one backpropagation step for it.');
let lastBackward = 0;

/** explain() for the selected sample with the current weights (throttled while training runs). */
function refreshBackward(training: boolean, force = false): void {
  const s = selected ? sampleOf(selected) : undefined;
  if (!s || !snap) {
    publish();
    return;
  }
  const now = performance.now();
  if (training && !force && now - lastBackward < 400) return;
  lastBackward = now;
  const x = featureRows([s], state.features);
  const y = targetRows([s], data);
  explanation = networkWithWeights(config, snap.weights).explain(x, y, { learningRate: state.learningRate });
  const label = data.task === 'regression' ? `target ${fmt(s.label)}` : `class ${s.label}`;
  $('bw-sample').textContent = `${selected!.set} sample #${selected!.index}: (x₁, x₂) = (${fmt(s.x1)}, ${fmt(s.x2)}), ${label} — weights of epoch ${snap.epoch}, C = ${fmt(explanation.loss)}`;
  $('bw-sample').dataset['set'] = selected!.set;
  $('bw-sample').dataset['index'] = String(selected!.index);
  $('bw-sample').dataset['epoch'] = String(snap.epoch);
  panel.show(explanation, state.features.map(featureLabel));
  publish();
}

// ---------------------------------------------------------------- rendering
let netView: NetworkView | null = null;
function rebuildNetworkView(): void {
  netView = new NetworkView($('net'), { inputs: state.features.map(featureLabel), units: config.layers.map((l) => l.units), activations: config.layers.map((l) => l.activation ?? 'sigmoid') }, { heatmaps: true });
}

let frame = 0;
function scheduleRender(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    render();
  });
}

function render(): void {
  const plane = $<HTMLCanvasElement>('plane');
  const size = Math.round(plane.clientWidth * (window.devicePixelRatio || 1));
  if (size > 0 && (plane.width !== size || plane.height !== size)) {
    plane.width = size;
    plane.height = size;
  }
  const ctx = plane.getContext('2d')!;
  const outAct = config.layers[config.layers.length - 1]!.activation ?? 'sigmoid';
  if (snap) {
    const outputs = snap.neurons[snap.neurons.length - 1]!;
    paintGrid(plane, outputColor(outputs, outAct, data.task));
  } else {
    ctx.fillStyle = '#f4f5f6';
    ctx.fillRect(0, 0, plane.width, plane.height);
  }
  drawAxes(ctx, plane.width);
  const sel = selected ? (sampleOf(selected) ?? null) : null;
  drawPoints(ctx, plane.width, data.train, $<HTMLInputElement>('show-test').checked ? data.test : null, data.task, sel);
  if (snap && netView) netView.update(snap.weights, snap.neurons, inputMaps);
  drawLossChart($<HTMLCanvasElement>('loss-chart'), history);
  const set = (id: string, v: number | null, digits = 4): void => {
    const e = $(id);
    e.textContent = v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits);
    e.dataset['value'] = v === null ? '' : String(v);
  };
  $('epoch').textContent = String(snap?.epoch ?? 0);
  set('train-loss', snap?.trainLoss ?? null);
  set('test-loss', snap?.testLoss ?? null);
  showKernels(snap?.kernels ?? null);
  const acc = $('test-acc');
  acc.textContent = data.task === 'classification' && snap?.testAccuracy != null ? `${(snap.testAccuracy * 100).toFixed(1)}%` : '–';
  publish();
}

/** The kernels' status text: "wasm · 2 threads", with the reason in its title when it is less than asked for. */
function showKernels(k: KernelInfo | null): void {
  const e = $('kernels');
  if (!k) return; // (between runs: keep the last one)
  const text = k.backend === 'wasm' ? `wasm · ${k.threads} thread${k.threads === 1 ? '' : 's'}` : 'js';
  if (e.textContent === text && e.dataset['note'] === (k.note ?? '')) return;
  e.textContent = text;
  e.dataset['backend'] = k.backend;
  e.dataset['threads'] = String(k.threads);
  e.dataset['note'] = k.note ?? '';
  const what = k.backend === 'wasm' ? `WebAssembly SIMD kernels on ${k.threads} thread${k.threads === 1 ? '' : 's'}, ${k.shared ? 'shared' : 'ordinary'} memory` : 'JavaScript kernels';
  e.title = `${what}; cross-origin isolated: ${k.crossOriginIsolated ? 'yes' : 'no'}${k.note ? ` — ${k.note}` : ''}`;
}

// ---------------------------------------------------------------- start
bind();
reset(state.epoch);
// the plane's extent, for screen readers
$('plane').setAttribute('aria-description', `x₁ and x₂ from −${DOMAIN} to ${DOMAIN}`);
