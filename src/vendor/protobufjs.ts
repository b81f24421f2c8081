/** The protobuf codec of the ONNX export and import (bundled into dist by scripts/build-vendor.mjs; see commander.ts). */
export { default } from 'protobufjs/light.js';
