// A training loop of your own: net.trainer() stages the training set once and runs the same step
// as fit; you choose the batches, the rate of each step and when to stop. Here: batches drawn in a
// seeded random order each epoch, η halved every 20 epochs, the loss printed every 20 epochs.
import { network, momentum, toyDataset, Random } from 'backprop';

const { x, y } = toyDataset('circles', { samples: 400, seed: 1 });
const net = network([2, { units: 12, activation: 'tanh' }, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
const optimizer = momentum({ learningRate: 0.1, momentum: 0.9 });
const trainer = net.trainer(x, y, optimizer, { clipNorm: 5 });
const random = new Random(1);
const batch = 32;

for (let epoch = 0; epoch < 60; epoch++) {
  optimizer.learningRate = 0.1 * 0.5 ** Math.floor(epoch / 20);
  const order = random.shuffle(Uint32Array.from({ length: trainer.samples }, (_, i) => i));
  let sum = 0;
  for (let start = 0; start < trainer.samples; start += batch) {
    const n = Math.min(batch, trainer.samples - start);
    sum += trainer.step(order, start, n) * n; // the batch's cost before its step
  }
  if ((epoch + 1) % 20 === 0) console.log(`epoch ${epoch + 1}: η ${optimizer.learningRate}, mean batch loss ${(sum / trainer.samples).toFixed(4)}`);
}
console.log(`accuracy ${net.evaluate(x, y).accuracy.toFixed(3)}`);

// net.trainStep(x, y, optimizer) is the one-call form: one step on one batch.
const before = net.evaluate(x, y).loss;
net.trainStep(x, y, optimizer);
console.log(`one full-batch step: loss ${before.toFixed(6)} → ${net.evaluate(x, y).loss.toFixed(6)}`);
