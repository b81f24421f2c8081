#!/usr/bin/env bash
# Fashion-MNIST from the command line (apt-get install -y dataset-fashion-mnist first, or
# --data-dir DIR with the four IDX files). LIMIT=n trains and tests on the first n images only.
set -euo pipefail
limit=()
[ -n "${LIMIT:-}" ] && limit=(--limit "$LIMIT")
npx backprop train --data fashion-mnist "${limit[@]}" --layers 256,128 --activation relu --loss cross-entropy \
  --optimizer adam --lr 1e-3 --epochs "${EPOCHS:-10}" --batch-size 128 --validation 0 --seed 1 --out fashion-relu.safetensors
npx backprop eval --model fashion-relu.safetensors --data fashion-mnist "${limit[@]}"
npx backprop explain --model fashion-relu.safetensors --data fashion-mnist --index 0 "${limit[@]}"
