/**
 * The page: controls ⇄ state ⇄ URL hash, the training worker, and the views. The page builds no
 * network itself: training, explain() and the downloads run in the worker (so the library's
 * WebAssembly is loaded once, there).
 */
import type { Explanation } from '../../src/train/explain.js';
import { BackwardPanel, fmt, revive } from './backward.js';
import { mountChain } from './chain.js';
import { DOMAIN, featureLabel, featureRows, featureValue, gridPoints, makeData, parsePointsCsv, targetRows, type RunData, type Sample } from './data.js';
import { CLASS_COLORS, css, drawFlowChart, drawLossCharts, drawPlane, fromPixel, legendHtml, NetworkView, toPixel, type ChartHit } from './draw.js';
import { codeOf, modelConfig, outputOf, type LayerWeights, type ModelConfig } from './model.js';
import { PRESETS, presetById, presetState, presetWeights, stateFromHash } from './presets.js';
import type { EpochPoint, FlowPoint, FromWorker, KernelInfo, LiveSettings, Request, Snapshot, ToWorker } from './protocol.js';
import { datasetDefaults, defaultState, FEATURES, MAX_LAYERS, MAX_UNITS, toHash, type PlainWeights, type State } from './state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
};

// ---------------------------------------------------------------- state
let state: State = stateFromHash(location.hash);
let data: RunData = makeData(state);
let config: ModelConfig = modelConfig(state, data);
let setupId = 0;
let snap: Snapshot | null = null;
/** The snapshot the view last drew: the page is ready for a reader once it shows the current one. */
let drawn: Snapshot | null = null;
let history: EpochPoint[] = [];
let flowHistory: FlowPoint[] = [];
let playing = false;
let selected: { set: 'train' | 'test'; index: number } | null = null;
let drawClass = 0;
let explanation: Explanation | null = null;
/** the epoch a restored link is training to (0: none) */
let restoring = 0;
/**
 * The run is no longer what `fit` gives from its start (an applied update, a typed weight, η or
 * the optimizer changed mid-run): links and "copy as code" then carry the weights themselves.
 */
let edited = false;
/** what was done to the weights since the last epoch, for the backward view's label */
let editNote = '';
/** the neuron whose map the plane shows while hovered ([layer, unit]), or null */
let hovered: [number, number] | null = null;

const grid = gridPoints();
let inputMaps: Float32Array[] = [];

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);

/** Requests to the worker (explain, exports, chain), answered in order of their number. */
let nextReq = 1;
const waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
function ask<T>(request: Request): Promise<T> {
  const req = nextReq++;
  return new Promise<T>((ok, fail) => {
    waiting.set(req, { ok: ok as (v: unknown) => void, fail });
    send({ type: 'request', req, request });
  });
}

// ---------------------------------------------------------------- page API for tests and the curious
interface PageApi {
  /** a snapshot has arrived and the view shows it */
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
  /** the backward view's explanation is up to date with the weights shown */
  explained: boolean;
  /** the gradient flow measured so far */
  flow: FlowPoint[];
  /** client coordinates of a data point on the plane (to click it) */
  screenPoint(set: 'train' | 'test', index: number): { x: number; y: number } | null;
}
declare global {
  interface Window {
    __backprop: PageApi;
  }
}

