/**
 * The training worker: holds the network and the optimizer, trains epoch by epoch with the
 * library's `fit` (so that N epochs here equal `fit({epochs: N})` in Node), and posts snapshots:
 * losses, weights, the gradients' sizes per layer, and every neuron's output on the heat-map grid
 * (computed by `explain`). It also answers the page's requests (explain() of one sample, the
 * downloads, the chain view), so that the page itself never loads the library's WebAssembly.
 *
 * Kernels: the library's `createKernels` — WebAssembly SIMD with a thread per core on a shared
 * memory when the page is cross-origin isolated (the pool's workers are nested in this one), on one
 * thread without isolation, JavaScript where WebAssembly SIMD is missing or the state asks for it.
 */
import type { ActivationId } from '../../src/activations/index.js';
import { modelToBytes } from '../../src/io/model-file.js';
import { toOnnx } from '../../src/io/onnx.js';
import { TFJS_WEIGHTS_FILE, toTfjs } from '../../src/io/tfjs.js';
import { createKernels, jsKernels, type Kernels, type WasmKernels } from '../../src/kernels/index.js';
import { network, type Network } from '../../src/network.js';
import { optimizer as makeOptimizer, type Optimizer } from '../../src/optimizers/index.js';
import { Matrix } from '../../src/tensor/matrix.js';
import type { TrainingState } from '../../src/train/fit.js';
import { pageMessage } from './messages.js';
import { earlyStoppingOf, scheduleOf } from './model.js';
import { buildNetwork, networkWithWeights } from './network.js';
import type { ChainRequest, EpochPoint, FlowPoint, FromWorker, KernelInfo, LiveSettings, Request, Snapshot, ToWorker, TrainSetup } from './protocol.js';
import type { BackendName } from './state.js';

interface Run {
  id: number;
  setup: TrainSetup;
  net: Network;
  opt: Optimizer;
  X: Matrix;
  Y: Matrix;
  Xt: Matrix | null;
  Yt: Matrix | null;
  grid: Matrix;
  gridY: Matrix;
  epoch: number;
  /** what fit needs to go on exactly (schedule, early stopping), from the last epoch */
  state: TrainingState | undefined;
  /** η of the last epoch (after the schedule) */
  rate: number;
  /** why training paused by itself (early stopping), until the next snapshot */
  stopped: string | null;
  history: EpochPoint[];
  last: { trainLoss: number; testLoss: number | null; trainAccuracy: number; testAccuracy: number | null };
}

let run: Run | null = null;
let playing = false;
let epochsPerFrame = 1;
/** pause on reaching this epoch (0: never) */
let stopAt = 0;
let pending = 0;
let looping = false;
let lastPostedPlaying = false;

const post = (msg: FromWorker, transfer: Transferable[] = []): void => {
  (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(msg, transfer);
};

const matrix = (rows: number[][], cols: number): Matrix => {
  const m = Matrix.zeros(rows.length, cols);
  rows.forEach((r, i) => m.data.set(r, i * cols));
  return m;
};

function measure(r: Run): Run['last'] {
  const train = r.net.evaluate(r.X, r.Y);
  const test = r.Xt && r.Yt ? r.net.evaluate(r.Xt, r.Yt) : null;
  return { trainLoss: train.loss, testLoss: test ? test.loss : null, trainAccuracy: train.accuracy, testAccuracy: test ? test.accuracy : null };
}

function point(r: Run): EpochPoint {
  const classify = r.setup.model.layers[r.setup.model.layers.length - 1]!.activation !== 'linear';
  return {
    epoch: r.epoch,
    learningRate: r.rate,
    trainLoss: r.last.trainLoss,
    testLoss: r.last.testLoss,
    trainAccuracy: classify ? r.last.trainAccuracy : null,
    testAccuracy: classify ? r.last.testAccuracy : null,
  };
}

/** The gradient flow is measured on the first FLOW_SAMPLES training samples (enough for its mean). */
const FLOW_SAMPLES = 256;

/** Mean |δ(l)| over units and samples and mean |∂C/∂W(l)| over the weights, per layer, from explain(). */
function flow(r: Run): FlowPoint {
  const n = Math.min(FLOW_SAMPLES, r.X.rows);
  if (n === 0) return { epoch: r.epoch, delta: [], dW: [] };
  const meanAbs = (d: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < d.length; i++) s += Math.abs(d[i]!);
    return s / d.length;
  };
  const head = (m: Matrix): Matrix => new Matrix(n, m.cols, m.data.subarray(0, n * m.cols));
  const e = r.net.explain(head(r.X), head(r.Y));
  return { epoch: r.epoch, delta: e.layers.map((l) => meanAbs(l.delta.data)), dW: e.layers.map((l) => meanAbs(l.dW.data)) };
}

