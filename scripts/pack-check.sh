#!/usr/bin/env bash
# The package as users get it: pack it, install the tarball into an empty folder, and train there
# with the wasm kernels (and threads), so that the .wasm, the worker code, the CLI and the
# playground's static site are really shipped and found.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root"
# .npmrc has ignore-scripts=true, so packing runs no prepare script: build what the package ships
npm run --silent build >/dev/null
npm run --silent build:web >/dev/null
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "./$tarball" >/dev/null

cat > check.mjs <<'JS'
import { network, createKernels } from 'backprop';
import { loadDigits, saveModel, loadModel } from 'backprop/node';
import { toOnnx } from 'backprop/export';

const kernels = await createKernels({ backend: 'wasm', threads: 2 });
if (kernels.name !== 'wasm') throw new Error(`expected the wasm kernels, got ${kernels.name}`);
const { train, test } = loadDigits();
const net = network([784, { units: 64, activation: 'relu' }, { units: 10, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1, kernels });
await net.fit(train.x, train.y, { epochs: 2, batchSize: 64, optimizer: 'adam' });
const { accuracy } = net.evaluate(test.x, test.y);
if (!(accuracy > 0.85)) throw new Error(`digits accuracy ${accuracy} after 2 epochs`);
await saveModel('m.safetensors', net);
const again = await loadModel('m.safetensors');
if (again.network.predict(test.x).data[0] !== net.predict(test.x).data[0]) throw new Error('round trip changed a prediction');
if (toOnnx(net).length < 1000) throw new Error('ONNX export too small');
console.log(`pack-check: wasm kernels, ${kernels.threads} threads, digits test accuracy ${accuracy.toFixed(4)}`);
JS
node check.mjs
npx backprop train --data xor --layers 4 --epochs 2 --out xor.safetensors >/dev/null 2>&1
test -f xor.safetensors
test -f node_modules/backprop/dist-web/index.html
echo "pack-check: CLI trained and saved; playground site shipped"
