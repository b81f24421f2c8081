/**
 * The seeded mutator: from a valid file, a broken one. Byte-level mutations (bit flips,
 * truncation, insertion, deletion, duplication, interesting integers) apply to every kind;
 * structured ones know the format: the safetensors header and its metadata JSON (wrong JSON
 * types, huge and negative numbers, shapes and offsets that disagree with the data, NaN/Inf in the
 * tensors), IDX dimensions (huge, zero, disagreeing with the data, gzipped after or before the
 * edit), CSV cells (beyond float32, NaN, quotes, ragged rows).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Random } from '../../src/random.js';
import type { Kind, Seed } from './corpus.js';

export interface Case {
  index: number;
  kind: Kind;
  /** The seed file it started from, and the mutations applied, for the report. */
  origin: string;
  mutations: string[];
  bytes: Uint8Array;
  /** A free choice of the worker's, e.g. which CSV task or which IDX limit (0..999). */
  variant: number;
}

/** The case `index` of the run seeded with `seed`: the same pair always gives the same case. */
export function makeCase(seed: number, index: number, seeds: Record<Kind, Seed[]>): Case {
  const rng = new Random((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const kind = (['model', 'checkpoint', 'idx', 'csv'] as const)[index % 4]!;
  const start = pick(rng, seeds[kind]);
  let bytes: Uint8Array = start.bytes.slice();
  const mutations: string[] = [];
  // mostly one mutation, so that many cases stay close to a valid file and reach deep checks
  const roll = rng.uniform();
  const rounds = roll < 0.6 ? 1 : roll < 0.9 ? 2 : 3;
  for (let r = 0; r < rounds; r++) {
    const structured = STRUCTURED[kind];
    const [name, mutate] = rng.uniform() < 0.6 ? pick(rng, structured) : pick(rng, BYTE_MUTATIONS);
    try {
      bytes = mutate(bytes, rng);
      mutations.push(name);
    } catch {
      // a structured mutation met a structure an earlier round broke: this round changes nothing
      mutations.push(`${name} (not applicable)`);
    }
  }
  return { index, kind, origin: start.label, mutations, bytes, variant: rng.int(1000) };
}

type Mutation = readonly [string, (bytes: Uint8Array, rng: Random) => Uint8Array];

function pick<T>(rng: Random, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}

const INTERESTING_INTEGERS = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

const BYTE_MUTATIONS: readonly Mutation[] = [
  [
    'flip bits',
    (b, rng) => {
      const out = b.slice();
      for (let k = 1 + rng.int(8); k > 0 && out.length; k--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    },
  ],
  ['truncate', (b, rng) => b.slice(0, rng.int(b.length + 1))],
  ['insert bytes', (b, rng) => splice(b, rng.int(b.length + 1), 0, Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)))],
  [
    'delete a range',
    (b, rng) => {
      const at = rng.int(b.length + 1);
      return splice(b, at, rng.int(b.length - at + 1), new Uint8Array());
    },
  ],
  [
    'duplicate a range',
    (b, rng) => {
      const at = rng.int(b.length + 1);
      const piece = b.slice(at, at + rng.int(256));
      return splice(b, rng.int(b.length + 1), 0, piece);
    },
  ],
  [
    'write an interesting integer',
    (b, rng) => {
      if (b.length < 4) return b;
      const out = b.slice();
      const view = new DataView(out.buffer);
      const value = pick(rng, INTERESTING_INTEGERS);
      const at = rng.int(out.length - 3);
      view.setUint32(at, value >>> 0, rng.uniform() < 0.5);
      return out;
    },
  ],
];

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at));
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

// ---------------------------------------------------------------- safetensors (models, checkpoints)

/** Values that break a JSON field: wrong types, huge, negative, fractional, non-finite in disguise. */
const INTERESTING_JSON: readonly unknown[] = [
  null,
  true,
  'x',
  'NaN',
  '',
  [],
  {},
  [1, 2],
  0,
  -1,
  1.5,
  -0.5,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  1e9,
  1e8,
  1e308,
  -1e308,
  1e39,
  5e-324,
  'a'.repeat(1000),
  { kind: 'scale', min: [1e39], max: [1] },
];

