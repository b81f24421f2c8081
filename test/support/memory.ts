import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The most memory `fn` added while it ran, in bytes: the peak resident set size (Linux VmHWM,
 * reset through /proc/self/clear_refs) less the size before. Elsewhere, the growth of the
 * ArrayBuffers (typed arrays, buffers) from before to after, which misses what was freed inside.
 */
export function peakExtraMemory(fn: () => void): number {
  const peak = peakResetter();
  const before = peak ? peak.reset() : process.memoryUsage().arrayBuffers;
  try {
    fn();
  } finally {
    lastPeak = peak ? peak.read() - before : process.memoryUsage().arrayBuffers - before;
  }
  return lastPeak;
}

/** The figure of the last peakExtraMemory call, also when `fn` threw. */
export function lastPeakExtraMemory(): number {
  return lastPeak;
}

let lastPeak = 0;
let resetter: { reset(): number; read(): number } | null | undefined;

function peakResetter(): { reset(): number; read(): number } | null {
  if (resetter !== undefined) return resetter;
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    if (!m) throw new Error(`no ${name} in /proc/self/status`);
    return Number(m[1]) * 1024;
  };
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    field('VmHWM');
    resetter = {
      reset: () => {
        writeFileSync('/proc/self/clear_refs', '5');
        return field('VmRSS');
      },
      read: () => field('VmHWM'),
    };
  } catch {
    resetter = null;
  }
  return resetter;
}
