import type { InterferenceMeter } from './interference.js';
import type { LatencyStats, RateStats, Timing } from './protocol.js';

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

/**
 * Batch-1 latency, the same for every library: warm up as measureRate does, then time calls one by
 * one (the call's own clock reads cost about 0.1 µs) for about `latencySeconds`, at least 200 of
 * them; report the median and the 10th and 90th percentiles in µs. `call(i)` predicts sample i.
 */
export async function measureLatency(call: (i: number) => Promise<unknown>, timing: Timing, meter: InterferenceMeter): Promise<LatencyStats> {
  const warmupStart = performance.now();
  let i = 0;
  while (i < timing.warmupSteps || performance.now() - warmupStart < timing.warmupSeconds * 1000) await call(i++);
  const times: number[] = [];
  meter.begin();
  const start = performance.now();
  while (times.length < 200 || performance.now() - start < timing.latencySeconds * 1000) {
    const t0 = performance.now();
    await call(i++);
    times.push((performance.now() - t0) * 1000);
  }
  meter.end();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { median: median(times), p10: at(0.1), p90: at(0.9), calls: times.length };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
