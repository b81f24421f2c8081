/**
 * safetensors: the tensor container of Hugging Face, read and written without any Node API so that
 * the browser playground can use it too.
 *
 * Layout (https://github.com/huggingface/safetensors):
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  UTF-8 JSON: { "__metadata__": {string: string}, name: {dtype, shape, data_offsets}, ... }
 *              padded with spaces so that the data starts at a multiple of 8 (readers can then map
 *              tensors without copying)
 *   [rest]     the tensors, little-endian, row-major, packed one after the other; data_offsets are
 *              [begin, end) relative to the start of this section
 *
 * Decoding checks every one of these rules and throws a FormatError naming the file on the first
 * violation; it never returns a partly decoded result.
 */
import { FormatError, OptionError, ShapeError } from '../errors.js';

/** The element types we read and write: F32 (our weights) and F64 (float64 networks, gradient checks). */
export type SafetensorsDType = 'F32' | 'F64';

/** One tensor of a safetensors file: its element type, its shape and its values, row-major. */
export type SafetensorsTensor =
  | {
      /** 32-bit floats. */
      dtype: 'F32';
      /** The dimensions; their product is data.length. */
      shape: number[];
      /** The values, row-major. */
      data: Float32Array;
    }
  | {
      /** 64-bit floats. */
      dtype: 'F64';
      /** The dimensions; their product is data.length. */
      shape: number[];
      /** The values, row-major. */
      data: Float64Array;
    };

/** What {@link decodeSafetensors} reads from a file. */
export interface DecodedSafetensors {
  /** Tensors by name, in the order of their data in the file. */
  tensors: Record<string, SafetensorsTensor>;
  /** `__metadata__` (empty when the file has none). */
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8 };

/**
 * Headers larger than this are refused before parsing: the reference implementation uses the same
 * 100 MB bound, and it stops a corrupt length from making us decode gigabytes of "JSON".
 */
const MAX_HEADER_BYTES = 100_000_000;