// ---------------------------------------------------------------- kernels
const MiB = 1 << 20;
/**
 * The wasm kernels hand out memory and never take it back, so runs share one instance while it has
 * handed out less than this, and the next run after that gets a fresh one (the old one's threads
 * are stopped). A non-shared memory cannot grow once in use: it gets room for the largest
 * playground network (12×64 units on the 2500-point grid and a batch of 2000) on top of that.
 */
const REUSE_BYTES = 32 * MiB;
const PLAIN_MEMORY_MB = 128;

let kernels: Kernels | null = null;
let kernelInfo: KernelInfo | null = null;

const isWasm = (k: Kernels): k is WasmKernels => k.name === 'wasm';
const isolated = (): boolean => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

async function kernelsFor(requested: BackendName): Promise<Kernels> {
  if (kernels && kernelInfo?.requested === requested && !(isWasm(kernels) && kernels.allocatedBytes > REUSE_BYTES)) return kernels;
  if (kernels && isWasm(kernels)) kernels.dispose();
  kernels = null;
  let k: Kernels;
  let note: string | null = null;
  try {
    k = await createKernels({ backend: requested, threads: 'auto', ...(isolated() ? {} : { initialMemoryMB: PLAIN_MEMORY_MB }) });
  } catch (e) {
    // 'wasm' asked for where WebAssembly SIMD is missing: train anyway, and say why
    k = jsKernels;
    note = e instanceof Error ? e.message : String(e);
  }
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  if (!note && isWasm(k) && k.threads === 1 && cores > 1) {
    note = isolated() ? "one thread: the pool's workers did not start" : 'one thread: the page is not cross-origin isolated (no SharedArrayBuffer)';
  }
  kernels = k;
  kernelInfo = { requested, backend: k.name, threads: isWasm(k) ? k.threads : 1, shared: isWasm(k) && k.shared, crossOriginIsolated: isolated(), note };
  return k;
}

// ---------------------------------------------------------------- runs
function start(id: number, setup: TrainSetup, k: Kernels): void {
  const net = buildNetwork(setup.model, k);
  const outputs = net.outputs;
  const r: Run = {
    id,
    setup,
    net,
    opt: makeOptimizer(setup.optimizer, { learningRate: setup.learningRate, weightDecay: setup.weightDecay }),
    X: matrix(setup.xTrain, net.inputs),
    Y: matrix(setup.yTrain, outputs),
    Xt: setup.xTest.length ? matrix(setup.xTest, net.inputs) : null,
    Yt: setup.yTest.length ? matrix(setup.yTest, outputs) : null,
    grid: matrix(setup.grid, net.inputs),
    gridY: Matrix.zeros(setup.grid.length, outputs),
    epoch: 0,
    state: undefined,
    rate: setup.learningRate,
    stopped: null,
    history: [],
    last: { trainLoss: NaN, testLoss: null, trainAccuracy: NaN, testAccuracy: null },
  };
  run = r;
  if (setup.start) {
    setWeights(r, setup.start.weights);
    r.epoch = setup.start.epoch;
  }
  if (r.X.rows > 0) r.last = measure(r);
  r.history.push(point(r));
}

function setWeights(r: Run, weights: readonly { W: ArrayLike<number>; b: ArrayLike<number> }[]): void {
  r.net.layers.forEach((l, i) => {
    l.W.set(weights[i]!.W);
    l.b.set(weights[i]!.b);
  });
}

