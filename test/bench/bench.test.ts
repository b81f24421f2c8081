import { describe, expect, it, vi } from 'vitest';
import { BatchOrder, epochOrders } from '../../bench/batches.js';
import { parseOptions } from '../../bench/cli.js';
import { loadCommand, processCpuSeconds, startLoad } from '../../bench/contention.js';
import { InterferenceMeter } from '../../bench/interference.js';
import { measureLatency, measureRate, median } from '../../bench/measure.js';
import { NET_SPECS } from '../../bench/nets.js';
import type { ChildResult } from '../../bench/protocol.js';
import { ratios } from '../../bench/report.js';
import { kernelOf, initialWeights, transposed } from '../../bench/weights.js';

describe('batch order', () => {
  it('visits every sample once per epoch, the last batch short unless full batches are asked for', () => {
    const b = new BatchOrder(10, 4, 7);
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < b.batchesPerEpoch; i++) {
      const { start, size } = b.take(false);
      sizes.push(size);
      seen.push(...b.order.subarray(start, start + size));
    }
    expect(sizes).toEqual([4, 4, 2]);
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const full = new BatchOrder(10, 4, 7);
    const fullSizes = Array.from({ length: 5 }, () => full.take(true).size);
    expect(fullSizes).toEqual([4, 4, 4, 4, 4]);
    expect(full.epochs).toBe(2);
  });

  it('hands the Python child the same shuffles the JavaScript children train on', () => {
    const count = 23;
    const orders = epochOrders(count, 3, 2);
    const b = new BatchOrder(count, 5, 3);
    for (let e = 0; e < 2; e++) {
      const epoch: number[] = [];
      for (let i = 0; i < b.batchesPerEpoch; i++) {
        const { start, size } = b.take(false);
        epoch.push(...b.order.subarray(start, start + size));
      }
      expect(epoch).toEqual([...orders.subarray(e * count, (e + 1) * count)]);
    }
  });
});

describe('weights for right-multiplying libraries', () => {
  it('transposes W (units × inputs) into the [inputs, units] kernel', () => {
    // W = [[1, 2, 3], [4, 5, 6]] (2 units, 3 inputs) → K = [[1, 4], [2, 5], [3, 6]]
    expect([...transposed(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)]).toEqual([1, 4, 2, 5, 3, 6]);
    const init = initialWeights(NET_SPECS.tiny, 1);
    const k = kernelOf(NET_SPECS.tiny, init, 0);
    expect(k.shape).toEqual([2, 8]);
    expect(k.data[1 * 8 + 3]).toBe(init.W[0]![3 * 2 + 1]);
  });
});

