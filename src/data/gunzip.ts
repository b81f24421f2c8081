import { crc32 } from 'node:zlib';

/**
 * A gzip decoder (RFC 1952 around RFC 1951's deflate) that pulls its input into one buffer and
 * hands its output out of one window, both reused: decoding a file allocates nothing per piece, so
 * no garbage of chunk buffers builds up between collections (as Node's zlib streams leave, ~30 MB
 * for Fashion-MNIST's training images), and it runs synchronously. Errors are zlib's messages.
 */

/** Thrown for a stream that is not gzip, is corrupt, or ends early; the message is zlib's. */
export class GunzipError extends Error {
  override name = 'GunzipError';
}

/** Bytes read from the source at a time. */
const INPUT_BYTES = 64 * 1024;
/** Deflate refers back at most 32 KB: that much of the output stays before each new piece. */
const HISTORY = 32 * 1024;
/** Output bytes handed out at a time (at most). */
const PIECE = 64 * 1024;
/** The longest match: a piece is handed out before one could overrun the window. */
const MAX_MATCH = 258;

/** Length symbols 257..285: base lengths and extra bits (RFC 1951 3.2.5). */
const LENGTH_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LENGTH_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
/** Distance symbols 0..29: base distances and extra bits. */
const DIST_BASE = new Uint16Array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
/** The order in which a dynamic block lists the code lengths of the code-length alphabet. */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;

/** Bits of the literal/length and distance codes' root tables: longer codes continue in sub-tables (zlib's inflate uses 9 and 6). */
const LIT_ROOT = 10;
const DIST_ROOT = 8;

/*
 * A table entry, one 32-bit word:
 *   bits 0-3   the code's whole length (root and sub-table bits together)
 *   bits 4-7   extra bits after the code (length and distance symbols)
 *   bits 8-10  its kind, one of the KIND_ values
 *   bits 16-31 its value: a literal byte, a base length or distance, or a sub-table's offset
 * A link's length bits are the sub-table's index bits instead.
 */
const KIND_LITERAL = 0;
const KIND_BASE = 1;
const KIND_END = 2;
/** A symbol the alphabet lists but deflate never uses (literal/length 286, 287; distance 30, 31), or with length 0, no code at all. */
const KIND_INVALID = 3;
const KIND_LINK = 4;
/** An entry no code reaches (of an incomplete code): any test for a literal fails on it. */
const NO_CODE = KIND_INVALID << 8;

/**
 * A canonical Huffman code as two-level lookup tables, zlib's layout: the root indexed by the next
 * `bits` input bits (least significant first, as deflate packs them), and for each root index that
 * longer codes share, a sub-table indexed by the bits after it, just wide enough for the longest.
 * A full 15-bit table would be 32768 entries filled per block; these are a few thousand at most.
 */
class HuffmanTable {
  readonly entries: Int32Array;
  bits = 0;
  private readonly count = new Uint16Array(MAX_BITS + 1);
  private readonly next = new Uint16Array(MAX_BITS + 1);
  /** The longest code under each root index (0: none longer than the root). */
  private readonly longest: Uint8Array;

  /**
   * @param root - the root table's bits (at most): a code up to that long is one lookup
   * @param symbols - the alphabet's size: every sub-table belongs to a code longer than the root
   * @param entryOf - the entry (kind, extra bits, value) of symbol `s`, its length left 0
   */
  constructor(
    private readonly root: number,
    symbols: number,
    private readonly entryOf: (s: number) => number,
  ) {
    this.entries = new Int32Array((1 << root) + Math.min(1 << root, symbols) * (1 << Math.max(0, MAX_BITS - root)));
    this.longest = new Uint8Array(1 << root);
  }

