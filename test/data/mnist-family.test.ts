import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { labelsOf } from '../../src/data/dataset.js';
import { FASHION_MNIST_DIR, loadFashionMnist, loadMnist, MNIST_FILES } from '../../src/data/mnist-family.js';
import { DataError, FormatError } from '../../src/errors.js';
import { idxBytes, tempDir } from './fixtures.js';

interface FakeSet {
  images: number[][];
  labels: number[];
}

/** Writes a tiny MNIST-style directory of 2×2 images; `gzip` picks which files are compressed. */
function writeMnistDir(train: FakeSet, test: FakeSet, gzip: (file: string) => boolean = () => false): string {
  const dir = tempDir();
  const write = (file: string, bytes: Uint8Array): void => {
    if (gzip(file)) writeFileSync(join(dir, `${file}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, file), bytes);
  };
  write(MNIST_FILES.trainImages, idxBytes([train.images.length, 2, 2], train.images.flat()));
  write(MNIST_FILES.trainLabels, idxBytes([train.labels.length], train.labels));
  write(MNIST_FILES.testImages, idxBytes([test.images.length, 2, 2], test.images.flat()));
  write(MNIST_FILES.testLabels, idxBytes([test.labels.length], test.labels));
  return dir;
}

const train: FakeSet = { images: [[0, 255, 51, 102], [255, 255, 0, 0], [1, 2, 3, 4]], labels: [3, 9, 0] };
const test: FakeSet = { images: [[10, 20, 30, 40]], labels: [7] };

describe('loadMnist', () => {
  it('scales pixels to [0, 1] and one-hot encodes the labels', () => {
    const { train: tr, test: te } = loadMnist({ dir: writeMnistDir(train, test) });
    expect(tr.name).toBe('mnist/train');
    expect(tr.x.shape).toEqual([3, 4]);
    expect(tr.x.dtype).toBe('float32');
    expect(Array.from(tr.x.row(0))).toEqual([0, 1, 51 / 255, 102 / 255].map(Math.fround));
    expect(tr.y.shape).toEqual([3, 10]);
    expect(Array.from(labelsOf(tr))).toEqual([3, 9, 0]);
    expect(Array.from(tr.y.data).filter((v) => v !== 0)).toEqual([1, 1, 1]);
    expect(tr.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(tr.task).toBe('classification');
    expect(te.x.shape).toEqual([1, 4]);
    expect(Array.from(labelsOf(te))).toEqual([7]);
  });

  it('writes the training pixels into the storage `alloc` gives (the kernels\' memory), the same values', () => {
    const dir = writeMnistDir(train, test);
    const given: Float32Array[] = [];
    const { train: tr, test: te } = loadMnist({ dir, alloc: (n) => given[given.push(new Float32Array(n)) - 1]! });
    expect(given).toHaveLength(1);
    expect(tr.x.data).toBe(given[0]);
    expect(Array.from(tr.x.data)).toEqual(Array.from(loadMnist({ dir }).train.x.data));
    expect(te.x.data).not.toBe(given[0]);
  });

  it('reads any mix of gzipped and plain files identically', () => {
    const plain = loadMnist({ dir: writeMnistDir(train, test) });
    const mixed = loadMnist({ dir: writeMnistDir(train, test, (f) => f.startsWith('train')) });
    const gzipped = loadMnist({ dir: writeMnistDir(train, test, () => true) });
    for (const loaded of [mixed, gzipped]) {
      expect(loaded.train.x.data).toEqual(plain.train.x.data);
      expect(loaded.train.y.data).toEqual(plain.train.y.data);
      expect(loaded.test.x.data).toEqual(plain.test.x.data);
    }
  });

  it('refuses test images of another size than the training images when loading, before any training', () => {
    const dir = writeMnistDir(train, test);
    writeFileSync(join(dir, MNIST_FILES.testImages), idxBytes([1, 1, 2], [5, 6]));
    expect(() => loadMnist({ dir })).toThrow(FormatError);
    expect(() => loadMnist({ dir })).toThrow(`${join(dir, MNIST_FILES.testImages)}: test images of 2 pixels, but the training images of ${join(dir, MNIST_FILES.trainImages)} have 4; both sets need the same image size`);
  });

  it('limit keeps the first samples of each set named', () => {
    const dir = writeMnistDir(train, test, () => true);
    const { train: tr, test: te } = loadMnist({ dir, limit: { train: 2 } });
    expect(Array.from(labelsOf(tr))).toEqual([3, 9]);
    expect(te.x.rows).toBe(1);
    expect(loadMnist({ dir, limit: { train: 1, test: 1 } }).train.x.rows).toBe(1);
  });

  it('rejects a label count that differs from the image count', () => {
    const dir = writeMnistDir(train, { images: test.images, labels: [1, 2] });
    expect(() => loadMnist({ dir })).toThrow(FormatError);
    expect(() => loadMnist({ dir })).toThrow(`${join(dir, MNIST_FILES.testLabels)}: expected 1 labels, one per image of ${join(dir, MNIST_FILES.testImages)}, found 2`);
  });

  it('rejects labels of 10 and above', () => {
    const dir = writeMnistDir({ images: train.images, labels: [3, 10, 0] }, test);
    expect(() => loadMnist({ dir })).toThrow(`${join(dir, MNIST_FILES.trainLabels)}: expected labels 0..9, found 10 at index 1`);
  });

  it('rejects images that are not 3-dimensional', () => {
    const dir = writeMnistDir(train, test);
    writeFileSync(join(dir, MNIST_FILES.testImages), idxBytes([1, 4], test.images.flat()));
    expect(() => loadMnist({ dir })).toThrow('expected 3 dimensions (images × rows × columns), found 2');
  });

  it('rejects a truncated image file', () => {
    const dir = writeMnistDir(train, test);
    const full = idxBytes([1, 2, 2], test.images.flat());
    writeFileSync(join(dir, MNIST_FILES.testImages), full.subarray(0, full.length - 1));
    expect(() => loadMnist({ dir })).toThrow('expected 4 bytes of data (1×2×2 unsigned bytes) after the 16-byte header, found 3');
  });

  it('lists every expected and every missing file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, `${MNIST_FILES.trainImages}.gz`), '');
    const message = captureMessage(() => loadMnist({ dir }));
    expect(message).toBe(
      `mnist not found: looked in ${dir} for train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz); ` +
        'missing: train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; put the MNIST files there, or pass --data-dir DIR',
    );
  });
});

describe('loadFashionMnist', () => {
  it('says where it looked, what it expected and how to install it', () => {
    const dir = join(tempDir(), 'absent');
    expect(() => loadFashionMnist({ dir })).toThrow(DataError);
    expect(captureMessage(() => loadFashionMnist({ dir }))).toBe(
      `fashion-mnist not found: looked in ${dir} for train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz); ` +
        'the directory does not exist; install them with: apt-get install -y dataset-fashion-mnist, or pass --data-dir DIR',
    );
  });

  it('names the Fashion-MNIST classes', () => {
    const { train: tr } = loadFashionMnist({ dir: writeMnistDir(train, test) });
    expect(tr.name).toBe('fashion-mnist/train');
    expect(tr.classNames).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  });

  // The real files come from a Debian package (dataset-fashion-mnist) a machine may not have: the
  // test is skipped there, unless BACKPROP_REQUIRE_DATA is set (CI), where their absence fails it.
  const required = process.env['BACKPROP_REQUIRE_DATA'] !== undefined;
  it.skipIf(!existsSync(FASHION_MNIST_DIR) && !required)(`loads the installed data set: 60,000 + 10,000 images of 784 pixels (${FASHION_MNIST_DIR}; BACKPROP_REQUIRE_DATA makes it required)`, () => {
    const { train: tr, test: te } = loadFashionMnist();
    expect(tr.x.shape).toEqual([60000, 784]);
    expect(te.x.shape).toEqual([10000, 784]);
    const counts = new Array<number>(10).fill(0);
    for (const label of labelsOf(te)) counts[label]!++;
    expect(counts).toEqual(new Array(10).fill(1000));
    expect(Math.max(...tr.x.data.subarray(0, 784 * 100))).toBeLessThanOrEqual(1);
  });
});

function captureMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}