interface Safetensors {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function readSafetensors(b: Uint8Array): Safetensors | null {
  if (b.length < 8) return null;
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  if (n > b.length - 8) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as unknown;
    if (header === null || typeof header !== 'object' || Array.isArray(header)) return null;
    return { header: header as Record<string, unknown>, data: b.slice(8 + n) };
  } catch {
    return null;
  }
}

function writeSafetensors({ header, data }: Safetensors): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Edits the header (when it parses) and re-encodes with a correct length. */
function onHeader(edit: (s: Safetensors, rng: Random) => void): (b: Uint8Array, rng: Random) => Uint8Array {
  return (b, rng) => {
    const s = readSafetensors(b);
    if (!s) return b;
    edit(s, rng);
    return writeSafetensors(s);
  };
}

/** Replaces a random node of a JSON tree (or the tree itself) with an interesting value. */
function mutateJson(value: unknown, rng: Random, depth = 0): unknown {
  if (depth > 0 && rng.uniform() < 0.3) return pick(rng, INTERESTING_JSON);
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.uniform() < 0.15) return rng.uniform() < 0.5 ? [...value, pick(rng, INTERESTING_JSON)] : value.slice(0, -1);
    const i = rng.int(value.length);
    const copy = [...value];
    copy[i] = mutateJson(copy[i], rng, depth + 1);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    if (keys.length === 0 || rng.uniform() < 0.1) {
      copy[pick(rng, ['inputs', 'units', 'extra', 'alpha', 'kind', 'mean'])] = pick(rng, INTERESTING_JSON);
      return copy;
    }
    const key = pick(rng, keys);
    if (rng.uniform() < 0.15) delete copy[key];
    else copy[key] = mutateJson(copy[key], rng, depth + 1);
    return copy;
  }
  if (typeof value === 'string' && value.startsWith('{') && rng.uniform() < 0.8) {
    // the metadata strings hold JSON themselves: mutate inside
    try {
      return JSON.stringify(mutateJson(JSON.parse(value), rng, 0));
    } catch {
      return value;
    }
  }
  return pick(rng, INTERESTING_JSON);
}

function tensorEntries(header: Record<string, unknown>): [string, { dtype: string; shape: number[]; data_offsets: number[] }][] {
  return Object.entries(header).filter(([k, v]) => k !== '__metadata__' && v !== null && typeof v === 'object') as [string, { dtype: string; shape: number[]; data_offsets: number[] }][];
}