  /**
   * Builds the code of `lengths[0..n)`; false for an over-subscribed set, or an incomplete one
   * unless `incompleteOk` and it is a single code of one bit (what zlib accepts).
   */
  build(lengths: Uint8Array, n: number, incompleteOk: boolean): boolean {
    const { count, next, entries, longest } = this;
    count.fill(0);
    for (let s = 0; s < n; s++) count[lengths[s]!]!++;
    let max = MAX_BITS;
    while (max > 0 && count[max] === 0) max--;
    let left = 1;
    for (let len = 1; len <= MAX_BITS; len++) {
      left = 2 * left - count[len]!;
      if (left < 0) return false;
    }
    if (left > 0 && !(incompleteOk && (max <= 1))) return false;
    const bits = Math.min(this.root, Math.max(max, 1));
    this.bits = bits;
    count[0] = 0;
    let code = 0;
    for (let len = 1; len <= max; len++) {
      code = (code + count[len - 1]!) << 1;
      next[len] = code;
    }
    // the root's entries and links; then each sub-table's entries, in the order the links gave them
    entries.fill(NO_CODE, 0, 1 << bits);
    longest.fill(0, 0, 1 << bits);
    for (let s = 0; s < n; s++) {
      const len = lengths[s]!;
      if (len === 0) continue;
      const reversed = reverse(next[len]!++, len);
      if (len <= bits) {
        const entry = this.entryOf(s) | len;
        for (let i = reversed; i < 1 << bits; i += 1 << len) entries[i] = entry;
      } else {
        const at = reversed & ((1 << bits) - 1);
        longest[at] = Math.max(longest[at]!, len);
      }
    }
    if (max <= bits) return true;
    let end = 1 << bits;
    for (let at = 0; at < 1 << bits; at++) {
      if (longest[at] === 0) continue;
      const subBits = longest[at]! - bits;
      entries[at] = (end << 16) | (KIND_LINK << 8) | subBits;
      end += 1 << subBits;
    }
    entries.fill(NO_CODE, 1 << bits, end);
    code = 0;
    for (let len = 1; len <= max; len++) {
      code = (code + count[len - 1]!) << 1;
      next[len] = code;
    }
    for (let s = 0; s < n; s++) {
      const len = lengths[s]!;
      if (len <= bits) continue;
      const reversed = reverse(next[len]!++, len);
      const link = entries[reversed & ((1 << bits) - 1)]!;
      const subBits = link & 15;
      const entry = this.entryOf(s) | len;
      for (let i = reversed >>> bits; i < 1 << subBits; i += 1 << (len - bits)) entries[(link >>> 16) + i] = entry;
    }
    return true;
  }
}

/** `code`'s `len` bits in reverse order: deflate sends a Huffman code most significant bit first. */
function reverse(code: number, len: number): number {
  let reversed = 0;
  for (let i = 0; i < len; i++) reversed |= ((code >>> i) & 1) << (len - 1 - i);
  return reversed;
}

/** Literal/length symbol `s`'s entry: a literal, the end of the block, or a length's base and extra bits. */
function literalLengthEntry(s: number): number {
  if (s < 256) return (s << 16) | (KIND_LITERAL << 8);
  if (s === 256) return KIND_END << 8;
  if (s > 285) return KIND_INVALID << 8;
  return (LENGTH_BASE[s - 257]! << 16) | (KIND_BASE << 8) | (LENGTH_EXTRA[s - 257]! << 4);
}

/** Distance symbol `s`'s entry: its base and extra bits. */
function distanceEntry(s: number): number {
  if (s > 29) return KIND_INVALID << 8;
  return (DIST_BASE[s]! << 16) | (KIND_BASE << 8) | (DIST_EXTRA[s]! << 4);
}

/** A code-length code's entry: the symbol itself. */
function symbolEntry(s: number): number {
  return s << 16;
}

/**
 * Decodes the gzip members in `read`'s bytes (concatenated members are one stream, trailing zero
 * padding is ignored, as zlib does), handing the decoded bytes to `emit` in consecutive pieces of
 * up to 96 KB. `read` fills the start of the buffer it is given and returns the byte count, 0 at
 * the end. `emit` returns true to stop early: the rest is neither read nor checked. A piece is
 * valid only during its `emit` call (its buffer is reused). Each member's CRC-32 and length are
 * checked; a corrupt or truncated stream throws GunzipError.
 */
