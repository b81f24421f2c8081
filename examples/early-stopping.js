// Early stopping and a learning-rate schedule: a network that is too big for 200 noisy points
// overfits; fit watches the validation loss, stops 8 epochs after its best and restores the best
// epoch's weights. The rate follows a step schedule: η₀·0.5^⌊epoch/20⌋.
import { network, toyDataset, shuffleDataset } from 'backprop';

// validationSplit holds out the last samples: shuffle first so that both classes are in it
const { x, y } = shuffleDataset(toyDataset('moons', { samples: 200, noise: 0.25, seed: 3 }), 1);
const net = network([2, { units: 64, activation: 'relu' }, { units: 64, activation: 'relu' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });

const history = await net.fit(x, y, {
  epochs: 500,
  batchSize: 16,
  optimizer: 'adam',
  learningRate: 0.01,
  schedule: { kind: 'step', every: 20, factor: 0.5 },
  earlyStopping: { monitor: 'valLoss', patience: 8, restoreBest: true },
  validationSplit: 0.3,
});

// stoppedEpoch and bestEpoch are 0-based indices into history.epochs (as in Keras)
const best = history.epochs[history.bestEpoch];
console.log(`stopped after ${history.epochs.length} of 500 epochs; best: epoch ${history.bestEpoch + 1}, val loss ${best.valLoss.toFixed(4)}, η ${best.learningRate}`);
console.log(`weights restored from the best epoch: ${history.restoredBest}`);
// the held-out part is the last 30% of the samples
const held = Math.round(x.rows * 0.3);
const tail = (m) => ({ data: m.data.subarray((m.rows - held) * m.cols), rows: held, cols: m.cols });
console.log(`validation loss now ${net.evaluate(tail(x), tail(y)).loss.toFixed(4)} (the best epoch's: ${best.valLoss.toFixed(4)})`);
