import { gunzipSync } from 'node:zlib';
import { FormatError } from '../errors.js';
import { readFileBytes } from './files.js';

/**
 * An array read from an IDX file (the format of MNIST and its relatives): its dimensions, outermost
 * first, and its values in row-major order.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** IDX type codes, to name an unsupported one in the error. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Parses an IDX file's bytes, gunzipping them first when they start with the gzip magic 1f 8b.
 * `name` (usually the file's path) heads every error message. Only unsigned bytes (type 0x08, what
 * the MNIST family uses) are supported. The data must be exactly as long as the header says, so a
 * truncated download fails here instead of training on a half-read array.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  const raw = isGzip(bytes) ? gunzip(bytes, name) : bytes;
  if (raw.length < 4) throw new FormatError(`${name}: expected an IDX header of at least 4 bytes, found ${raw.length} bytes`);
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw new FormatError(
      `${name}: not an IDX file: expected the magic number to start with bytes 00 00, found ${hex(raw[0]!)} ${hex(raw[1]!)}`,
    );
  }
  const type = raw[2]!;
  if (type !== UNSIGNED_BYTE) {
    const known = TYPE_NAMES[type] === undefined ? 'unknown' : TYPE_NAMES[type];
    throw new FormatError(`${name}: IDX data type ${hex(type)} (${known}) is not supported; expected 0x08 (unsigned byte)`);
  }
  const rank = raw[3]!;
  if (rank === 0) throw new FormatError(`${name}: expected at least 1 dimension in the IDX header, found 0`);
  const headerBytes = 4 + 4 * rank;
  if (raw.length < headerBytes) {
    throw new FormatError(`${name}: expected a ${headerBytes}-byte IDX header (${rank} dimensions), found ${raw.length} bytes`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = raw.length - headerBytes;
  if (found !== expected) {
    throw new FormatError(
      `${name}: expected ${expected} bytes of data (${dims.join('×')} unsigned bytes) after the ${headerBytes}-byte header, found ${found}`,
    );
  }
  return { dims, data: raw.subarray(headerBytes) };
}

/** Reads and parses an IDX file, gzipped or not. */
export function readIdx(path: string): IdxArray {
  return parseIdx(readFileBytes(path), path);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new FormatError(`${name}: expected a complete gzip stream, but it is truncated or corrupt (${(e as Error).message})`);
  }
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
