/**
 * The training worker: holds the network and the optimizer, trains epoch by epoch with the
 * library's `fit` (so that N epochs here equal `fit({epochs: N})` in Node), and posts snapshots:
 * losses, weights, and every neuron's output on the heat-map grid (computed by `explain`).
 */
import type { Network } from '../../src/nn/network.js';
import { optimizer as makeOptimizer, type Optimizer } from '../../src/optimizers/index.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { explain } from '../../src/train/explain.js';
import { buildNetwork } from './model.js';
import type { EpochPoint, FromWorker, Snapshot, ToWorker, TrainSetup } from './protocol.js';

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
  history: EpochPoint[];
  last: { trainLoss: number; testLoss: number | null; trainAccuracy: number; testAccuracy: number | null };
}

let run: Run | null = null;
let playing = false;
let epochsPerFrame = 1;
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

function start(id: number, setup: TrainSetup): void {
  const net = buildNetwork(setup.model);
  const outputs = net.outputs;
  const r: Run = {
    id,
    setup,
    net,
    opt: makeOptimizer(setup.optimizer, { learningRate: setup.learningRate }),
    X: matrix(setup.xTrain, net.inputs),
    Y: matrix(setup.yTrain, outputs),
    Xt: setup.xTest.length ? matrix(setup.xTest, net.inputs) : null,
    Yt: setup.yTest.length ? matrix(setup.yTest, outputs) : null,
    grid: matrix(setup.grid, net.inputs),
    gridY: Matrix.zeros(setup.grid.length, outputs),
    epoch: 0,
    history: [],
    last: { trainLoss: NaN, testLoss: null, trainAccuracy: NaN, testAccuracy: null },
  };
  run = r;
  if (r.X.rows > 0) r.last = measure(r);
  r.history.push({ epoch: 0, trainLoss: r.last.trainLoss, testLoss: r.last.testLoss });
}

function snapshot(r: Run): void {
  const e = explain(r.net, r.grid, r.gridY);
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
  const msg: Snapshot = { type: 'snapshot', id: r.id, epoch: r.epoch, playing: playing || pending > 0, ...r.last, history: r.history, weights, neurons };
  r.history = [];
  lastPostedPlaying = msg.playing;
  post(msg, transfer);
}

async function trainEpoch(r: Run): Promise<void> {
  const s = r.setup;
  await r.net.fit(r.X, r.Y, { epochs: r.epoch + 1, initialEpoch: r.epoch, batchSize: s.batchSize, optimizer: r.opt, seed: s.seed });
  r.epoch++;
  r.last = measure(r);
  r.history.push({ epoch: r.epoch, trainLoss: r.last.trainLoss, testLoss: r.last.testLoss });
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
          // playing: a fixed number of epochs per frame ("max": as many as fit in a frame);
          // stepping several epochs (a restored link) goes as fast as it can, a few frames' worth at a time
          const cap = playing ? epochsPerFrame : 0;
          if (cap > 0 ? done >= cap : performance.now() - t0 > (playing ? FRAME_MS : FRAME_MS * 4)) break;
        }
      } catch (e) {
        playing = false;
        pending = 0;
        post({ type: 'error', id: r.id, message: e instanceof Error ? e.message : String(e) });
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

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'setup':
      playing = false;
      pending = 0;
      try {
        start(m.id, m.setup);
        snapshot(run!);
      } catch (e) {
        run = null;
        post({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) });
      }
      return;
    case 'play':
      playing = true;
      epochsPerFrame = m.epochsPerFrame;
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
      run.net.layers.forEach((l, i) => {
        l.W.set(m.weights[i]!.W);
        l.b.set(m.weights[i]!.b);
      });
      run.last = measure(run);
      snapshot(run);
      return;
  }
};
