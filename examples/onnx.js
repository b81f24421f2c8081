// Export to ONNX and serve with onnxruntime-node (`npm install onnxruntime-node`): the exported
// model takes `input` (samples × features, float32) and gives `output`, the same numbers as predict.
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { network, toyDataset } from 'backprop';
import { toOnnx } from 'backprop/export';

const { x, y } = toyDataset('blobs', { samples: 300, classes: 3, seed: 1 });
const net = network([2, { units: 8, activation: 'relu' }, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
await net.fit(x, y, { epochs: 30, batchSize: 16, optimizer: 'adam', learningRate: 0.01 });
writeFileSync('blobs.onnx', toOnnx(net));

// a server would do this once, then run a session per request
const session = await ort.InferenceSession.create('blobs.onnx');
const points = [[0.6, 0], [-0.3, 0.5], [-0.3, -0.5]];
const input = new ort.Tensor('float32', Float32Array.from(points.flat()), [points.length, 2]);
const { output } = await session.run({ input });
const ours = net.predict(points);
for (let i = 0; i < points.length; i++) {
  const p = Array.from(output.data.subarray(i * 3, i * 3 + 3));
  const best = p.indexOf(Math.max(...p));
  const diff = Math.max(...p.map((v, j) => Math.abs(v - ours.data[i * 3 + j])));
  console.log(`[${points[i]}] → class ${best} (p = ${p[best].toFixed(3)}), onnxruntime − predict: ${diff < 1e-6 ? '< 1e-6' : diff}`);
}
