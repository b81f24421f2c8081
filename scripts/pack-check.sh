#!/usr/bin/env bash
# The package as users get it: pack it, install the tarball into an empty folder, and train there
# with the wasm kernels (and threads), so that the .wasm, the worker code, the CLI, the digits and
# the playground's static site are really shipped and found. The install is lean (backprop alone,
# no dependency) and quiet (npm prints no warning about it, nor does npx backprop).
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
# no warning from npm about the package: no install or prepare script, engines met, nothing deprecated
no_warnings() {
  if grep -i 'warn' "$1"; then echo "pack-check: $2 printed warnings (above)" >&2; exit 1; fi
}
npm install --no-audit --no-fund "./$tarball" >install.log 2>&1 || { cat install.log; exit 1; }
no_warnings install.log 'npm install of the tarball'
# lean: the package alone; what the CLI and the loaders use is bundled in it, the digits included
installed="$(ls node_modules | tr '\n' ' ')"
if [ "$installed" != "backprop " ]; then echo "pack-check: expected backprop alone in node_modules, found: $installed" >&2; exit 1; fi
node -e '
const pkg = require("./node_modules/backprop/package.json");
const extra = ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies"].filter((k) => pkg[k] && Object.keys(pkg[k]).length);
const hooks = ["preinstall", "install", "postinstall", "prepare"].filter((k) => pkg.scripts?.[k]);
if (extra.length || hooks.length) throw new Error(`the package declares ${[...extra, ...hooks].join(", ")}`);
'
echo "pack-check: installed size $(du -sh node_modules | cut -f1) ($(du -sh node_modules/backprop/dist/digits | cut -f1) of it the digits), backprop alone"

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
npx backprop train --data xor --layers 4 --epochs 2 --out xor.safetensors >/dev/null 2>npx.log || { cat npx.log; exit 1; }
no_warnings npx.log 'npx backprop train'
test -f xor.safetensors
test -f node_modules/backprop/dist-web/index.html
# zero setup: npx in an empty folder fetches the package (here the tarball) and trains on the digits
mkdir empty && cd empty
npx --yes --package "$work/$tarball" backprop train --epochs 1 --limit 2000 --out digits.safetensors >npx.log 2>&1 || { cat npx.log; exit 1; }
no_warnings npx.log 'npx backprop train in an empty folder'
test -f digits.safetensors
echo "pack-check: CLI trained and saved, also by npx in an empty folder; playground site shipped"