export function gunzip(read: (into: Uint8Array) => number, emit: (piece: Uint8Array) => boolean): void {
  const input = new Uint8Array(INPUT_BYTES);
  let inPos = 0;
  let inLen = 0;
  /** Zero bytes put into the bit buffer past the end of the input: consuming them is truncation. */
  let padBits = 0;
  let bitBuf = 0;
  let bitCnt = 0;

  const out = new Uint8Array(HISTORY + PIECE + MAX_MATCH);
  let outPos = 0;
  let emitFrom = 0;
  let crc = 0;
  /** Bytes this member has produced (its distances may reach back that far, at most 32 KB). */
  let produced = 0;
  let stopped = false;

  const lit = new HuffmanTable(LIT_ROOT, 288, literalLengthEntry);
  const dist = new HuffmanTable(DIST_ROOT, 32, distanceEntry);
  const clen = new HuffmanTable(7, 19, symbolEntry);
  const lengths = new Uint8Array(288 + 32);

  /** The next input byte, or -1 at the end. */
  function nextByte(): number {
    if (inPos === inLen) {
      inLen = read(input);
      inPos = 0;
      if (inLen === 0) return -1;
    }
    return input[inPos++]!;
  }

  /** Ensures `n` ≤ 24 bits in the bit buffer, padding with zeros past the end. */
  function need(n: number): void {
    while (bitCnt < n) {
      let b = nextByte();
      if (b < 0) {
        b = 0;
        padBits += 8;
      }
      bitBuf |= b << bitCnt;
      bitCnt += 8;
    }
  }

  function bits(n: number): number {
    need(n);
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCnt -= n;
    if (bitCnt < padBits) throw new GunzipError('unexpected end of file');
    return v;
  }

  /** The next code's entry, its bits taken (through a sub-table when the root links to one); 0 for no code. */
  function decode(table: HuffmanTable): number {
    const root = table.bits;
    need(root);
    let e = table.entries[bitBuf & ((1 << root) - 1)]!;
    if ((e >>> 8) & KIND_LINK) {
      need(root + (e & 15));
      e = table.entries[(e >>> 16) + ((bitBuf >>> root) & ((1 << (e & 15)) - 1))]!;
    }
    const len = e & 15;
    if (len === 0) return 0;
    bitBuf >>>= len;
    bitCnt -= len;
    if (bitCnt < padBits) throw new GunzipError('unexpected end of file');
    return e;
  }

  /** A whole byte of the stream, after the deflate data: the bit buffer's whole bytes first. */
  function byte(): number {
    if (bitCnt >= 8) return bits(8);
    const b = nextByte();
    if (b < 0) throw new GunzipError('unexpected end of file');
    return b;
  }

  /** Hands out the output since the last piece, keeping the last 32 KB before the write position. */
  function flush(): void {
    if (outPos > emitFrom) {
      const piece = out.subarray(emitFrom, outPos);
      crc = crc32(piece, crc);
      if (emit(piece)) stopped = true;
    }
    if (outPos > HISTORY) {
      out.copyWithin(0, outPos - HISTORY, outPos);
      outPos = HISTORY;
    }
    emitFrom = outPos;
  }

  /** A member's header (RFC 1952 2.3): its optional fields skipped, its CRC checked when it has one, nothing of it kept. */
  function header(): void {
    const fixed = new Uint8Array(10);
    for (let i = 0; i < 10; i++) fixed[i] = byte();
    if (fixed[0] !== 0x1f || fixed[1] !== 0x8b) throw new GunzipError('incorrect header check');
    if (fixed[2] !== 8) throw new GunzipError('unknown compression method');
    const flags = fixed[3]!;
    if (flags & 0xe0) throw new GunzipError('unknown header flags set');
    let check = crc32(fixed);
    const one = new Uint8Array(1);
    const take = (): number => {
      one[0] = byte();
      check = crc32(one, check);
      return one[0];
    };
    if (flags & 4) for (let n = take() | (take() << 8); n > 0; n--) take(); // FEXTRA
    if (flags & 8) while (take() !== 0); // FNAME
    if (flags & 16) while (take() !== 0); // FCOMMENT
    if (flags & 2 && (byte() | (byte() << 8)) !== (check & 0xffff)) throw new GunzipError('header crc mismatch');
  }

  function stored(): void {
    bits(bitCnt & 7);
    const len = bits(16);
    if ((len ^ bits(16)) !== 0xffff) throw new GunzipError('invalid stored block lengths');
    for (let n = len; n > 0 && !stopped; ) {
      if (outPos >= HISTORY + PIECE) flush();
      if (bitCnt >= 8) {
        out[outPos++] = bits(8);
        n--;
        continue;
      }
      if (inPos === inLen) {
        inLen = read(input);
        inPos = 0;
        if (inLen === 0) throw new GunzipError('unexpected end of file');
      }
      const take = Math.min(n, inLen - inPos, HISTORY + PIECE - outPos);
      out.set(input.subarray(inPos, inPos + take), outPos);
      inPos += take;
      outPos += take;
      n -= take;
    }
    produced += len;
  }

  function fixedTables(): void {
    lengths.fill(8, 0, 144);
    lengths.fill(9, 144, 256);
    lengths.fill(7, 256, 280);
    lengths.fill(8, 280, 288);
    lit.build(lengths, 288, false);
    lengths.fill(5, 0, 32);
    dist.build(lengths, 32, false);
  }

  function dynamicTables(): void {
    const nlen = bits(5) + 257;
    const ndist = bits(5) + 1;
    const ncode = bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new GunzipError('too many length or distance symbols');
    lengths.fill(0, 0, 19);
    for (let i = 0; i < ncode; i++) lengths[CLEN_ORDER[i]!] = bits(3);
    if (!clen.build(lengths, 19, false)) throw new GunzipError('invalid code lengths set');
    for (let i = 0; i < nlen + ndist; ) {
      const e = decode(clen);
      if (e === 0) throw new GunzipError('invalid code lengths set');
      const sym = e >>> 16;
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (sym === 16) {
        if (i === 0) throw new GunzipError('invalid bit length repeat');
        value = lengths[i - 1]!;
        repeat = 3 + bits(2);
      } else {
        repeat = sym === 17 ? 3 + bits(3) : 11 + bits(7);
      }
      if (i + repeat > nlen + ndist) throw new GunzipError('invalid bit length repeat');
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new GunzipError('invalid code -- missing end-of-block');
    if (!lit.build(lengths, nlen, true)) throw new GunzipError('invalid literal/lengths set');
    if (!dist.build(lengths.subarray(nlen, nlen + ndist), ndist, true)) throw new GunzipError('invalid distances set');
  }

  /**
   * The compressed data of one block, with the current tables. The inner loop works on local
   * copies of the state and runs while a whole match fits in the input and the window without a
   * check per bit (zlib's inflate_fast); near either end, one symbol at a time through bits().
   */
  function codes(): void {
    const litEntries = lit.entries;
    const litRoot = lit.bits;
    const litMask = (1 << litRoot) - 1;
    const distEntries = dist.entries;
    const distRoot = dist.bits;
    const distMask = (1 << distRoot) - 1;
    const inp = input;
    const win = out;
    for (;;) {
      let buf = bitBuf;
      let cnt = bitCnt;
      let ip = inPos;
      let op = outPos;
      const opStart = op;
      const ipEnd = inLen - 8; // a match takes at most 15 + 5 + 15 + 13 bits, refills 2 bytes at a time
      let ended = false;
      let error = '';
      while (ip <= ipEnd && op < HISTORY + PIECE) {
        if (cnt < 15) {
          buf |= inp[ip++]! << cnt;
          buf |= inp[ip++]! << (cnt + 8);
          cnt += 16;
        }
        let e = litEntries[buf & litMask]!;
        if ((e & 0x700) === 0) {
          buf >>>= e & 15;
          cnt -= e & 15;
          win[op++] = e >>> 16;
          continue;
        }
        if ((e >>> 8) & KIND_LINK) e = litEntries[(e >>> 16) + ((buf >>> litRoot) & ((1 << (e & 15)) - 1))]!;
        let kind = (e >>> 8) & 7;
        if (kind === KIND_LITERAL) {
          buf >>>= e & 15;
          cnt -= e & 15;
          win[op++] = e >>> 16;
          continue;
        }
        if (kind === KIND_END) {
          buf >>>= e & 15;
          cnt -= e & 15;
          ended = true;
          break;
        }
        if (kind === KIND_INVALID) {
          error = 'invalid literal/length code';
          break;
        }
        buf >>>= e & 15;
        cnt -= e & 15;
        if (cnt < 15) {
          buf |= inp[ip++]! << cnt;
          buf |= inp[ip++]! << (cnt + 8);
          cnt += 16;
        }
        let extra = (e >>> 4) & 15;
        const length = (e >>> 16) + (buf & ((1 << extra) - 1));
        buf >>>= extra;
        cnt -= extra;
        if (cnt < 15) {
          buf |= inp[ip++]! << cnt;
          buf |= inp[ip++]! << (cnt + 8);
          cnt += 16;
        }
        e = distEntries[buf & distMask]!;
        if ((e >>> 8) & KIND_LINK) e = distEntries[(e >>> 16) + ((buf >>> distRoot) & ((1 << (e & 15)) - 1))]!;
        kind = (e >>> 8) & 7;
        if (kind === KIND_INVALID) {
          error = 'invalid distance code';
          break;
        }
        buf >>>= e & 15;
        cnt -= e & 15;
        if (cnt < 13) {
          buf |= inp[ip++]! << cnt;
          buf |= inp[ip++]! << (cnt + 8);
          cnt += 16;
        }
        extra = (e >>> 4) & 15;
        const distance = (e >>> 16) + (buf & ((1 << extra) - 1));
        buf >>>= extra;
        cnt -= extra;
        if (distance > produced + (op - opStart)) {
          error = 'invalid distance too far back';
          break;
        }
        if (length <= 16) for (let k = 0; k < length; k++) win[op + k] = win[op - distance + k]!;
        else copyMatch(op, distance, length);
        op += length;
      }
      bitBuf = buf;
      bitCnt = cnt;
      inPos = ip;
      produced += op - outPos;
      outPos = op;
      if (error) throw new GunzipError(error);
      if (ended) return;
      if (!slowSymbol()) return;
      if (stopped) return;
    }
  }

  /**
   * The window's `length` bytes from `distance` back, copied to `op`. They overlap when the
   * distance is shorter (a repeated pattern): then copied a whole period at a time, doubling.
   */
  function copyMatch(op: number, distance: number, length: number): void {
    const from = op - distance;
    if (distance === 1) out.fill(out[from]!, op, op + length);
    else if (distance >= length) out.copyWithin(op, from, from + length);
    else for (let done = 0; done < length; done += done + distance) out.copyWithin(op + done, from, from + Math.min(done + distance, length - done));
  }

  /** One symbol through the checked bit reader, flushing first when the window is full; false at the end of the block. */
  function slowSymbol(): boolean {
    if (outPos >= HISTORY + PIECE) {
      flush();
      if (stopped) return true;
    }
    const e = decode(lit);
    if (e === 0) throw new GunzipError('invalid literal/length code');
    const kind = (e >>> 8) & 7;
    if (kind === KIND_INVALID) throw new GunzipError('invalid literal/length code');
    if (kind === KIND_LITERAL) {
      out[outPos++] = e >>> 16;
      produced++;
      return true;
    }
    if (kind === KIND_END) return false;
    const length = (e >>> 16) + bits((e >>> 4) & 15);
    const d = decode(dist);
    if (d === 0 || ((d >>> 8) & 7) === KIND_INVALID) throw new GunzipError('invalid distance code');
    const distance = (d >>> 16) + bits((d >>> 4) & 15);
    if (distance > produced) throw new GunzipError('invalid distance too far back');
    copyMatch(outPos, distance, length);
    outPos += length;
    produced += length;
    return true;
  }

  /** One member's deflate data and trailer; false when `emit` stopped it. */
  function member(): boolean {
    header();
    crc = 0;
    produced = 0;
    for (let last = 0; !last; ) {
      last = bits(1);
      const type = bits(2);
      if (type === 0) stored();
      else if (type === 1) {
        fixedTables();
        codes();
      } else if (type === 2) {
        dynamicTables();
        codes();
      } else throw new GunzipError('invalid block type');
      if (stopped) return false;
    }
    flush();
    if (stopped) return false;
    bits(bitCnt & 7);
    const trailer = [0, 0, 0, 0, 0, 0, 0, 0].map(byte);
    const word = (at: number) => (trailer[at]! | (trailer[at + 1]! << 8) | (trailer[at + 2]! << 16) | (trailer[at + 3]! << 24)) >>> 0;
    if (word(0) !== crc >>> 0) throw new GunzipError('incorrect data check');
    if (word(4) !== produced % 2 ** 32) throw new GunzipError('incorrect length check');
    return true;
  }

  /** The next input byte without taking it, or -1 at the end. */
  function peekByte(): number {
    if (bitCnt >= 8) return bitBuf & 0xff;
    if (inPos === inLen) {
      inLen = read(input);
      inPos = 0;
      if (inLen === 0) return -1;
    }
    return input[inPos]!;
  }

  // another member follows unless the input ends, or ends in zeros (padding)
  while (member() && peekByte() > 0);
}