/** η, batch size and optimizer of the running network: the epoch and the weights go on. */
function applyLive(r: Run, s: LiveSettings): void {
  const old = r.setup;
  if (s.l1 !== old.l1 || s.l2 !== old.l2) {
    // a layer's penalties are fixed when it is built: the same weights go into a network with the
    // new ones (and a fresh optimizer, whose state belonged to the old network's parameters)
    const model = { ...old.model, l1: s.l1, l2: s.l2 };
    const net = buildNetwork(model, kernels ?? jsKernels);
    net.layers.forEach((l, i) => {
      l.W.set(r.net.layers[i]!.W);
      l.b.set(r.net.layers[i]!.b);
    });
    r.net = net;
    r.opt = makeOptimizer(s.optimizer, { learningRate: s.learningRate, weightDecay: s.weightDecay });
    r.setup = { ...old, model };
  } else if (s.optimizer !== old.optimizer || s.weightDecay !== old.weightDecay) {
    // a new optimizer starts with no state (momentum, Adam's moments); the same one keeps its
    // state (an optimizer's weight decay is fixed when it is made)
    r.opt = makeOptimizer(s.optimizer, { learningRate: s.learningRate, weightDecay: s.weightDecay });
  } else r.opt.learningRate = s.learningRate;
  if (r.state) {
    // η is the schedule's η₀ (and where a plateau schedule starts again); a changed schedule or
    // patience starts its own watch afresh
    r.state = { baseLearningRate: s.learningRate };
  }
  r.setup = { ...r.setup, ...s };
}

function snapshot(r: Run): void {
  const e = r.net.explain(r.grid, r.gridY);
  const G = r.grid.rows;
  const transfer: Transferable[] = [];
  const neurons = e.layers.map((l) =>
    Array.from({ length: l.a.rows }, (_, u) => {
      const v = Float32Array.from(l.a.data.subarray(u * G, (u + 1) * G));
      transfer.push(v.buffer);
      return v;
    }),
  );
  const weights = r.net.layers.map((l) => ({ W: Float32Array.from(l.W), b: Float32Array.from(l.b) }));
  const msg: Snapshot = { type: 'snapshot', id: r.id, epoch: r.epoch, playing: playing || pending > 0, ...r.last, history: r.history, flow: flow(r), stopped: r.stopped, weights, neurons, kernels: kernelInfo! };
  r.history = [];
  r.stopped = null;
  lastPostedPlaying = msg.playing;
  post(msg, transfer);
}

/**
 * One epoch of `fit`, handing it back its state (schedule position, plateau and early-stopping
 * watches) so that epoch after epoch is the same run as one `fit` call over all of them.
 */
async function trainEpoch(r: Run): Promise<void> {
  const s = r.setup;
  const hasTest = r.Xt !== null && r.Yt !== null;
  const schedule = scheduleOf(s.schedule, hasTest);
  const earlyStopping = earlyStoppingOf(s.patience, hasTest);
  const watched = (schedule?.kind === 'plateau' && schedule.monitor === 'valLoss') || earlyStopping?.monitor === 'valLoss';
  const h = await r.net.fit(r.X, r.Y, {
    epochs: r.epoch + 1,
    initialEpoch: r.epoch,
    batchSize: s.batchSize,
    optimizer: r.opt,
    learningRate: s.learningRate,
    seed: s.seed,
    ...(schedule ? { schedule } : {}),
    ...(earlyStopping ? { earlyStopping } : {}),
    ...(watched ? { validationData: [r.Xt!, r.Yt!] as const } : {}),
    ...(r.state ? { state: r.state } : {}),
    ...(s.clipNorm > 0 ? { clipNorm: s.clipNorm } : {}),
  });
  r.state = schedule || earlyStopping ? h.state : undefined;
  r.rate = h.epochs[0]?.learningRate ?? r.opt.learningRate;
  r.epoch++;
  r.last = measure(r);
  r.history.push(point(r));
  if (h.stoppedEpoch !== undefined) {
    const w = h.state.earlyStopping!;
    r.stopped = `Early stopping: the ${hasTest ? 'test' : 'training'} loss has not improved for ${s.patience} epochs (best at epoch ${w.bestEpoch + 1}).`;
    playing = false;
    pending = 0;
  }
}

const FRAME_MS = 16;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (run && (playing || pending > 0)) {
      const r = run;
      const t0 = performance.now();
      let done = 0;
      try {
        if (r.X.rows === 0) throw new Error('there is no training data: place some points or pick a data set');
        while ((playing || pending > 0) && run === r) {
          await trainEpoch(r);
          done++;
          if (pending > 0) pending--;
          if (r.stopped) break;
          if (playing && stopAt > 0 && r.epoch >= stopAt) {
            playing = false;
            break;
          }
          // playing: a fixed number of epochs per frame ("max": as many as fit in a frame);
          // stepping several epochs (a restored link) goes as fast as it can, a few frames' worth at a time
          const cap = playing ? epochsPerFrame : 0;
          if (cap > 0 ? done >= cap : performance.now() - t0 > (playing ? FRAME_MS : FRAME_MS * 4)) break;
        }
      } catch (e) {
        playing = false;
        pending = 0;
        post({ type: 'error', id: r.id, message: pageMessage(e) });
      }
      if (run === r) snapshot(r);
      await sleep(Math.max(0, FRAME_MS - (performance.now() - t0)));
    }
    // paused while sleeping: the page still needs a snapshot that says so
    if (run && lastPostedPlaying) snapshot(run);
  } finally {
    looping = false;
  }
}