const SAFETENSORS_MUTATIONS: readonly Mutation[] = [
  ['header JSON: a field gets a wrong type or value', onHeader((s, rng) => (s.header = mutateJson(s.header, rng) as Record<string, unknown>))],
  [
    'metadata: architecture field',
    onHeader((s, rng) => {
      const meta = s.header['__metadata__'] as Record<string, string> | undefined;
      const key = meta && pick(rng, ['backprop', 'checkpoint'].filter((k) => k in meta));
      if (!meta || !key) return;
      const info = JSON.parse(meta[key]!) as Record<string, unknown>;
      const target = pick(rng, ['inputs', 'layers', 'preprocessing', 'classNames', 'seed', 'dtype', 'loss', 'optimizer', 'epoch']);
      if (target === 'layers' && Array.isArray(info['layers'])) {
        const layers = info['layers'] as Record<string, unknown>[];
        const l = layers[rng.int(layers.length)]!;
        l[pick(rng, ['units', 'activation', 'alpha'])] = pick(rng, INTERESTING_JSON);
      } else info[target] = pick(rng, INTERESTING_JSON);
      meta[key] = JSON.stringify(info);
    }),
  ],
  [
    'architecture claims a huge or negative size',
    onHeader((s, rng) => {
      const meta = s.header['__metadata__'] as Record<string, string>;
      const info = JSON.parse(meta['backprop']!) as { inputs: unknown; layers: { units: unknown }[]; preprocessing?: unknown; classNames?: unknown };
      const size = pick(rng, [2 ** 31 - 1, 2 ** 32 + 3, 2 ** 53, 2 ** 53 + 2, 1e9, 1e8, 65_536, -3, 0, 2.5]);
      if (rng.uniform() < 0.4) info.inputs = size;
      else info.layers[rng.int(info.layers.length)]!.units = size;
      // without these, nothing but the tensors stands between the claim and the network
      if (rng.uniform() < 0.7) delete info.preprocessing;
      if (rng.uniform() < 0.7) delete info.classNames;
      meta['backprop'] = JSON.stringify(info);
    }),
  ],
  [
    'shape disagrees with the data',
    onHeader((s, rng) => {
      const entries = tensorEntries(s.header);
      if (!entries.length) return;
      const [, t] = pick(rng, entries);
      if (!Array.isArray(t.shape)) return;
      const shape = [...t.shape];
      const how = rng.int(5);
      if (how === 0 && shape.length) shape[rng.int(shape.length)] += rng.uniform() < 0.5 ? 1 : -1;
      else if (how === 1) shape.push(1 + rng.int(3));
      else if (how === 2) shape.reverse();
      else if (how === 3 && shape.length) shape[rng.int(shape.length)] = pick(rng, [0, -1, 2 ** 31 - 1, 2 ** 53, 1e9]);
      else shape.pop();
      t.shape = shape;
    }),
  ],
  [
    'data_offsets moved',
    onHeader((s, rng) => {
      const entries = tensorEntries(s.header);
      if (!entries.length) return;
      const [, t] = pick(rng, entries);
      if (!Array.isArray(t.data_offsets)) return;
      const i = rng.int(2);
      t.data_offsets = [...t.data_offsets];
      t.data_offsets[i] = pick(rng, [t.data_offsets[i]! + 4, t.data_offsets[i]! - 4, 0, 2 ** 53, -8, 1e9]);
    }),
  ],
  [
    'dtype changed',
    onHeader((s, rng) => {
      const entries = tensorEntries(s.header);
      if (entries.length) pick(rng, entries)[1].dtype = pick(rng, ['F64', 'F32', 'F16', 'I32', 'BF16']);
    }),
  ],
  [
    'a tensor value becomes NaN, ±Infinity or huge',
    (b, rng) => {
      const s = readSafetensors(b);
      if (!s) return b;
      const entries = tensorEntries(s.header).filter(([, t]) => Array.isArray(t.data_offsets) && t.data_offsets[1]! > t.data_offsets[0]!);
      if (!entries.length) return b;
      const [, t] = pick(rng, entries);
      const size = t.dtype === 'F64' ? 8 : 4;
      const [begin, end] = t.data_offsets as [number, number];
      const at = begin + size * rng.int(Math.floor((end - begin) / size));
      const view = new DataView(s.data.buffer, s.data.byteOffset);
      if (at + size > s.data.length) return b;
      const value = pick(rng, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e30, 1e-45]);
      if (size === 8) view.setFloat64(at, value, true);
      else view.setFloat32(at, value, true);
      return writeSafetensors(s);
    },
  ],
  [
    'header length lies',
    (b, rng) => {
      if (b.length < 8) return b;
      const out = b.slice();
      new DataView(out.buffer).setBigUint64(0, BigInt(pick(rng, [0, 1, 2 ** 31, 2 ** 53, out.length, out.length - 8 + 1])), true);
      return out;
    },
  ],
];

// ---------------------------------------------------------------- IDX

function gunzipOrSelf(b: Uint8Array): { raw: Uint8Array; gzipped: boolean } {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      return { raw: new Uint8Array(gunzipSync(b)), gzipped: true };
    } catch {
      return { raw: b, gzipped: false };
    }
  }
  return { raw: b, gzipped: false };
}