describe('measurement', () => {
  it('takes the median', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('excludes the warm-up and times the calibrated segments', async () => {
    // A clock that moves only when the work runs (0.5 ms per call): the arithmetic is checked, not
    // this machine's speed, which a test must not assert.
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    const calls: number[] = [];
    const timing = { warmupSeconds: 0, warmupSteps: 4, segments: 3, segmentSeconds: 0.01, minSegmentSteps: 2, latencySeconds: 0 };
    try {
      const stats = await measureRate(
        async (n) => {
          calls.push(n);
          now += n * 0.5;
        },
        10,
        timing,
        new InterferenceMeter(),
      );
      // Warm-up chunks double (1, 2, 4 ≥ 4 steps), then 3 segments of 0.01 s / 0.5 ms = 20 calls.
      expect(calls).toEqual([1, 2, 4, 20, 20, 20]);
      expect(stats.segments).toBe(3);
      // 10 samples per 0.5 ms call: 20,000 samples/s.
      expect(stats.median).toBe(20_000);
      expect(stats.samplesPerSegment).toBe(200);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('batch-1 latency', () => {
  it('times single calls after the warm-up, at least 200, and reports the median and spread in µs', async () => {
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    const seen: number[] = [];
    try {
      const timing = { warmupSeconds: 0, warmupSteps: 3, segments: 1, segmentSeconds: 0, minSegmentSteps: 1, latencySeconds: 0 };
      // call i takes (i mod 10) µs: the timed calls 3..202 take 3,4,...,9,0,1,2,... µs
      const stats = await measureLatency(async (i) => {
        seen.push(i);
        now += (i % 10) / 1000;
      }, timing, new InterferenceMeter());
      expect(seen.slice(0, 4)).toEqual([0, 1, 2, 3]);
      expect(stats.calls).toBe(200);
      expect(stats.median).toBeCloseTo(4.5, 6);
      expect(stats.p10).toBeCloseTo(1, 6);
      expect(stats.p90).toBeCloseTo(9, 6);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('command line', () => {
  it('reads filters and rejects unknown names with one line', () => {
    const o = parseOptions(['--quick', '--net', 'seed,modern', '--library', 'backprop', '--epochs', '3']);
    expect(o).toMatchObject({ quick: true, nets: ['seed', 'modern'], libraries: ['backprop'], epochs: 3, retries: 0 });
    expect(() => parseOptions(['--net', 'huge'])).toThrow(/--net: unknown "huge"; valid: tiny, seed, modern, modern-toolkit/);
    expect(() => parseOptions(['--epochs', '0'])).toThrow(/--epochs must be an integer ≥ 1/);
  });
});

describe('--contended', () => {
  it('is off by default; --contended-core pins the busy process and implies --contended', () => {
    expect(parseOptions([])).toMatchObject({ contended: false, contendedCore: null });
    expect(parseOptions(['--contended'])).toMatchObject({ contended: true, contendedCore: null });
    expect(parseOptions(['--contended-core', '1'])).toMatchObject({ contended: true, contendedCore: 1 });
    expect(loadCommand(null)[0]).toBe(process.execPath);
    expect(loadCommand(1).slice(0, 3)).toEqual(['taskset', '-c', '1']);
    expect(() => parseOptions(['--contended-core', 'x'])).toThrow(/--contended-core must be an integer ≥ 0/);
  });

  it('the busy process takes a core while it runs, is counted apart from other processes, and is gone after stop()', async () => {
    const load = await startLoad(loadCommand(null));
    const meter = new InterferenceMeter(load);
    try {
      meter.begin();
      const until = Date.now() + 300;
      while (Date.now() < until) await new Promise((ok) => setTimeout(ok, 20));
      meter.end();
    } finally {
      load.stop();
    }
    const cores = meter.result();
    if (cores) expect(cores.loadCores).toBeGreaterThan(0.3);
    // (killed at once; /proc forgets it once Node has reaped it)
    for (let i = 0; i < 100 && processCpuSeconds(load.pid) !== null; i++) await new Promise((ok) => setTimeout(ok, 20));
    expect(processCpuSeconds(load.pid)).toBeNull();
  });
});

describe('ratios', () => {
  it('divides each backprop row by each peer row of the same net', () => {
    const row = (library: ChildResult['library'], backend: string, train: number, infer: number) =>
      ({ net: 'seed', library, backend, threads: 1, trainSamplesPerSec: train, inferSamplesPerSec: infer }) as ChildResult;
    const r = ratios([row('backprop', 'wasm', 120_000, 200_000), row('tfjs-wasm', 'wasm', 6_000, 400_000)]);
    expect(r).toEqual([
      { net: 'seed', backprop: { backend: 'wasm', threads: 1 }, peer: { library: 'tfjs-wasm', backend: 'wasm', threads: 1 }, train: 20, infer: 0.5, latency: null },
    ]);
  });

  it('an inference engine has no training ratio; latency is the peer\'s µs over backprop\'s', () => {
    const ours = { net: 'tiny', library: 'backprop', backend: 'wasm', threads: 1, trainSamplesPerSec: 1e6, inferSamplesPerSec: 4e6, latencyMicros: 2 } as ChildResult;
    const ort = { net: 'tiny', library: 'onnxruntime', backend: 'cpu', threads: 1, trainSamplesPerSec: null, inferSamplesPerSec: 2e6, latencyMicros: 9 } as ChildResult;
    expect(ratios([ours, ort])[0]).toMatchObject({ train: null, infer: 2, latency: 4.5 });
  });
});
