import { parseArgs } from 'node:util';
import { LIBRARIES, NETS, type LibraryName, type NetName } from './protocol.js';

export interface BenchOptions {
  quick: boolean;
  nets: NetName[];
  /** null: the default set (all available; the quick run leaves out the slow tfjs-cpu). */
  libraries: LibraryName[] | null;
  epochs: number;
  seed: number;
  /** Reruns of a measurement that other processes disturbed (see NOISY_OTHER_CORES). */
  retries: number;
  /** --contended: a CPU-bound process runs beside every measurement (contention.ts). */
  contended: boolean;
  /** --contended-core: the core it is pinned to (taskset), or null: not pinned. */
  contendedCore: number | null;
  outDir: string;
  /** Also run each net with the input forced the other way (backprop sparse, PyTorch sparse tensors); the bag-of-words net always has these rows. */
  inputRows: boolean;
  /** The sweep (sweep.ts): training throughput over widths and batch sizes, charted; --net does not apply. */
  sweep: boolean;
}

export const USAGE = `usage: npm run bench -- [options]

Trains the benchmark nets with backprop and its peers, one process at a time, prints a table and
writes bench/results/<date>-<commit>.json.

  --quick            a short subset (small samples, fewer repeats): under a minute
  --sweep            how cost grows: a 784-w-w-10 net over widths 32…2048 and batch sizes
                     1…1024, training throughput only; writes the curves as JSON and SVG
                     (about 5 minutes on 2 cores; with --quick, under 1)
  --net LIST         nets to run, comma-separated: ${NETS.join(', ')} (default: all)
  --library LIST     libraries: ${LIBRARIES.join(', ')}
                     (default: all available; --quick leaves out tfjs-cpu)
  --epochs N         epochs of the accuracy run (default 1)
  --seed N           seed of the initial weights and batch order (default 1)
  --retries N        reruns of a measurement disturbed by other processes (default 1; quick 0)
  --contended        a busy machine: a CPU-bound process runs beside every measurement, from
                     its warm-up to the end of its inference timing (rows marked; its CPU is
                     recorded as loadCores, not as interference)
  --contended-core N pin that process to core N (taskset); implies --contended
  --out DIR          where the JSON goes (default bench/results)
  --input-rows       also run every net with the first layer's input forced sparse (backprop,
                     and PyTorch's sparse tensors); the bag-of-words net always has these rows
  --help`;

/** Parses the command line; throws an Error with one clear line on a bad flag or value. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      sweep: { type: 'boolean', default: false },
      net: { type: 'string', multiple: true },
      library: { type: 'string', multiple: true },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      retries: { type: 'string' },
      contended: { type: 'boolean', default: false },
      'contended-core': { type: 'string' },
      out: { type: 'string' },
      'input-rows': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  if (values.sweep && values.net) throw new Error('--sweep runs its own nets (784-w-w-10); leave out --net');
  return {
    quick: values.quick,
    nets: pick('--net', values.net, NETS),
    libraries: values.library ? pick('--library', values.library, LIBRARIES) : null,
    epochs: integer('--epochs', values.epochs, 1, 1),
    seed: integer('--seed', values.seed, 1, 0),
    retries: integer('--retries', values.retries, values.quick ? 0 : 1, 0),
    contended: values.contended || values['contended-core'] !== undefined,
    contendedCore: values['contended-core'] === undefined ? null : integer('--contended-core', values['contended-core'], 0, 0),
    outDir: values.out ?? 'bench/results',
    inputRows: values['input-rows'],
    sweep: values.sweep,
  };
}

/** Values of a repeatable, comma-separated flag, checked against the valid ones; all when absent. */
function pick<T extends string>(flag: string, given: string[] | undefined, valid: readonly T[]): T[] {
  if (!given) return [...valid];
  const names = given.flatMap((g) => g.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(valid as readonly string[]).includes(n)) throw new Error(`${flag}: unknown ${JSON.stringify(n)}; valid: ${valid.join(', ')}`);
  }
  return valid.filter((v) => names.includes(v));
}

function integer(flag: string, given: string | undefined, fallback: number, min: number): number {
  if (given === undefined) return fallback;
  const n = Number(given);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got ${JSON.stringify(given)}`);
  return n;
}
