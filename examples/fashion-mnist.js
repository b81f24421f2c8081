// Fashion-MNIST from code (apt-get install -y dataset-fashion-mnist first): 784-256-128-10, ReLU,
// softmax cross-entropy, Adam. LIMIT=n uses the first n training and test images only.
import { network } from 'backprop';
import { loadFashionMnist, FASHION_MNIST_CLASSES } from 'backprop/node';

const limit = process.env.LIMIT ? Number(process.env.LIMIT) : undefined;
const { train, test } = loadFashionMnist(limit ? { limit: { train: limit, test: limit } } : {});
const net = network([784, { units: 256, activation: 'relu' }, { units: 128, activation: 'relu' }, { units: 10, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
await net.fit(train.x, train.y, {
  epochs: Number(process.env.EPOCHS ?? 10),
  batchSize: 128,
  optimizer: 'adam',
  learningRate: 1e-3,
  onEpochEnd: (logs) => console.log(`epoch ${logs.epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy.toFixed(4)}`),
});
const { accuracy } = net.evaluate(test.x, test.y);
console.log(`test accuracy ${accuracy.toFixed(4)} on ${test.x.rows} images`);
const first = Array.from(net.predict(test.x).row(0));
console.log(`test image 0: ${FASHION_MNIST_CLASSES[first.indexOf(Math.max(...first))]}`);
