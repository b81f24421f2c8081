import { NET_SPECS } from './nets.js';
import type { ChildResult, NetName } from './protocol.js';

/** Other processes using more than this many cores during a measurement make it suspect. */
export const NOISY_OTHER_CORES = 0.25;

export function isNoisy(r: Pick<ChildResult, 'interference'>): boolean {
  return r.interference !== null && r.interference.otherCores > NOISY_OTHER_CORES;
}

export interface Ratio {
  net: NetName;
  backprop: { backend: string; threads: number };
  peer: { library: string; backend: string; threads: number };
  /** backprop's samples/s divided by the peer's: > 1 means backprop is faster (train: null for an inference engine). */
  train: number | null;
  infer: number;
  /** The peer's batch-1 latency divided by backprop's: > 1 means backprop answers sooner (null: not measured). */
  latency: number | null;
}

/** Every backprop row against every peer row of the same net. */
export function ratios(results: readonly ChildResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const ours of results.filter((r) => r.library === 'backprop')) {
    for (const peer of results.filter((r) => r.net === ours.net && r.library !== 'backprop')) {
      out.push({
        net: ours.net,
        backprop: { backend: ours.backend, threads: ours.threads },
        peer: { library: peer.library, backend: peer.backend, threads: peer.threads },
        train: ours.trainSamplesPerSec !== null && peer.trainSamplesPerSec !== null ? round2(ours.trainSamplesPerSec / peer.trainSamplesPerSec) : null,
        infer: round2(ours.inferSamplesPerSec / peer.inferSamplesPerSec),
        latency: ours.latencyMicros && peer.latencyMicros ? round2(peer.latencyMicros / ours.latencyMicros) : null,
      });
    }
  }
  return out;
}

/** A plain-text table per net; the ratio column compares each row with backprop's fastest row. */
export function table(results: readonly ChildResult[]): string {
  const lines: string[] = [];
  const nets = [...new Set(results.map((r) => r.net))];
  for (const net of nets) {
    const rows = results.filter((r) => r.net === net);
    const ours = rows.filter((r) => r.library === 'backprop').sort((a, b) => (b.trainSamplesPerSec ?? 0) - (a.trainSamplesPerSec ?? 0))[0];
    const first = rows[0]!;
    lines.push(
      '',
      `${net}: ${NET_SPECS[net].description}; ${first.epochs} epoch(s) on ${first.trainSamples} samples, tested on ${first.testSamples}`,
    );
    const contended = rows.some((r) => r.contended);
    const header = ['library', 'backend', 'thr', 'train/s', 'spread', ours ? `×(${label(ours)})` : 'ratio', 'infer/s', 'lat µs', 'test acc', 'RSS MB', 'epoch/s', 'other cpu'];
    const body = rows.map((r) => [
      r.library,
      r.backend,
      String(r.threads),
      r.trainSamplesPerSec === null ? '—' : fmt(r.trainSamplesPerSec),
      r.train ? `±${Math.round(((r.train.max - r.train.min) / 2 / r.train.median) * 100)}%` : '',
      ours && r !== ours && ours.trainSamplesPerSec !== null && r.trainSamplesPerSec !== null ? `${(ours.trainSamplesPerSec / r.trainSamplesPerSec).toFixed(2)}` : '',
      fmt(r.inferSamplesPerSec),
      r.latencyMicros === null || r.latencyMicros === undefined ? '?' : r.latencyMicros.toFixed(1),
      r.testAccuracy.toFixed(4),
      String(r.peakRssMB),
      r.epochSamplesPerSec === null ? '—' : fmt(r.epochSamplesPerSec),
      r.interference ? `${r.interference.otherCores.toFixed(2)}${isNoisy(r) ? ' !' : ''}` : '?',
      ...(contended ? [r.contended ? `busy ${r.interference?.loadCores?.toFixed(2) ?? '?'}` : ''] : []),
    ]);
    if (contended) header.push('load');
    lines.push(...align([header, ...body]));
  }
  lines.push(
    '',
    'train/s: median of timed segments after warm-up; spread: half the range of the segments; ×(...): that',
    "backprop row's train/s divided by this row's; infer/s: test set in batches of 1000; lat µs: one sample per",
    'predict call, median call (output read back); epoch/s: the whole accuracy run, wall clock (—: an inference',
    "engine, which does not train; onnxruntime's accuracy is of backprop's trained weights run there); RSS: peak of",
    'the process, data set included; other cpu: cores other',
    `processes used while timing (! above ${NOISY_OTHER_CORES}: rerun on a quiet machine).`,
  );
  if (results.some((r) => r.contended)) {
    lines.push('load: --contended, a CPU-bound process ran beside the row (busy: the cores it took while timing).');
  }
  return lines.join('\n');
}

function label(r: ChildResult): string {
  return `${r.backend}×${r.threads}`;
}

function align(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