function publish(): void {
  $<HTMLButtonElement>('bw-apply').disabled = explanation === null;
  const s = selected ? sampleOf(selected) : null;
  window.__backprop = {
    ready: snap !== null && drawn === snap,
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
    explained: explainedFor === snap,
    flow: structuredClone(flowHistory),
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
  if (m.type === 'reply') {
    const w = waiting.get(m.req);
    waiting.delete(m.req);
    if (m.ok) w?.ok(m.value);
    else w?.fail(new Error(m.message));
    return;
  }
  if (m.id !== setupId) return;
  if (m.type === 'error') {
    showError(m.message);
    setPlaying(false, false);
    return;
  }
  if (snap && m.epoch !== snap.epoch) editNote = '';
  if (m.stopped) showStatus(m.stopped);
  snap = m;
  history.push(...m.history);
  if (history.length > 4000) history = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
  if (flowHistory.at(-1)?.epoch !== m.flow.epoch) flowHistory.push(m.flow);
  if (flowHistory.length > 2000) flowHistory = flowHistory.filter((_, i) => i % 2 === 0 || i === flowHistory.length - 1);
  if (!m.playing && playing) setPlaying(false, false);
  if (!m.playing && m.epoch >= restoring) {
    // (while a restored link trains to its epoch, the hash keeps that epoch)
    restoring = 0;
    state.epoch = m.epoch;
    writeHash();
  }
  scheduleRender();
  void refreshBackward(m.playing);
};
worker.onerror = (e) => showError(`training worker failed: ${e.message}`);

/** A note about the run that is not an error (early stopping). */
function showStatus(message: string | null): void {
  const e = $('status');
  e.hidden = message === null;
  e.textContent = message ?? '';
}

function showError(message: string | null): void {
  const e = $('error');
  e.hidden = message === null;
  e.textContent = message ? `⚠ ${message}` : '';
}

function liveSettings(): LiveSettings {
  return {
    optimizer: state.optimizer,
    learningRate: state.learningRate,
    batchSize: state.batchSize,
    schedule: state.schedule,
    patience: state.patience,
    l1: state.l1,
    l2: state.l2,
    weightDecay: state.weightDecay,
    clipNorm: state.clipNorm,
  };
}

/**
 * Rebuilds data, network and worker run from the state. A state with weights starts from them at
 * state.epoch (a preset, a link of an edited run); without, a link's epoch is trained to again.
 */
function reset(toEpoch = 0): void {
  showError(null);
  try {
    data = makeData(state);
    config = modelConfig(state, data);
  } catch (e) {
    showError(e instanceof Error ? e.message : String(e));
    return;
  }
  const sizes = [config.inputs, ...config.layers.map((l) => l.units)];
  const fits = (ws: PlainWeights[] | null): ws is PlainWeights[] =>
    ws !== null && ws.length === sizes.length - 1 && ws.every((w, i) => w.W.length === sizes[i + 1]! * sizes[i]! && w.b.length === sizes[i + 1]!);
  if (!fits(state.weights)) state.weights = null;
  setPlaying(false, false);
  setupId++;
  snap = null;
  history = [];
  flowHistory = [];
  explanation = null;
  explainedFor = null;
  edited = false;
  editNote = '';
  if (selected && !sampleOf(selected)) selected = null;
  inputMaps = state.features.map((f) => Float32Array.from(grid, (p) => featureValue(f, p.x1, p.x2)));
  const start = state.weights ? { weights: state.weights.map((w) => ({ W: Float32Array.from(w.W), b: Float32Array.from(w.b) })), epoch: toEpoch } : null;
  send({
    type: 'setup',
    id: setupId,
    setup: {
      model: config,
      ...liveSettings(),
      seed: state.seed,
      xTrain: featureRows(data.train, state.features),
      yTrain: targetRows(data.train, data),
      xTest: featureRows(data.test, state.features),
      yTest: targetRows(data.test, data),
      grid: featureRows(grid, state.features),
      backend: state.backend,
      start,
    },
  });
  state.epoch = toEpoch;
  restoring = start ? 0 : toEpoch;
  if (!start && toEpoch > 0) send({ type: 'step', epochs: toEpoch });
  writeHash();
  syncControls();
  rebuildNetworkView();
  scheduleRender();
  publish();
}

function setPlaying(on: boolean, tell = true): void {
  playing = on;
  if (on) showStatus(null);
  const b = $<HTMLButtonElement>('play');
  b.textContent = on ? 'Pause' : 'Play';
  b.setAttribute('aria-pressed', String(on));
  if (tell) {
    const epoch = snap?.epoch ?? 0;
    // past the stop epoch, Play goes on until paused
    const stopAt = state.stopAt > epoch ? state.stopAt : 0;
    send(on ? { type: 'play', epochsPerFrame: Number($<HTMLSelectElement>('speed').value), stopAt } : { type: 'pause' });
  }
  publish();
}

/** A change of what the run is (data, shape, activation, …): it starts over with the new settings. */
function change(mutate: (s: State) => void): void {
  mutate(state);
  state.weights = state.preset ? presetWeightsIfSameShape() : null;
  // a lesson whose network changed shape is no longer that lesson (its text and weights would not fit)
  if (state.preset && presetWeights(state.preset) && !state.weights) state.preset = '';
  reset(0);
}

/** The preset's typed-in weights while the network keeps the preset's shape. */
function presetWeightsIfSameShape(): PlainWeights[] | null {
  const base = presetState(state.preset);
  if (!base || base.hidden.join() !== state.hidden.join() || base.features.join() !== state.features.join()) return null;
  return presetWeights(state.preset);
}

/** A change that applies to the running network (η, batch size, optimizer): the epoch goes on. */
function changeLive(mutate: (s: State) => void): void {
  mutate(state);
  // (the penalties are part of the configuration explain() and the downloads build from)
  config = modelConfig(state, data);
  if ((snap?.epoch ?? 0) > 0) edited = true;
  send({ type: 'live', settings: liveSettings() });
  if (playing) setPlaying(true);
  writeHash();
  syncControls();
  void refreshBackward(false, true);
}

/** The weights a link or "copy as code" must carry: null when `fit` from the state gives them. */
function weightsToKeep(): PlainWeights[] | null {
  if (!snap || (!edited && !state.weights)) return null;
  if (!edited && snap.epoch === 0) return state.weights;
  return snap.weights.map((w) => ({ W: Array.from(w.W), b: Array.from(w.b) }));
}

function hashOf(): string {
  const keep = weightsToKeep();
  const s: State = { ...state, weights: keep, epoch: snap?.epoch ?? state.epoch };
  return toHash(s, (state.preset && presetState(state.preset)) || defaultState());
}

let hashTimer = 0;
function writeHash(): void {
  clearTimeout(hashTimer);
  hashTimer = window.setTimeout(() => {
    const h = hashOf();
    if (location.hash.replace(/^#/, '') !== h) history_replace(h);
  }, 50);
}
function history_replace(h: string): void {
  window.history.replaceState(null, '', h ? `#${h}` : location.pathname + location.search);
}

// ---------------------------------------------------------------- controls
const lrChoices = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const penaltyChoices = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1];

/** A select of numbers holding `value` (added when it is not one of the choices, e.g. from a link). */
function fillNumbers(select: HTMLSelectElement, choices: readonly number[], value: number, label = (v: number): string => String(v)): void {
  const all = [...new Set([...choices, value])].sort((a, b) => a - b);
  select.replaceChildren(...all.map((v) => new Option(label(v), String(v), false, v === value)));
}

function syncControls(): void {
  $<HTMLSelectElement>('preset').value = state.preset;
  const about = presetById(state.preset)?.about;
  $('lesson-about').hidden = !about;
  $('lesson-about').textContent = about ? `Lesson: ${about}` : '';

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
  fillNumbers($<HTMLSelectElement>('lr'), lrChoices, state.learningRate);
  fillNumbers($<HTMLSelectElement>('l1'), penaltyChoices, state.l1, (v) => (v === 0 ? 'none' : String(v)));
  fillNumbers($<HTMLSelectElement>('l2'), penaltyChoices, state.l2, (v) => (v === 0 ? 'none' : String(v)));
  $<HTMLSelectElement>('dropout').value = String(state.dropout);
  fillNumbers($<HTMLSelectElement>('wd'), [0, 0.0001, 0.001, 0.01, 0.1], state.weightDecay, (v) => (v === 0 ? 'none' : String(v)));
  fillNumbers($<HTMLSelectElement>('clip'), [0, 0.1, 0.5, 1, 5], state.clipNorm, (v) => (v === 0 ? 'none' : String(v)));
  $<HTMLSelectElement>('schedule').value = state.schedule;
  $<HTMLInputElement>('patience').value = String(state.patience);
  $<HTMLInputElement>('batch').value = String(state.batchSize);
  $<HTMLInputElement>('stop-at').value = String(state.stopAt);
  $<HTMLSelectElement>('backend').value = state.backend;
  $<HTMLInputElement>('discretize').checked = state.discretize;
  $<HTMLInputElement>('exercise').checked = state.exercise;
  // a teacher's link hides control groups
  document.querySelectorAll<HTMLElement>('[data-hide]').forEach((e) => (e.hidden = (state.hide as string[]).includes(e.dataset['hide']!)));
  // a lesson says what to look at itself; the general introduction makes room for it
  if (about || introClosed) $('intro').hidden = true;
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
      t.textContent = `layer ${i + 1}: ${n}`;
      g.append(minus, t, plus);
      return g;
    }),
  );
  const out = outputOf(state, data);
  const lossName = { mse: 'MSE', 'cross-entropy': 'cross-entropy', 'binary-cross-entropy': 'binary cross-entropy' }[out.loss];
  $('output-note').textContent =
    `Output: ${data.outputs} ${out.activation} unit${data.outputs > 1 ? 's' : ''}, cost ${lossName}` +
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
  const presetSelect = $<HTMLSelectElement>('preset');
  for (const p of PRESETS) presetSelect.append(new Option(p.title, p.id));
  presetSelect.addEventListener('change', () => {
    const next = presetState(presetSelect.value) ?? { ...defaultState(), dataset: state.dataset, ...datasetDefaults(state.dataset) };
    next.hide = state.hide;
    state = next;
    selected = null;
    reset(0);
    selectFromState();
  });
  $<HTMLSelectElement>('dataset').addEventListener('change', (e) =>
    change((s) => {
      s.dataset = (e.target as HTMLSelectElement).value as State['dataset'];
      s.preset = '';
      // what this data set needs to be learnt (spirals: more samples, a bigger network)
      Object.assign(s, datasetDefaults(s.dataset));
    }),
  );
  const int = (id: string, min: number, max: number, set: (s: State, v: number) => void, live = false): void => {
    $<HTMLInputElement>(id).addEventListener('change', (e) => {
      const v = Math.round(Number((e.target as HTMLInputElement).value));
      if (Number.isFinite(v) && v >= min && v <= max) (live ? changeLive : change)((s) => set(s, v));
      else syncControls();
    });
  };
  int('samples', 10, 2000, (s, v) => (s.samples = v));
  int('classes', 2, 8, (s, v) => (s.classes = v));
  int('seed', 0, 2 ** 31 - 1, (s, v) => (s.seed = v));
  int('batch', 1, 2000, (s, v) => (s.batchSize = v), true);
  $<HTMLInputElement>('stop-at').addEventListener('change', (e) => {
    const v = Math.round(Number((e.target as HTMLInputElement).value));
    if (Number.isFinite(v) && v >= 0) state.stopAt = v;
    if (playing) setPlaying(true);
    syncControls();
    writeHash();
  });
  const range = (id: string, out: string, show: (v: number) => string, set: (s: State, v: number) => void): void => {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('input', () => ($(out).textContent = show(Number(input.value))));
    input.addEventListener('change', () => change((s) => set(s, Number(input.value))));
  };
  range('noise', 'noise-out', (v) => v.toFixed(2), (s, v) => (s.noise = v));
  range('test-ratio', 'test-ratio-out', (v) => `${Math.round(v * 100)}%`, (s, v) => (s.testRatio = v));
  $('reseed').addEventListener('click', () => change((s) => (s.seed = (s.seed * 1103515245 + 12345) % 2147483647 || 1)));
  const choose = (id: string, set: (s: State, v: string) => void, live = false): void => {
    $<HTMLSelectElement>(id).addEventListener('change', (e) => (live ? changeLive : change)((s) => set(s, (e.target as HTMLSelectElement).value)));
  };
  choose('activation', (s, v) => (s.activation = v as State['activation']));
  choose('init', (s, v) => (s.init = v as State['init']));
  choose('cost', (s, v) => (s.cost = v as State['cost']));
  choose('optimizer', (s, v) => (s.optimizer = v as State['optimizer']), true);
  choose('lr', (s, v) => (s.learningRate = Number(v)), true);
  choose('schedule', (s, v) => (s.schedule = v as State['schedule']), true);
  choose('l1', (s, v) => (s.l1 = Number(v)), true);
  choose('l2', (s, v) => (s.l2 = Number(v)), true);
  choose('dropout', (s, v) => (s.dropout = Number(v)));
  choose('wd', (s, v) => (s.weightDecay = Number(v)), true);
  choose('clip', (s, v) => (s.clipNorm = Number(v)), true);
  int('patience', 0, 100_000, (s, v) => (s.patience = v), true);
  choose('backend', (s, v) => (s.backend = v as State['backend']));
  $('add-layer').addEventListener('click', () => change((s) => s.hidden.push(s.hidden[s.hidden.length - 1] ?? 4)));
  $('remove-layer').addEventListener('click', () => change((s) => s.hidden.pop()));
  $('reset').addEventListener('click', () => {
    if (state.preset) state.weights = presetWeightsIfSameShape();
    else state.weights = null;
    reset(0);
  });
  $('play').addEventListener('click', () => setPlaying(!playing));
  $('step').addEventListener('click', () => {
    setPlaying(false);
    send({ type: 'step', epochs: 1 });
  });
  $<HTMLSelectElement>('speed').addEventListener('change', () => playing && setPlaying(true));
  $<HTMLInputElement>('show-test').addEventListener('change', scheduleRender);
  $<HTMLInputElement>('discretize').addEventListener('change', (e) => {
    state.discretize = (e.target as HTMLInputElement).checked;
    writeHash();
    scheduleRender();
  });
  $<HTMLInputElement>('exercise').addEventListener('change', (e) => {
    state.exercise = (e.target as HTMLInputElement).checked;
    writeHash();
    panel.setExercise(state.exercise);
  });
  $('intro-close').addEventListener('click', () => {
    $('intro').hidden = true;
    introClosed = true;
    try {
      localStorage.setItem('backprop-intro', 'hidden');
    } catch {
      // (storage unavailable: it shows again next time)
    }
  });
  introClosed = localStorageGet('backprop-intro') === 'hidden';
  $('clear-points').addEventListener('click', () => change((s) => (s.points = [])));
  $('load-csv').addEventListener('click', () => {
    try {
      const { points, skipped } = parsePointsCsv($<HTMLTextAreaElement>('csv').value);
      if (points.length === 0) throw new Error('the CSV holds no points');
      $('csv-note').textContent = `${points.length} point${points.length === 1 ? '' : 's'} read${skipped ? `; ${skipped}` : ''}.`;
      change((s) => {
        s.dataset = 'custom';
        s.preset = '';
        s.points = points;
      });
    } catch (e) {
      const message = `CSV: ${e instanceof Error ? e.message : String(e)}`;
      $('csv-note').textContent = message;
      showError(message);
    }
  });
  // downloads (made in the worker)
  const exportFiles = (format: 'model' | 'onnx' | 'tfjs'): void => {
    if (!snap) return;
    ask<{ name: string; bytes: Uint8Array }[]>({
      kind: 'export',
      format,
      model: config,
      weights: snap.weights,
      info: { task: data.task, classes: data.classes, features: state.features, link: hashOf(), epoch: snap.epoch },
    })
      .then((files) => files.forEach((f, i) => setTimeout(() => download(f.name, f.bytes), i * 300)))
      .catch((e: Error) => showError(e.message));
  };
  $('dl-model').addEventListener('click', () => exportFiles('model'));
  $('dl-onnx').addEventListener('click', () => exportFiles('onnx'));
  $('dl-tfjs').addEventListener('click', () => exportFiles('tfjs'));
  $('copy-code').addEventListener('click', () => {
    const code = codeOf(state, data, snap?.epoch ?? 0, weightsToKeep());
    const pre = $('code');
    pre.textContent = code;
    pre.hidden = false;
    void navigator.clipboard?.writeText(code).catch(() => undefined);
  });
  $('copy-link').addEventListener('click', () => {
    const h = hashOf();
    const url = `${location.href.split('#')[0]}#${h}`;
    history_replace(h);
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
    setWeights(explanation.layers.map((l) => ({ W: Float32Array.from(l.WNext!.data), b: Float32Array.from(l.bNext!.data) })));
    const n = /after (\d+) applied update/.exec(editNote);
    editNote = `after ${n ? Number(n[1]) + 1 : 1} applied update${n ? 's' : ''} of this sample's gradient`;
  });
  // the weight editor
  $('editor').addEventListener('submit', (e) => {
    e.preventDefault();
    applyEditor();
  });
  $('editor-close').addEventListener('click', () => ($('editor').hidden = true));
  // tabs
  const tabs = [$('tab-backward'), $('tab-flow'), $('tab-chain')];
  // a tab opened by the user comes into view (beside the plane)
  const showTab = (t: HTMLElement): void => {
    openTab(t);
    $('views').scrollIntoView({ block: 'nearest', behavior: 'instant' });
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => showTab(t));
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
    else if (e.key === 'r') $('reset').click();
  });
  $('bw-steps').addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'INPUT') return;
    if (e.key === 'ArrowRight') $('bw-next').click();
    else if (e.key === 'ArrowLeft') $('bw-prev').click();
  });
  // exact values on hover over the loss and accuracy charts
  for (const id of ['loss-chart', 'acc-chart']) {
    const c = $<HTMLCanvasElement>(id);
    c.addEventListener('mousemove', (e) => {
      const r = c.getBoundingClientRect();
      chartHover = { x: e.clientX - r.left };
      scheduleRender();
    });
    c.addEventListener('mouseleave', () => {
      chartHover = null;
      scheduleRender();
    });
  }
  new ResizeObserver(scheduleRender).observe(plane);
  window.addEventListener('hashchange', () => {
    if (location.hash.replace(/^#/, '') === hashOf()) return;
    state = stateFromHash(location.hash);
    reset(state.epoch);
    selectFromState();
  });
}

let chainMounted = false;
/** the visitor closed the introduction (remembered in localStorage) */
let introClosed = false;
/** Shows one tab of the explanations (the ARIA tab pattern: the others hidden and out of the tab order). */
function openTab(t: HTMLElement): void {
  for (const other of [$('tab-backward'), $('tab-flow'), $('tab-chain')]) {
    const on = other === t;
    other.setAttribute('aria-selected', String(on));
    other.tabIndex = on ? 0 : -1;
    $(other.getAttribute('aria-controls')!).hidden = !on;
  }
  if (t.id === 'tab-chain' && !chainMounted) {
    mountChain($('view-chain'), (c) => ask({ kind: 'chain', chain: c }));
    chainMounted = true;
  }
  if (t.id === 'tab-flow') scheduleRender();
}

function localStorageGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** New weights for the running network (an applied update, a typed weight): the epoch stays. */
function setWeights(weights: LayerWeights[]): void {
  edited = true;
  send({ type: 'setWeights', weights });
  writeHash();
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

// ---------------------------------------------------------------- the weight editor
let editing: { layer: number; unit: number } | null = null;

/** Opens the editor of neuron `unit` of layer `layer`: its bias and every weight into it. */
function openEditor(layer: number, unit: number, focusInput = -1): void {
  if (!snap) return;
  editing = { layer, unit };
  const w = snap.weights[layer - 1]!;
  const inputs = w.W.length / w.b.length;
  const from = layer === 1 ? state.features.map(featureLabel) : Array.from({ length: inputs }, (_, k) => `a(${layer - 1})${k + 1}`);
  $('editor-title').textContent = `neuron ${unit + 1} of layer ${layer}: z = Σ w·a(${layer - 1}) + b`;
  const fields = $('editor-fields');
  fields.replaceChildren();
  const field = (label: string, value: number, testid: string): HTMLInputElement => {
    const l = document.createElement('label');
    l.className = 'inline';
    const i = document.createElement('input');
    i.type = 'number';
    i.step = 'any';
    i.value = String(Number(value.toPrecision(6)));
    i.dataset['testid'] = testid;
    l.append(label, i);
    fields.append(l);
    return i;
  };
  const inputsEls: HTMLInputElement[] = [];
  for (let k = 0; k < inputs; k++) inputsEls.push(field(`w(${layer})${unit + 1},${k + 1} (from ${from[k]})`, w.W[unit * inputs + k]!, `edit-w-${k + 1}`));
  const b = field(`b(${layer})${unit + 1}`, w.b[unit]!, 'edit-b');
  $('editor').hidden = false;
  (inputsEls[focusInput] ?? inputsEls[0] ?? b).focus();
}

function applyEditor(): void {
  if (!snap || !editing) return;
  const { layer, unit } = editing;
  const values = Array.from($('editor-fields').querySelectorAll('input'), (i) => Number(i.value));
  if (!values.every(Number.isFinite)) {
    showError('a weight must be a number');
    return;
  }
  showError(null);
  setPlaying(false);
  const weights = snap.weights.map((w) => ({ W: Float32Array.from(w.W), b: Float32Array.from(w.b) }));
  const w = weights[layer - 1]!;
  const inputs = w.W.length / w.b.length;
  for (let k = 0; k < inputs; k++) w.W[unit * inputs + k] = values[k]!;
  w.b[unit] = values[inputs]!;
  setWeights(weights);
  editNote = 'with your typed weights';
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
  select(all[(at + delta + all.length) % all.length]!, false);
}

function describe(sel: { set: 'train' | 'test'; index: number }): string {
  const s = sampleOf(sel);
  if (!s) return '';
  const what = data.task === 'regression' ? `target ${fmt(s.label)}` : `class ${s.label}`;
  return `${sel.set} sample #${sel.index} at (${fmt(s.x1)}, ${fmt(s.x2)}), ${what}`;
}

/** Selects a sample: training pauses, the backward view opens beside the plane and says so. */
function select(sel: { set: 'train' | 'test'; index: number }, scroll = true): void {
  selected = sel;
  state.sample = `${sel.set}:${sel.index}`;
  writeHash();
  if (playing) setPlaying(false);
  openTab($('tab-backward'));
  $('selection').textContent = `Selected ${describe(sel)}. Its backward step is shown${matchMedia('(max-width: 700px)').matches ? ' below the plane' : ' beside the plane'}.`;
  void refreshBackward(false, true);
  scheduleRender();
  // the step goes under the header, beside the plane (which stays in view: its column is sticky)
  if (scroll) $('views').scrollIntoView({ block: 'start', behavior: 'instant' });
}

function selectFromState(): void {
  const m = /^(train|test):(\d+)$/.exec(state.sample);
  if (m) select({ set: m[1] as 'train' | 'test', index: Number(m[2]) }, false);
}

const panel = new BackwardPanel($('bw-steps'), $('bw-net'), $('bw-title'), $<HTMLButtonElement>('bw-prev'), $<HTMLButtonElement>('bw-next'));
panel.clear('The steps of the selected point appear here.');
let lastBackward = 0;
/** the snapshot the current explanation was made for */
let explainedFor: Snapshot | null = null;

/** explain() of the selected sample with the current weights (throttled while training runs). */
async function refreshBackward(training: boolean, force = false): Promise<void> {
  const s = selected ? sampleOf(selected) : undefined;
  if (!s || !snap) {
    publish();
    return;
  }
  const now = performance.now();
  if (training && !force && now - lastBackward < 400) return;
  lastBackward = now;
  const at = snap;
  const sel = selected!;
  const x = featureRows([s], state.features);
  const y = targetRows([s], data);
  let e: Explanation;
  try {
    e = revive(await ask<Explanation>({ kind: 'explain', model: config, weights: at.weights, x, y, learningRate: state.learningRate, clipNorm: state.clipNorm }));
  } catch (err) {
    showError(err instanceof Error ? err.message : String(err));
    return;
  }
  if (at !== snap || sel !== selected) return; // a newer one is on its way
  explanation = e;
  explainedFor = at;
  const label = data.task === 'regression' ? `target ${fmt(s.label)}` : `class ${s.label}`;
  const weightsOf = `weights of epoch ${at.epoch}${editNote ? ` ${editNote}` : ''}${state.dropout > 0 ? ' (dropout off, as in prediction)' : ''}`;
  const bw = $('bw-sample');
  bw.textContent = `${sel.set} sample #${sel.index}: (x₁, x₂) = (${fmt(s.x1)}, ${fmt(s.x2)}), ${label} — ${weightsOf}, C = ${fmt(e.loss)}`;
  bw.dataset['set'] = sel.set;
  bw.dataset['index'] = String(sel.index);
  bw.dataset['epoch'] = String(at.epoch);
  panel.show(e, state.features.map(featureLabel), state.exercise);
  publish();
}

// ---------------------------------------------------------------- rendering
let netView: NetworkView | null = null;
function rebuildNetworkView(): void {
  $('editor').hidden = true;
  netView = new NetworkView(
    $('net'),
    { inputs: state.features.map(featureLabel), units: config.layers.map((l) => l.units), activations: config.layers.map((l) => l.activation ?? 'sigmoid') },
    {
      heatmaps: true,
      onNeuron: (l, j) => openEditor(l, j),
      onLink: (l, j, i) => openEditor(l, j, i),
      onHover: (n) => {
        hovered = n;
        scheduleRender();
      },
    },
  );
}

let chartHover: { x: number } | null = null;
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
  const outAct = config.layers[config.layers.length - 1]!.activation ?? 'sigmoid';
  const sel = selected ? (sampleOf(selected) ?? null) : null;
  const hoveredMap = hovered && snap ? (hovered[0] === 0 ? inputMaps[hovered[1]] : snap.neurons[hovered[0] - 1]?.[hovered[1]]) : undefined;
  drawPlane(plane, {
    outputs: snap ? snap.neurons[snap.neurons.length - 1]! : null,
    neuron: hoveredMap && hovered ? { values: hoveredMap, activation: hovered[0] === 0 ? 'linear' : (config.layers[hovered[0] - 1]!.activation ?? 'sigmoid') } : null,
    activation: outAct,
    task: data.task,
    discretize: state.discretize,
    train: data.train,
    test: $<HTMLInputElement>('show-test').checked ? data.test : null,
    selected: sel,
  });
  $('legend').innerHTML = legendHtml({
    task: data.task,
    classes: data.classes,
    outputs: data.outputs,
    discretize: state.discretize,
    neuron: hovered ? (hovered[0] === 0 ? `input ${featureLabel(state.features[hovered[1]]!)}` : `neuron ${hovered[1] + 1} of layer ${hovered[0]}`) : null,
  });
  if (snap && netView) netView.update(snap.weights, snap.neurons, inputMaps, data.outputs > 1 ? 'classes' : 'diverging');
  const hit: ChartHit | null = drawLossCharts($<HTMLCanvasElement>('loss-chart'), $<HTMLCanvasElement>('acc-chart'), history, data.task === 'classification', chartHover?.x ?? null);
  $('chart-readout').textContent = hit
    ? `epoch ${hit.epoch}: train loss ${fmt(hit.trainLoss)}${hit.testLoss !== null ? `, test loss ${fmt(hit.testLoss)}` : ''}` +
      (hit.trainAccuracy !== null ? `, train accuracy ${(hit.trainAccuracy * 100).toFixed(1)}%` : '') +
      (hit.testAccuracy !== null ? `, test accuracy ${(hit.testAccuracy * 100).toFixed(1)}%` : '') +
      `, η ${fmt(hit.learningRate)}`
    : 'Hover the charts for the exact values.';
  if (!$('view-flow').hidden) drawFlowChart($<HTMLCanvasElement>('flow-chart'), $('flow-table'), flowHistory);
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
  drawn = snap;
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
panel.setExercise(state.exercise);
reset(state.epoch);
selectFromState();
// the plane's extent, for screen readers
$('plane').setAttribute('aria-description', `x₁ and x₂ from −${DOMAIN} to ${DOMAIN}`);
