import { describe, expect, it } from 'vitest';
import { FormatError, OptionError, ShapeError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';

/** A safetensors file from a header text and data bytes, with no help from the encoder. */
function file(header: string, data: number[] = [], headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** 1.0f and -2.0f, little-endian: 0x3F800000 and 0xC0000000. */
const ONE_MINUS_TWO = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0];

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  let error: unknown;
  try {
    decodeSafetensors(bytes, 'bad.safetensors');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FormatError);
  expect((error as Error).message).toContain('bad.safetensors');
  expect((error as Error).message).toMatch(pattern);
}

describe('safetensors encoding', () => {
  it('writes the byte layout computed by hand for a tiny tensor', () => {
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } }, {});
    // JSON {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes; padded with two
    // spaces to 56 (a multiple of 8), so N = 56 = 0x38 and the data starts at byte 8 + 56 = 64.
    const header = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    expect(header.length).toBe(56);
    const expected = [0x38, 0, 0, 0, 0, 0, 0, 0, ...Array.from(header, (c) => c.charCodeAt(0)), ...ONE_MINUS_TWO];
    expect(Array.from(bytes)).toEqual(expected);
    expect(bytes.length).toBe(72);
  });

  it('puts __metadata__ first and aligns the data start to 8 bytes', () => {
    const bytes = encodeSafetensors(
      { a: { dtype: 'F32', shape: [1], data: new Float32Array([3]) }, b: { dtype: 'F64', shape: [1], data: new Float64Array([4]) } },
      { format: 'pt' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}',
    );
    expect(bytes.length).toBe(8 + n + 12);
  });

  it('refuses data that does not match its shape or dtype, and the reserved name', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }, {})).toThrow(ShapeError);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } }, {})).toThrow(OptionError);
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Float64Array(1) } as unknown as SafetensorsTensor }, {})).toThrow(/Float32Array/);
  });
});

describe('safetensors round trip', () => {
  it('returns every tensor and the metadata unchanged, bit for bit', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      'layers.0.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1.5, -0, NaN, Infinity, 1e-45, -3.4028234663852886e38]) },
      'layers.0.bias': { dtype: 'F32', shape: [2], data: new Float32Array([0.1, 0.2]) },
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      double: { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e-300, 0.1]) },
    };
    // A tensor named "__proto__" must stay a key (an object literal would set the prototype instead).
    Object.defineProperty(tensors, '__proto__', { value: { dtype: 'F32', shape: [1], data: new Float32Array([7]) }, enumerable: true });
    const metadata = { format: 'backprop', note: 'ünïcødé ✓', empty: '' };
    const { tensors: back, metadata: meta } = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(meta).toEqual(metadata);
    expect(Object.keys(back)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const b = back[name]!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(b.data.constructor).toBe(t.data.constructor);
      expect(Array.from(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toEqual(
        Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
      );
    }
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('decodes from a view at an odd offset of a larger buffer (unaligned floats)', () => {
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } }, {});
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    const { tensors } = decodeSafetensors(big.subarray(1, 1 + bytes.length));
    expect(Array.from(tensors['x']!.data)).toEqual([1, -2]);
  });

  it('reads a file written by another writer (unpadded header, tensors listed out of data order)', () => {
    const header = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const { tensors, metadata } = decodeSafetensors(file(header, ONE_MINUS_TWO));
    expect(metadata).toEqual({});
    expect(Object.keys(tensors)).toEqual(['a', 'b']);
    expect(tensors['a']!.data[0]).toBe(1);
    expect(tensors['b']!.data[0]).toBe(-2);
  });
});

describe('safetensors decoding rejects corrupt files with a FormatError', () => {
  const good = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } }, { k: 'v' });
  const tensor = (entry: string) => `{"x":${entry}}`;

  it('fewer than 8 bytes', () => expectFormatError(good.slice(0, 5), /fewer than the 8-byte header length/));
  it('truncated header', () => expectFormatError(good.slice(0, 30), /header length says \d+ bytes but only 22 follow/));
  it('truncated data', () => expectFormatError(good.slice(0, good.length - 1), /ends at byte 8 of the data but the data has only 7 bytes/));
  it('header length far too large', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 2n ** 63n, true);
    expectFormatError(bad, /header length says 9223372036854775808 bytes/);
  });
  it('empty file', () => expectFormatError(new Uint8Array(0), /0 bytes/));
  it('bad JSON', () => expectFormatError(file('{"x": {"dtype": "F32",', []), /not UTF-8 JSON/));
  it('invalid UTF-8 in the header', () => {
    const bad = file('{"ab":1}');
    bad[8 + 2] = 0xff; // the "a": 0xff never occurs in UTF-8
    expectFormatError(bad, /not UTF-8 JSON/);
  });
  it('a header that is not an object', () => expectFormatError(file('[1,2,3]'), /not an object/));
  it('metadata that is not strings only', () => expectFormatError(file('{"__metadata__":{"epoch":3}}'), /"__metadata__"."epoch" must be a string/));
  it('wrong dtype', () => expectFormatError(file(tensor('{"dtype":"F16","shape":[4],"data_offsets":[0,8]}'), ONE_MINUS_TWO), /dtype "F16"; only F32 and F64/));
  it('missing dtype', () => expectFormatError(file(tensor('{"shape":[2],"data_offsets":[0,8]}'), ONE_MINUS_TWO), /has no dtype/));
  it('bad shape', () => expectFormatError(file(tensor('{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}'), ONE_MINUS_TWO), /shape \[-2\]/));
  it('unknown field', () => expectFormatError(file(tensor('{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}'), ONE_MINUS_TWO), /unknown field "x"/));
  it('offsets out of range', () => expectFormatError(file(tensor('{"dtype":"F32","shape":[4],"data_offsets":[0,16]}'), ONE_MINUS_TWO), /ends at byte 16 .* only 8 bytes/));
  it('offsets reversed', () => expectFormatError(file(tensor('{"dtype":"F32","shape":[0],"data_offsets":[8,0]}'), ONE_MINUS_TWO), /begin after end/));
  it('offsets not a pair of integers', () => expectFormatError(file(tensor('{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}'), ONE_MINUS_TWO), /data_offsets/));
  it('shape and offsets disagree', () => expectFormatError(file(tensor('{"dtype":"F32","shape":[3],"data_offsets":[0,8]}'), ONE_MINUS_TWO), /shape \[3\] \(12 bytes of F32\) but data_offsets span 8 bytes/));
  it('missing tensor (bytes no entry accounts for)', () =>
    expectFormatError(file('{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', ONE_MINUS_TWO), /unused bytes 0–4 in the data before tensor "b"/));
  it('overlapping tensors', () =>
    expectFormatError(
      file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', ONE_MINUS_TWO),
      /overlaps/,
    ));
  it('extra bytes after the last tensor', () => {
    const bad = new Uint8Array(good.length + 4);
    bad.set(good);
    expectFormatError(bad, /cover 8 bytes of data but the file has 12 \(extra bytes at the end\)/);
  });
  it('names the file "safetensors data" when no name is given', () => {
    expect(() => decodeSafetensors(new Uint8Array(3))).toThrow(/^safetensors data is not a valid safetensors file/);
  });
});

describe('safetensors from a Node Buffer', () => {
  it('decodes a small file read into a pooled Buffer (a Buffer slice is a view, not a copy)', () => {
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } });
    // what readFileSync returns for a small file: a view into Node's shared 8 KB pool
    const buf = Buffer.from(bytes);
    expect(buf.buffer.byteLength).toBeGreaterThan(buf.length);
    const w = decodeSafetensors(buf).tensors['w']!;
    expect(w.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });
});