/** True when typed arrays on this machine store numbers little-endian (then bytes copy as they are). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serialises tensors (in the record's order) and string metadata into safetensors bytes.
 * Throws a ShapeError (naming the tensor) when a shape does not match its data, an OptionError for
 * an unsupported dtype, a non-string metadata value or the reserved name "__metadata__".
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from 'backprop';
 *
 * const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } }, { note: 'hi' });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * console.log(tensors.w!.shape, tensors.w!.data, metadata.note);   // [ 2, 2 ] Float32Array(4) [ 1, 2, 3, 4 ] hi
 * ```
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  const meta = Object.entries(metadata);
  if (meta.length > 0) {
    for (const [k, v] of meta) {
      if (typeof v !== 'string') throw new OptionError(`safetensors metadata "${k}" must be a string, got ${typeof v}`);
    }
    header['__metadata__'] = Object.fromEntries(meta);
  }
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new OptionError('"__metadata__" is reserved and cannot name a tensor');
    checkEncodable(name, t);
    const end = offset + t.data.length * BYTES[t.dtype];
    // Object.defineProperty, not `header[name] =`: a tensor called "__proto__" must stay a key.
    Object.defineProperty(header, name, {
      value: { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (valid JSON whitespace) so that 8 + N, the start of the data, is a multiple of 8.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    writeLittleEndian(out, at, t);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes. `name` (a file name, by default "safetensors data") is used in error
 * messages. Only F32 and F64 tensors are supported; any other dtype is a FormatError saying so.
 * The returned arrays are copies, aligned and independent of `bytes`.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { decodeSafetensors } from 'backprop';
 *
 * // any safetensors file, e.g. one that `backprop train` wrote
 * const { tensors, metadata } = decodeSafetensors(await readFile('model.safetensors'), 'model.safetensors');
 * for (const [name, t] of Object.entries(tensors)) console.log(name, t.dtype, t.shape);   // layers.0.weight F32 [ 64, 784 ] …
 * console.log(metadata.format);   // backprop
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, name = 'safetensors data'): DecodedSafetensors {
  function fail(what: string): never {
    throw new FormatError(`${name} is not a valid safetensors file: ${what}`);
  }
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array of bytes');
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    fail(`the header length says ${n64} bytes but only ${bytes.length - 8} follow the first 8 (truncated file?)`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) fail(`the header is ${n} bytes, more than the ${MAX_HEADER_BYTES} allowed`);
  if (n < 2) fail(`the header is ${n} bytes, too short for a JSON object`);

  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header JSON is not an object');
  const fields = header as Record<string, unknown>;

  let metadata: Record<string, string> = {};
  if (Object.prototype.hasOwnProperty.call(fields, '__metadata__')) {
    const m = fields['__metadata__'];
    if (m === null || typeof m !== 'object' || Array.isArray(m)) fail('"__metadata__" must be an object of strings');
    const entries = Object.entries(m as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (typeof v !== 'string') fail(`"__metadata__"."${k}" must be a string, got ${JSON.stringify(v)}`);
    }
    metadata = Object.fromEntries(entries) as Record<string, string>;
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const infos: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [tensor, entry] of Object.entries(fields)) {
    if (tensor === '__metadata__') continue;
    const where = `tensor "${tensor}"`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`${where} must be an object {dtype, shape, data_offsets}`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail(`${where} has an unknown field "${key}"`);
    }
    const dtype = e['dtype'];
    if (typeof dtype !== 'string') fail(`${where} has no dtype`);
    if (dtype !== 'F32' && dtype !== 'F64') fail(`${where} has dtype ${JSON.stringify(dtype)}; only F32 and F64 are supported`);
    const shape = e['shape'];
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${where} has shape ${JSON.stringify(shape)}; expected an array of integers ≥ 0`);
    const offsets = e['data_offsets'];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      fail(`${where} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with integers ≥ 0`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${where} has data_offsets [${begin}, ${end}] with begin after end`);
    if (end > dataLength) fail(`${where} ends at byte ${end} of the data but the data has only ${dataLength} bytes (truncated file?)`);
    const elements = (shape as number[]).reduce((p, d) => p * d, 1);
    const expected = elements * BYTES[dtype as SafetensorsDType];
    if (expected !== end - begin) {
      fail(`${where} has shape [${(shape as number[]).join(', ')}] (${expected} bytes of ${dtype}) but data_offsets span ${end - begin} bytes`);
    }
    infos.push({ name: tensor, dtype: dtype as SafetensorsDType, shape: [...(shape as number[])], begin, end });
  }

  // The data section must be tiled exactly: sorted by begin, each tensor starts where the previous
  // ended (no overlap, no gap) and the last one ends at the end of the file (no trailing bytes).
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const t of infos) {
    if (t.begin < expectedBegin) fail(`tensor "${t.name}" (bytes ${t.begin}–${t.end}) overlaps the tensor before it (which ends at ${expectedBegin})`);
    if (t.begin > expectedBegin) fail(`there are unused bytes ${expectedBegin}–${t.begin} in the data before tensor "${t.name}"`);
    expectedBegin = t.end;
  }
  if (expectedBegin !== dataLength) {
    fail(`the tensors cover ${expectedBegin} bytes of data but the file has ${dataLength} (extra bytes at the end)`);
  }

  const tensors = infos.map(({ name: tensor, dtype, shape, begin, end }) => {
    const data = readLittleEndian(bytes.subarray(dataStart + begin, dataStart + end), dtype);
    return [tensor, { dtype, shape, data } as SafetensorsTensor] as const;
  });
  // Object.fromEntries defines own keys, so names like "__proto__" cannot touch the prototype.
  return { tensors: Object.fromEntries(tensors), metadata };
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function checkEncodable(name: string, t: SafetensorsTensor): void {
  if (t.dtype !== 'F32' && t.dtype !== 'F64') {
    throw new OptionError(`tensor "${name}": dtype ${JSON.stringify((t as { dtype: unknown }).dtype)} is not supported; use F32 or F64`);
  }
  const ctor = t.dtype === 'F32' ? Float32Array : Float64Array;
  if (!(t.data instanceof ctor)) throw new OptionError(`tensor "${name}": dtype ${t.dtype} needs its data in a ${ctor.name}`);
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
    throw new ShapeError(`tensor "${name}": shape ${JSON.stringify(t.shape)} must be an array of integers ≥ 0`);
  }
  const elements = t.shape.reduce((p, d) => p * d, 1);
  if (elements !== t.data.length) {
    throw new ShapeError(`tensor "${name}": shape [${t.shape.join(', ')}] needs ${elements} values but the data has ${t.data.length}`);
  }
}

/** Writes the tensor's values little-endian at `at` (a straight byte copy on little-endian hosts). */
function writeLittleEndian(out: Uint8Array, at: number, t: SafetensorsTensor): void {
  const { data } = t;
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  if (t.dtype === 'F32') for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i]!, true);
}

/**
 * Reads little-endian values into a fresh array. The bytes are first copied into their own
 * ArrayBuffer: a Float32Array view at an offset that is not a multiple of 4 would throw. (Not by
 * `slice`: a Node Buffer's slice is a view into its shared pool, not a copy.)
 */
function readLittleEndian(src: Uint8Array, dtype: SafetensorsDType): Float32Array | Float64Array {
  const copy = new Uint8Array(src.length);
  copy.set(src);
  if (HOST_LITTLE_ENDIAN) return dtype === 'F32' ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
  const view = new DataView(copy.buffer);
  if (dtype === 'F32') {
    const out = new Float32Array(copy.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float64Array(copy.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