/** Edits the uncompressed IDX bytes, re-gzipping when the input was gzipped. */
function onIdx(edit: (raw: Uint8Array, rng: Random) => Uint8Array): (b: Uint8Array, rng: Random) => Uint8Array {
  return (b, rng) => {
    const { raw, gzipped } = gunzipOrSelf(b);
    const out = edit(raw, rng);
    return gzipped ? new Uint8Array(gzipSync(out)) : out;
  };
}

const IDX_MUTATIONS: readonly Mutation[] = [
  [
    'IDX dimension huge, zero or off by one',
    onIdx((raw, rng) => {
      if (raw.length < 8) return raw;
      const out = raw.slice();
      const rank = Math.min(out[3]!, Math.floor((out.length - 4) / 4));
      if (rank === 0) return out;
      const d = rng.int(rank);
      const view = new DataView(out.buffer);
      const old = view.getUint32(4 + 4 * d, false);
      view.setUint32(4 + 4 * d, pick(rng, [0, 1, old + 1, Math.max(0, old - 1), 1_000_000, 0x7fffffff, 0xffffffff, 60_000]) >>> 0, false);
      return out;
    }),
  ],
  [
    'IDX rank or type byte',
    onIdx((raw, rng) => {
      if (raw.length < 4) return raw;
      const out = raw.slice();
      out[rng.uniform() < 0.5 ? 3 : 2] = pick(rng, [0, 1, 2, 3, 4, 255, 0x09, 0x0d, 0x0e]);
      return out;
    }),
  ],
  ['IDX data cut or extended', onIdx((raw, rng) => (rng.uniform() < 0.5 ? raw.slice(0, Math.max(0, raw.length - 1 - rng.int(16))) : splice(raw, raw.length, 0, new Uint8Array(1 + rng.int(16)))))],
  [
    'gzip bomb: the data repeated far past the header',
    onIdx((raw, rng) => {
      // at most 4 MB of repeats, so that making the case stays cheap
      const copies = Math.min(1 + rng.int(4000), Math.floor((4 << 20) / Math.max(1, raw.length)));
      const tail = new Uint8Array(raw.length * copies);
      for (let i = 0; i < copies; i++) tail.set(raw, i * raw.length);
      return splice(raw, raw.length, 0, tail);
    }),
  ],
  ['gzip the file (or gzip it twice)', (b) => new Uint8Array(gzipSync(b))],
];

// ---------------------------------------------------------------- CSV

const INTERESTING_CELLS = ['1e39', '-1e308', '3.5e38', '1e-50', 'NaN', 'inf', '-Infinity', '', ' ', '"', '"a""b"', '0x10', '1,2', '١', '9'.repeat(400), '-0', '+.5', '1e', '\u0000', 'tulip', '"\n"'];

function onCsv(edit: (rows: string[][], rng: Random) => void): (b: Uint8Array, rng: Random) => Uint8Array {
  return (b, rng) => {
    const rows = new TextDecoder().decode(b).split('\n').map((line) => line.split(','));
    edit(rows, rng);
    return new TextEncoder().encode(rows.map((r) => r.join(',')).join('\n'));
  };
}

const CSV_MUTATIONS: readonly Mutation[] = [
  [
    'CSV cell replaced',
    onCsv((rows, rng) => {
      const row = pick(rng, rows);
      if (row.length) row[rng.int(row.length)] = pick(rng, INTERESTING_CELLS);
    }),
  ],
  ['CSV cell added or removed', onCsv((rows, rng) => void (rng.uniform() < 0.5 ? pick(rng, rows).push(pick(rng, INTERESTING_CELLS)) : pick(rng, rows).pop()))],
  ['CSV row duplicated', onCsv((rows, rng) => void rows.splice(rng.int(rows.length + 1), 0, [...pick(rng, rows)]))],
  ['CSV rows dropped', onCsv((rows, rng) => void rows.splice(rng.int(rows.length), 1 + rng.int(rows.length)))],
];

const STRUCTURED: Record<Kind, readonly Mutation[]> = {
  model: SAFETENSORS_MUTATIONS,
  checkpoint: SAFETENSORS_MUTATIONS,
  idx: IDX_MUTATIONS,
  csv: CSV_MUTATIONS,
};
