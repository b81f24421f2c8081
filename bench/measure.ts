import type { InterferenceMeter } from './interference.js';
import type { RateStats, Timing } from './protocol.js';

/** Runs `calls` units of work and resolves once all of it has really finished (async libraries sync here). */
export type Work = (calls: number) => Promise<void>;

/**
 * The throughput protocol, the same for every library: warm up (excluded: JIT compilation, first
 * allocations, lazy kernel set-up), calibrate how many calls make a segment of about
 * `segmentSeconds`, then time `segments` segments and report their median. Work runs in chunks
 * that double while they are short, so timing a call costs nothing next to the call itself.
 */
export async function measureRate(work: Work, samplesPerCall: number, timing: Timing, meter: InterferenceMeter): Promise<RateStats> {
  const warmupStart = performance.now();
  let done = 0;
  let chunk = 1;
  let callsPerSecond = 0;
  while (done < timing.warmupSteps || performance.now() - warmupStart < timing.warmupSeconds * 1000) {
    const t0 = performance.now();
    await work(chunk);
    const seconds = (performance.now() - t0) / 1000;
    done += chunk;
    callsPerSecond = chunk / Math.max(seconds, 1e-9);
    if (seconds < 0.05) chunk *= 2;
  }
  const perSegment = Math.max(timing.minSegmentSteps, Math.round(callsPerSecond * timing.segmentSeconds));
  const rates: number[] = [];
  for (let s = 0; s < timing.segments; s++) {
    meter.begin();
    const t0 = performance.now();
    await work(perSegment);
    const seconds = (performance.now() - t0) / 1000;
    meter.end();
    rates.push((perSegment * samplesPerCall) / seconds);
  }
  return {
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    segments: rates.length,
    samplesPerSegment: perSegment * samplesPerCall,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
