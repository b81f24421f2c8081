import { closeSync, readSync } from 'node:fs';
import { DataError, FormatError } from '../errors.js';
import { openFile, readFileHead, regularFileSize } from './files.js';
import { gunzip, GunzipError } from './gunzip.js';

/**
 * An array read from an IDX file (the format of MNIST and its relatives): its dimensions, outermost
 * first, and its values in row-major order.
 */
export interface IdxArray {
  /** The dimensions, outermost first (e.g. [60000, 28, 28] for images). */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/** How much of an IDX file to read. */
export interface IdxOptions {
  /** Read only the first `limit` items (entries of the outermost dimension); the rest is never decompressed. */
  limit?: number;
}

/**
 * Most data bytes an IDX header may declare: 2 GiB, over 40 times the Fashion-MNIST training
 * images. A header declaring more is refused before anything is decompressed.
 */
export const MAX_IDX_BYTES = 2 ** 31;

const UNSIGNED_BYTE = 0x08;
/** The longest IDX header: magic (4 bytes) and 255 dimensions of 4 bytes. */
const MAX_HEADER_BYTES = 4 + 4 * 255;
/** Deflate expands a byte into at most 1032 bytes: a gzip stream of n bytes holds at most 1032 n. */
const MAX_EXPANSION = 1032;

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
 *
 * Decompression is bounded by the header: never more than the declared size (at most
 * MAX_IDX_BYTES) is produced, and a stream longer or shorter than declared is refused. With
 * `limit`, only the first `limit` items are decompressed and checked.
 *
 * @example
 * ```ts
 * import { parseIdx } from 'backprop/node';
 *
 * // magic 0x00000801 (unsigned bytes, one dimension), 3 items, then the items
 * const labels = parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]), 'labels');
 * console.log(labels.dims, labels.data);   // [ 3 ] Uint8Array(3) [ 7, 2, 1 ]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string, options: IdxOptions = {}): IdxArray {
  if (isGzip(bytes)) return gunzipIdx(bytes, name, options);
  const { dims, headerBytes } = parseHeader(bytes, name);
  const { itemBytes, declared, items } = sizes(dims, name, options);
  if (items < dims[0]!) {
    const wanted = headerBytes + items * itemBytes;
    if (bytes.length < wanted) {
      throw shortOfLimit(name, dims, items, headerBytes, bytes.length - headerBytes);
    }
    return { dims: [items, ...dims.slice(1)], data: bytes.slice(headerBytes, wanted) };
  }
  const found = bytes.length - headerBytes;
  if (found !== declared) {
    throw wrongLength(name, dims, headerBytes, found);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * parseIdx of gzipped bytes: decoded through IdxDecoder as streamIdx decodes a file, so only the
 * wanted items are decompressed and a stream longer than declared stops one piece past it. The
 * array is allocated once, no larger than the stream can hold: a header declaring more is refused
 * when the stream ends short, before the array is handed out.
 */
function gunzipIdx(bytes: Uint8Array, name: string, options: IdxOptions): IdxArray {
  let array: IdxArray | undefined;
  const decoder = new IdxDecoder(name, {
    start(dims) {
      array = { dims, data: new Uint8Array(Math.min(dims.reduce((a, b) => a * b, 1), bytes.length * MAX_EXPANSION)) };
    },
    write(piece, offset) {
      array!.data.set(piece, offset);
    },
  }, { ...options, gzipped: true });
  let at = 0;
  const read = (into: Uint8Array): number => {
    const n = Math.min(into.length, bytes.length - at);
    into.set(bytes.subarray(at, at + n));
    at += n;
    return n;
  };
  try {
    gunzip(read, (piece) => decoder.push(piece));
  } catch (e) {
    throw e instanceof GunzipError ? corrupt(name, e) : e;
  }
  decoder.end();
  return array!;
}

/**
 * Reads an IDX file, gzipped or not, with parseIdx's checks and messages: streamed (see
 * streamIdx), so that only the decoded array is held, not the file's bytes beside it.
 *
 * @example
 * ```ts
 * import { readIdx } from 'backprop/node';
 *
 * const images = readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', { limit: 100 });
 * console.log(images.dims);   // [ 100, 28, 28 ]
 * ```
 */
export function readIdx(path: string, options: IdxOptions = {}): IdxArray {
  let array: IdxArray | undefined;
  streamIdx(path, {
    start(dims) {
      array = { dims, data: new Uint8Array(dims.reduce((a, b) => a * b, 1)) };
    },
    write(bytes, offset) {
      array!.data.set(bytes, offset);
    },
  }, options);
  return array!;
}

/** Receives a streamed IDX array: `start` once the header is read, then `write` for each consecutive piece of the data. */
export interface IdxSink {
  /** The dimensions, the outermost cut to the limit; called before any data arrives. */
  start(dims: number[]): void;
  /** The next piece of the data: `bytes` are the values from index `offset` on. */
  write(bytes: Uint8Array, offset: number): void;
}

/**
 * Decodes an IDX array from its bytes pushed in pieces of any size, with parseIdx's checks and
 * messages: the header and the limit bound what is passed on, and a stream shorter or longer than
 * declared is refused. Only the header is buffered; the data goes to the sink as it arrives.
 */
export class IdxDecoder {
  private readonly head = new Uint8Array(MAX_HEADER_BYTES);
  private headFill = 0;
  private headerBytes = 0;
  private declaredItems = 0;
  private dims: number[] | undefined;
  private wanted = 0;
  private limited = false;
  private received = 0;

  /**
   * @param gzipped - the bytes come from a gzip stream: one byte past the declared data is refused
   *   at once (raw files are counted to their end, for parseIdx's message)
   * @param maxBytes - the most bytes the source can hold (decoded): a header declaring more is refused before `start`
   */
  constructor(
    private readonly name: string,
    private readonly sink: IdxSink,
    private readonly options: IdxOptions & { gzipped?: boolean; maxBytes?: number } = {},
  ) {}

  /** Takes the next decoded bytes; true once every byte wanted has arrived and the rest need not be read (a limit cut the array). */
  push(chunk: Uint8Array): boolean {
    let at = 0;
    while (this.dims === undefined && at < chunk.length) {
      const need = this.headFill < 4 ? 4 : 4 + 4 * this.head[3]!;
      const take = Math.min(need - this.headFill, chunk.length - at);
      this.head.set(chunk.subarray(at, at + take), this.headFill);
      this.headFill += take;
      at += take;
      if (this.headFill === need && need > 4) this.begin();
      else if (this.headFill === 4 && this.head[3] === 0) this.begin(); // parseHeader names the missing dimensions
    }
    if (this.dims === undefined) return false;
    const data = chunk.subarray(at);
    const piece = data.subarray(0, Math.max(0, this.wanted - this.received));
    if (piece.length > 0) this.sink.write(piece, this.received);
    this.received += data.length;
    if (this.limited) return this.received >= this.wanted;
    if (this.received > this.wanted && this.options.gzipped) throw overlong(this.name, this.headerBytes + this.wanted);
    return false;
  }

  /** The stream has ended: refuses it if it was shorter (or, raw, longer) than declared. */
  end(): void {
    if (this.dims === undefined) {
      parseHeader(this.head.subarray(0, this.headFill), this.name); // throws: the header is incomplete
      throw new FormatError(`${this.name}: the IDX header is incomplete`);
    }
    const items = this.dims[0]!;
    if (this.limited ? this.received < this.wanted : this.received !== this.wanted) {
      const declared = [this.declaredItems, ...this.dims.slice(1)];
      throw this.limited
        ? shortOfLimit(this.name, declared, items, this.headerBytes, this.received)
        : wrongLength(this.name, declared, this.headerBytes, this.received);
    }
  }

  private begin(): void {
    const { dims, headerBytes } = parseHeader(this.head.subarray(0, this.headFill), this.name);
    const { itemBytes, items } = sizes(dims, this.name, this.options);
    this.headerBytes = headerBytes;
    this.declaredItems = dims[0]!;
    this.limited = items < dims[0]!;
    this.wanted = items * itemBytes;
    const { maxBytes } = this.options;
    if (maxBytes !== undefined && headerBytes + this.wanted > maxBytes) {
      throw this.options.gzipped
        ? new FormatError(`${this.name}: the IDX header declares ${dims.join('×')} unsigned bytes, more than a gzip stream of this size can hold (at most ${maxBytes} bytes)`)
        : this.limited
          ? shortOfLimit(this.name, dims, items, headerBytes, maxBytes - headerBytes)
          : wrongLength(this.name, dims, headerBytes, maxBytes - headerBytes);
    }
    this.dims = [items, ...dims.slice(1)];
    this.sink.start(this.dims);
  }
}

/** The bytes read at a time from a plain file. */
const READ_BYTES = 64 * 1024;

/**
 * Reads an IDX file, gzipped or not, in pieces into `sink`: each buffer (the bytes read, the bytes
 * decompressed) is one reused one, so neither the whole file nor its decoded bytes nor a trail of
 * dead pieces is ever in memory, and a caller can convert each piece straight to its destination.
 * The checks and messages are parseIdx's; with `limit`, reading stops once the first `limit` items
 * have arrived.
 */
export function streamIdx(path: string, sink: IdxSink, options: IdxOptions = {}): void {
  const size = regularFileSize(path);
  const gzipped = isGzip(readFileHead(path, 2));
  const decoder = new IdxDecoder(path, sink, { ...options, gzipped, maxBytes: gzipped ? size * MAX_EXPANSION : size });
  const fd = openFile(path);
  const read = (into: Uint8Array): number => {
    try {
      return readSync(fd, into);
    } catch (e) {
      throw new DataError(`cannot read ${path}: ${(e as Error).message}`);
    }
  };
  try {
    if (gzipped) {
      gunzip(read, (piece) => decoder.push(piece));
    } else {
      const buffer = new Uint8Array(READ_BYTES);
      for (let n = read(buffer); n > 0; n = read(buffer)) if (decoder.push(buffer.subarray(0, n))) return;
    }
  } catch (e) {
    throw e instanceof GunzipError ? corrupt(path, e) : e;
  } finally {
    closeSync(fd);
  }
  decoder.end();
}

/** The sizes a header declares, refused past MAX_IDX_BYTES, and the items the limit keeps. */
function sizes(dims: number[], name: string, options: IdxOptions): { itemBytes: number; declared: number; items: number } {
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const declared = dims[0]! * itemBytes;
  if (declared > MAX_IDX_BYTES) {
    throw new FormatError(`${name}: the IDX header declares ${dims.join('×')} = ${declared} bytes of data, more than the ${MAX_IDX_BYTES} this loader reads (MAX_IDX_BYTES)`);
  }
  return { itemBytes, declared, items: Math.min(dims[0]!, options.limit ?? Infinity) };
}

function shortOfLimit(name: string, dims: number[], items: number, headerBytes: number, found: number): FormatError {
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  return new FormatError(`${name}: expected at least ${items * itemBytes} bytes of data (the first ${items} of ${dims.join('×')} unsigned bytes) after the ${headerBytes}-byte header, found ${found}`);
}

function wrongLength(name: string, dims: number[], headerBytes: number, found: number): FormatError {
  const declared = dims.reduce((a, b) => a * b, 1);
  return new FormatError(`${name}: expected ${declared} bytes of data (${dims.join('×')} unsigned bytes) after the ${headerBytes}-byte header, found ${found}`);
}

function overlong(name: string, declared: number): FormatError {
  return new FormatError(`${name}: the gzip stream holds more than the ${declared} bytes the IDX header declares`);
}

function parseHeader(raw: Uint8Array, name: string): { dims: number[]; headerBytes: number } {
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
  return { dims, headerBytes };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function corrupt(name: string, e: unknown): FormatError {
  return new FormatError(`${name}: expected a complete gzip stream, but it is truncated or corrupt (${(e as Error).message})`);
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
