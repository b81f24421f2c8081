/**
 * npm run fuzz -- --cases N --seed S [--out DIR] [--timeout MS]
 *
 * Runs N mutated model files, checkpoints, IDX and CSV files through the loaders (see
 * test/fuzz/run.ts), prints the figures, and writes every failing input to DIR (default
 * fuzz-failures/) as a reproducer. Exits 1 when any case failed.
 */
import { parseArgs } from 'node:util';
import { runFuzz, type FuzzSummary } from '../test/fuzz/run.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'fuzz-failures' },
    timeout: { type: 'string', default: '5000' },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
const timeoutMs = Number(values.timeout);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed) || !(timeoutMs > 0)) {
  console.error('usage: npm run fuzz -- --cases N --seed S [--out DIR] [--timeout MS]');
  process.exit(2);
}

function figures(s: FuzzSummary): string {
  return (
    `${s.cases} cases (seed ${s.seed}): ${s.ok} sane loads, ${s.typed} typed errors; ` +
    `${s.crashes} crashes, ${s.hangs} hangs > ${timeoutMs / 1000} s, ${s.nonFiniteAccepted} non-finite accepted, ` +
    `${s.insane} other insane results, ${s.overMemory} over the memory bound; max extra memory ${(s.maxExtraBytes / 2 ** 20).toFixed(1)} MB`
  );
}

const started = Date.now();
const summary = await runFuzz({
  cases,
  seed,
  timeoutMs,
  failuresDir: values.out,
  onProgress: (done, s) => console.error(`  ${done}/${cases}  ${Math.round((Date.now() - started) / 1000)} s  ${s.failures.length} failures`),
});
console.log(figures(summary));
console.log(`per kind [sane, typed]: ${JSON.stringify(summary.perKind)}`);
for (const f of summary.failures.slice(0, 20)) console.log(`  case ${f.index} (${f.kind} from ${f.origin}; ${f.mutations.join(' + ')}): ${f.what}: ${f.detail.split('\n')[0]}`);
if (summary.failures.length) console.log(`reproducers in ${values.out}/`);
process.exitCode = summary.failures.length ? 1 : 0;
