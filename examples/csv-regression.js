// Regression from a CSV file: the price of a house from its rooms, area and age
// (data/houses.csv: 240 made-up houses, price ≈ 0.4·rooms + 0.012·area − 0.01·age + 0.5 + noise).
import { network, fitPreprocessing, applyPreprocessing, trainValidationSplit, Matrix } from 'backprop';
import { readCsvDataset } from 'backprop/node';

const houses = readCsvDataset(new URL('data/houses.csv', import.meta.url).pathname, { label: 'price', task: 'regression' });
const { train, validation: test } = trainValidationSplit(houses, 0.25, 1);
// features on very different scales (rooms 1–6, area 25–180): standardize with the training statistics
const scale = fitPreprocessing('standardize', train.x);

const net = network([3, { units: 8, activation: 'tanh' }, { units: 1, activation: 'linear' }], { loss: 'mse', seed: 1 });
await net.fit(applyPreprocessing(scale, train.x), train.y, { epochs: 200, batchSize: 16, optimizer: 'adam', learningRate: 0.01 });
const { loss } = net.evaluate(applyPreprocessing(scale, test.x), test.y);
console.log(`${houses.featureNames.join(', ')} → price: test RMSE ${Math.sqrt(loss).toFixed(3)} on ${test.x.rows} houses`);

// a 3-room, 100 m², 20-year-old house: 0.4·3 + 0.012·100 − 0.01·20 + 0.5 = 2.7 by the rule that made the data
const [[price]] = net.predict(applyPreprocessing(scale, Matrix.fromArray([[3, 100, 20]]))).toArray();
console.log(`predicted price ${price.toFixed(2)} (the rule that made the data: 2.70)`);