// Messages are handled one after the other: a setup may wait for its kernels (compiling, starting
// threads), and the play or step that follows it must wait too.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  queue = queue.then(() => handle(m));
};

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'setup':
      playing = false;
      pending = 0;
      try {
        run = null;
        start(m.id, m.setup, await kernelsFor(m.setup.backend));
        snapshot(run!);
      } catch (e) {
        run = null;
        post({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) });
      }
      return;
    case 'play':
      playing = true;
      epochsPerFrame = m.epochsPerFrame;
      stopAt = m.stopAt;
      void loop();
      return;
    case 'pause':
      playing = false;
      pending = 0;
      if (run && !looping) snapshot(run);
      return;
    case 'step':
      pending += m.epochs;
      void loop();
      return;
    case 'setWeights':
      if (!run) return;
      setWeights(run, m.weights);
      run.last = measure(run);
      if (!looping) snapshot(run);
      return;
    case 'live':
      if (run) applyLive(run, m.settings);
      return;
    case 'request':
      try {
        const { value, transfer } = answer(m.request);
        post({ type: 'reply', req: m.req, ok: true, value }, transfer);
      } catch (e) {
        post({ type: 'reply', req: m.req, ok: false, message: pageMessage(e) });
      }
      return;
  }
}

function answer(q: Request): { value: unknown; transfer: Transferable[] } {
  switch (q.kind) {
    case 'explain':
      return { value: networkWithWeights(q.model, q.weights).explain(q.x, q.y, { learningRate: q.learningRate, ...(q.clipNorm > 0 ? { clipNorm: q.clipNorm } : {}) }), transfer: [] };
    case 'export': {
      const net = networkWithWeights(q.model, q.weights);
      const extra = { features: q.info.features, playground: q.info.link, epoch: q.info.epoch };
      if (q.format === 'model') {
        const info: NonNullable<Parameters<typeof modelToBytes>[1]> = { task: q.info.task, extra };
        if (q.info.task === 'classification') info.classNames = Array.from({ length: q.info.classes }, (_, c) => String(c));
        const bytes = modelToBytes(net, info);
        return { value: [{ name: 'playground-model.safetensors', bytes }], transfer: [bytes.buffer] };
      }
      if (q.format === 'onnx') {
        const bytes = toOnnx(net, { metadata: { features: JSON.stringify(q.info.features), playground: q.info.link } });
        return { value: [{ name: 'playground-model.onnx', bytes }], transfer: [bytes.buffer] };
      }
      const t = toTfjs(net, { metadata: { features: q.info.features, playground: q.info.link } });
      return { value: [{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(t.modelJson)) }, { name: TFJS_WEIGHTS_FILE, bytes: t.weights }], transfer: [] };
    }
    case 'chain':
      return { value: chain(q.chain), transfer: [] };
  }
}

/** The chain view's network (1-1-…-1, float64, MSE) explained, and its cost as one weight moves. */
function chain(c: ChainRequest): { explanation: unknown; curve: [number, number][] } {
  const net = network([1, ...c.w.map(() => ({ units: 1, activation: c.activation as ActivationId }))], { loss: 'mse', dtype: 'float64', init: 'zeros', seed: 0, kernels: jsKernels });
  const load = (w: readonly number[]): void =>
    net.layers.forEach((l, i) => {
      l.W[0] = w[i]!;
      l.b[0] = c.b[i]!;
    });
  const curve: [number, number][] = [];
  const w = [...c.w];
  for (let i = 0; i <= 160; i++) {
    w[c.vary - 1] = -c.range + (i / 160) * 2 * c.range;
    load(w);
    curve.push([w[c.vary - 1]!, net.evaluate([[c.x]], [[c.y]]).loss]);
  }
  load(c.w);
  return { explanation: net.explain([[c.x]], [[c.y]]), curve };
}
