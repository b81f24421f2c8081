// XOR with a 2-4-1 sigmoid network trained by plain gradient descent on the mean squared error.
import { network } from 'backprop';

const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
const y = [[0], [1], [1], [0]];

const net = network([2, { units: 4, activation: 'sigmoid' }, { units: 1, activation: 'sigmoid' }], { loss: 'mse', seed: 3, init: 'normal' });
await net.fit(x, y, { epochs: 4000, batchSize: 4, optimizer: 'sgd', learningRate: 2 });
console.log('loss', net.evaluate(x, y).loss.toFixed(5));
console.log('predictions', net.predict(x).toArray().map(([p]) => p.toFixed(3)).join(' '));

// One backpropagation step for the sample [1, 0], every chain-rule factor by name:
const step = net.explain([[1, 0]], [[1]]);
for (const l of [...step.layers].reverse()) {
  console.log(`layer ${l.layer}: δ = [${Array.from(l.delta.data, (v) => v.toFixed(4))}], ∂C/∂b = [${Array.from(l.db.data, (v) => v.toFixed(4))}]`);
}
