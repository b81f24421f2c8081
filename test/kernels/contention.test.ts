// A busy machine: the pacer's rule on a fake clock, the caller taking over the blocks of workers
// that have not started (results bit for bit as on one thread), and a real 2-thread fit beside a
// CPU-bound process against one thread beside the same process.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { availableCores, createWasmKernelsSync, sharedMemorySupported, threadsSupported } from '../../src/kernels/wasm/index.js';
import { CHECK_JOBS, LOST_LIMIT_MS, MAX_PAUSE_MS, MIN_PAUSE_MS, Pacer, PROBE_EVERY_MS, PROBE_MARGIN, PROBE_MS, PROBE_SOON_MS, WINDOW_MS } from '../../src/kernels/wasm/pacer.js';
import type { PoolExports } from '../../src/kernels/wasm/threads.js';
import { Network } from '../../src/network.js';
import { adam } from '../../src/optimizers/index.js';
import { Random } from '../../src/random.js';
import { poolOver, product, sharedKernels } from './pool.js';

/** The stretches of jobs of one kind, from [start, threaded] per job: [threaded, start, end (the next stretch's start)]. */
const stretches = (jobs: [number, boolean][]) =>
  jobs.reduce<[boolean, number, number][]>((list, [t, threaded], i) => {
    const last = list.at(-1);
    if (last && last[0] === threaded) last[2] = jobs[i + 1]?.[0] ?? t;
    else list.push([threaded, t, jobs[i + 1]?.[0] ?? t]);
    return list;
  }, []);

/** A clock the test moves by hand, counting its reads. */
function fakeClock() {
  const c = { now: 0, reads: 0, read: () => (c.reads++, c.now) };
  return c;
}

describe('pacer', () => {
  it('keeps the threads while the losses in a window stay under the limit, and reads the clock once every CHECK_JOBS jobs', () => {
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    for (let t = 0; t < 1000; t += 1) {
      expect(p.threaded(1)).toBe(true);
      // just under the limit in every window, spread over it
      if (t % 5 === 0) p.lose(t, t + (0.99 * LOST_LIMIT_MS * 5) / (WINDOW_MS + 5));
    }
    expect(clock.reads).toBe(1 + Math.floor(1000 / CHECK_JOBS));
  });

  it('pauses the threads when LOST_LIMIT_MS are lost within a window, and tries them again after the pause', () => {
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    p.lose(100, 103);
    expect(p.threaded(1)).toBe(true);
    p.lose(110, 110 + (LOST_LIMIT_MS - 3));
    const pausedAt = 110 + (LOST_LIMIT_MS - 3);
    clock.now = pausedAt;
    expect(p.threaded(1)).toBe(false);
    clock.now = pausedAt + MIN_PAUSE_MS - 0.001;
    expect(p.threaded(1)).toBe(false);
    clock.now = pausedAt + MIN_PAUSE_MS;
    expect(p.threaded(1)).toBe(true);
  });

  it('doubles the pause while the threads lose again soon after their return, up to MAX_PAUSE_MS, and starts over once they have kept up for MAX_PAUSE_MS', () => {
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    /** One failed try at the current time: a single loss of the limit; returns the pause that follows. */
    const fail = () => {
      p.lose(clock.now, clock.now + LOST_LIMIT_MS);
      clock.now += LOST_LIMIT_MS;
      const pausedAt = clock.now;
      while (!p.threaded(1)) clock.now += 1;
      return clock.now - pausedAt;
    };
    const pauses = Array.from({ length: 9 }, fail);
    const want = [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000];
    expect(want[0]).toBe(MIN_PAUSE_MS);
    expect(want.at(-1)).toBe(MAX_PAUSE_MS);
    expect(pauses).toEqual(want);
    // losses under the limit in every window for longer than the longest pause: the next pause is a short one again
    for (let t = 0; t <= MAX_PAUSE_MS; t += WINDOW_MS + 1) {
      p.lose(clock.now, clock.now + LOST_LIMIT_MS - 1);
      clock.now += WINDOW_MS + 1;
    }
    expect(p.threaded(1)).toBe(true);
    expect(fail()).toBe(MIN_PAUSE_MS);
    expect(fail()).toBe(2 * MIN_PAUSE_MS);
  });

  /**
   * Jobs of 1000 work units on a fake clock, each taking `threadedMs` on the threads and `aloneMs`
   * on the caller alone, for `ms` ms: when each kind of job ran, as [start, threaded] pairs.
   */
  function run(p: Pacer, clock: ReturnType<typeof fakeClock>, threadedMs: number, aloneMs: number, ms: number): [number, boolean][] {
    const jobs: [number, boolean][] = [];
    const end = clock.now + ms;
    while (clock.now < end) {
      const threaded = p.threaded(1000);
      jobs.push([clock.now, threaded]);
      clock.now += threaded ? threadedMs : aloneMs;
      if (p.timing) p.ended();
    }
    return jobs;
  }

  it('keeps the threads where they do more work per ms than one thread, probing one thread for PROBE_MS every PROBE_EVERY_MS', () => {
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    const s = stretches(run(p, clock, 0.5, 0.9, 10_000));
    const alone = s.filter(([threaded]) => !threaded);
    // a probe: PROBE_MS of jobs timed on the threads, then PROBE_MS alone
    expect(alone.length).toBe(Math.floor(10_000 / (PROBE_EVERY_MS + 2 * PROBE_MS)));
    // (read every CHECK_JOBS jobs, the clock starts a probe up to that many threaded jobs late)
    for (const [, from, to] of alone) {
      expect(to - from).toBeGreaterThanOrEqual(PROBE_MS);
      expect(to - from).toBeLessThan(PROBE_MS + 1);
    }
    for (const [, from, to] of s.filter(([threaded]) => threaded).slice(0, -1)) {
      expect(to - from).toBeGreaterThanOrEqual(PROBE_EVERY_MS + PROBE_MS);
      expect(to - from).toBeLessThanOrEqual(PROBE_EVERY_MS + PROBE_MS + CHECK_JOBS * 0.5 + 0.5);
    }
  });

  it('pauses the threads when one thread does PROBE_MARGIN times their work per ms, and probes again PROBE_SOON_MS after their return', () => {
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    // both threads twice as slow beside each other: one thread does 1.67 times the work per ms
    const s = stretches(run(p, clock, 1.0, 0.6, PROBE_EVERY_MS + 2 * PROBE_MS + 4 * MIN_PAUSE_MS + 2 * PROBE_SOON_MS + 2 * PROBE_MS));
    const [first, pause, back, again] = s.map(([threaded, from, to]) => ({ threaded, ms: to - from }));
    // threads until the first probe (up to CHECK_JOBS jobs late) and its PROBE_MS timed on them; the
    // probe's jobs alone and the pause that follows them run alone; the threads come back for
    // PROBE_SOON_MS (and the next probe's PROBE_MS on them), and the next probe pauses them for twice as long
    expect(first!.threaded).toBe(true);
    expect(first!.ms).toBeGreaterThanOrEqual(PROBE_EVERY_MS + PROBE_MS);
    expect(first!.ms).toBeLessThanOrEqual(PROBE_EVERY_MS + PROBE_MS + CHECK_JOBS + 1);
    expect(pause!.threaded).toBe(false);
    expect(pause!.ms).toBeGreaterThanOrEqual(PROBE_MS + MIN_PAUSE_MS);
    expect(pause!.ms).toBeLessThan(PROBE_MS + MIN_PAUSE_MS + 2);
    expect(back!.threaded).toBe(true);
    expect(back!.ms).toBeGreaterThanOrEqual(PROBE_SOON_MS + PROBE_MS);
    expect(back!.ms).toBeLessThanOrEqual(PROBE_SOON_MS + PROBE_MS + CHECK_JOBS + 1);
    expect(again!.threaded).toBe(false);
    expect(again!.ms).toBeGreaterThanOrEqual(PROBE_MS + 2 * MIN_PAUSE_MS);
  });

  it('keeps the threads for an app that calls in bursts: the time between its calls is nobody’s work', () => {
    // 40 ms of back-to-back jobs, then 460 ms without any (a server between requests, a page
    // between frames): threads twice as fast per job as one thread must stay on, whichever part of
    // a burst the probe falls in
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    const jobs: [number, boolean][] = [];
    for (let burst = 0; burst < 40; burst++) {
      jobs.push(...run(p, clock, 0.5, 1.0, 40));
      clock.now += 460;
    }
    const alone = stretches(jobs).filter(([threaded]) => !threaded);
    expect(alone.length).toBeGreaterThan(0);
    for (const [, from, to] of alone) expect(to - from, `alone from ${from}`).toBeLessThan(PROBE_MS + 500);
    expect(jobs.filter(([, threaded]) => !threaded).length).toBeLessThan(0.05 * jobs.length);
  });

  it('keeps the threads when one thread does more work per ms but less than PROBE_MARGIN times theirs (a probe window is noisy)', () => {
    const clock = fakeClock();
    const p = new Pacer(clock.read);
    const threadedMs = 1.0;
    const aloneMs = threadedMs / (0.95 * PROBE_MARGIN);
    const s = stretches(run(p, clock, threadedMs, aloneMs, 3 * (PROBE_EVERY_MS + PROBE_MS)));
    for (const [threaded, from, to] of s) if (!threaded) expect(to - from).toBeLessThan(PROBE_MS + 2);
  });
});

describe.runIf(sharedMemorySupported() && threadsSupported())('a late worker', () => {
  it("the caller runs the block of a worker that has not started, with the same values as one thread's, and later jobs are not disturbed", () => {
    // A pool over exports whose runJob, on the caller's thread, records which blocks the caller
    // ran. Before each product the worker is left idle long enough to fall asleep (WORKER_SPIN_MS),
    // so that it wakes later than the caller finishes its small block 0: the caller takes block 1.
    const kernels = sharedKernels();
    const { x } = kernels;
    const ranByCaller: number[] = [];
    const exports: PoolExports = {
      ...x,
      runJob(control, index, w) {
        ranByCaller.push(index);
        x.runJob(control, index, w);
      },
    };
    const { pool } = poolOver(kernels, exports);
    expect(pool.size).toBe(2);
    try {
      const { m, n, k, a, b, c, single } = product(kernels, 11);
      const idle = new Int32Array(new SharedArrayBuffer(4));
      let takenOver = 0;
      for (let trial = 0; trial < 20; trial++) {
        Atomics.wait(idle, 0, 0, 6);
        ranByCaller.length = 0;
        c.fill(NaN);
        pool.gemm(0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, c.byteOffset);
        if (ranByCaller.includes(1)) takenOver++;
        expect(Array.from(c)).toEqual(Array.from(single));
        // back to back: the worker, woken late, finds its block taken and waits for these
        for (let again = 0; again < 5; again++) {
          c.fill(NaN);
          pool.gemm(0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, c.byteOffset);
          expect(Array.from(c)).toEqual(Array.from(single));
        }
      }
      expect(takenOver).toBeGreaterThan(0);
    } finally {
      pool.dispose();
    }
  });
});

describe.runIf(sharedMemorySupported() && threadsSupported())('a late caller', () => {
  it('a worker that waits for the caller to finish its own block reports the wait, and the pacer pauses the threads', () => {
    // A pool over exports whose runJob, on the caller's thread, holds the caller after its block
    // (as when the OS puts the caller on a busy core): the worker, done long before, waits for it
    // (awake: the hold is shorter than WORKER_SPIN_MS). The caller itself loses nothing at the
    // barrier, so only the worker's report can pause the threads: within the jobs that lose
    // LOST_LIMIT_MS, the products run on the caller alone (the direct gemm export).
    const kernels = sharedKernels();
    const { x } = kernels;
    const HOLD_MS = 1.5;
    const hold = new Int32Array(new SharedArrayBuffer(4));
    let threaded = 0;
    let alone = 0;
    const exports: PoolExports = {
      ...x,
      runJob(control, index, w) {
        x.runJob(control, index, w);
        if (index === 0) {
          threaded++;
          Atomics.wait(hold, 0, 0, HOLD_MS);
        }
      },
      gemm(...args) {
        alone++;
        x.gemm(...args);
      },
    };
    const { pool } = poolOver(kernels, exports);
    expect(pool.size).toBe(2);
    try {
      const { m, n, k, a, b, c, single } = product(kernels, 12);
      const limit = Math.ceil(LOST_LIMIT_MS / HOLD_MS) + 2;
      for (let job = 0; job < 4 * limit && alone === 0; job++) {
        c.fill(NaN);
        pool.gemm(0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, c.byteOffset);
        expect(Array.from(c)).toEqual(Array.from(single));
      }
      // (each wait is reported a little under HOLD_MS, from the worker's first clock read after its block, and read by the caller after the next job at the latest)
      expect(alone, `paused after ${threaded} threaded jobs`).toBe(1);
    } finally {
      pool.dispose();
    }
  });
});

describe.runIf(sharedMemorySupported() && threadsSupported())('threads slower side by side', () => {
  // (retried: a load beside the test, such as the suite's other files, can pause the threads by
  // their waits first and so keep the threaded stretch from reaching PROBE_EVERY_MS)
  it("the pacer's throughput probe runs the jobs on the caller alone when the threads do less work per ms than one thread, though nobody waits long", { retry: 2 }, () => {
    // A pool over exports whose runJob, on the caller's thread, spends 20 µs more than its block
    // takes (as when both threads run slower beside each other): the worker finishes first and
    // waits 20 µs, under what it reports, and the caller never waits, so only the probe can see that
    // a job on the threads takes several times as long as the direct gemm export (`alone`) alone.
    const kernels = sharedKernels();
    const { x } = kernels;
    let alone = 0;
    const exports: PoolExports = {
      ...x,
      runJob(control, index, w) {
        x.runJob(control, index, w);
        if (index === 0) for (const until = performance.now() + 0.02; performance.now() < until; );
      },
      gemm(...args) {
        alone++;
        x.gemm(...args);
      },
    };
    const { pool } = poolOver(kernels, exports);
    try {
      const { m, n, k, a, b, c, single } = product(kernels, 13);
      // The probe and the pause after it: jobs alone for PROBE_MS + MIN_PAUSE_MS, after PROBE_EVERY_MS
      // on the threads (the first jobs may pause the threads by their waits, while the worker's code
      // warms up).
      const started = performance.now();
      let probed = false;
      let threaded = true; // the current stretch of jobs: on the threads or alone, since `from`
      let from = 0;
      let threadedFor = 0; // the last stretch on the threads
      while (!probed && performance.now() - started < 3 * PROBE_EVERY_MS) {
        const before = alone;
        const at = performance.now() - started;
        pool.gemm(0, 0, m, n, k, 1, a.byteOffset, b.byteOffset, 0, c.byteOffset);
        if ((alone === before) === threaded) continue;
        if (threaded) threadedFor = at - from;
        else probed = at - from >= PROBE_MS + MIN_PAUSE_MS - 1 && threadedFor >= PROBE_EVERY_MS;
        threaded = !threaded;
        from = at;
      }
      expect(Array.from(c)).toEqual(Array.from(single));
      expect(probed, 'a stretch alone after PROBE_EVERY_MS on the threads').toBe(true);
    } finally {
      pool.dispose();
    }
  });
});

/** A CPU-bound process beside the test, as `node -e 'for(;;){}'`; it exits by itself when this process is gone. */
function busyProcess(): { stop(): void } {
  const child = spawn(process.execPath, ['-e', 'const p = process.ppid; for (let i = 0; ; i++) if (i % 1e8 === 0 && process.ppid !== p) process.exit(0);'], { stdio: 'ignore' });
  return { stop: () => child.kill('SIGKILL') };
}

describe.runIf(sharedMemorySupported() && threadsSupported() && availableCores() > 1)('a busy machine', () => {
  // (retried: the full suite runs other test files beside it, a load on top of the busy process
  // that comes and goes within one timing)
  it('with one core busy, a fit on the default threads takes not much longer than on 1 thread', { retry: 2 }, async () => {
    // Before the pacer, two threads took 3-7 times as long as one here. Each side is timed three
    // times, alternating, and the fastest of each is compared, so that a neighbour's burst on a
    // shared machine falls on either side alike.
    const r = new Random(3);
    const x = Array.from({ length: 2048 }, () => Array.from({ length: 784 }, () => r.uniform()));
    const y = x.map((row) => (row[0]! > 0.5 ? [1, 0] : [0, 1]));
    /**
     * Seconds for 10 epochs of fit (about 0.4 s), on the default threads (all cores) or on one: long
     * enough beside the pacer's 100 ms window, in which the threads lose before they are paused.
     */
    const seconds = async (threads: 'default' | 1) => {
      const kernels = createWasmKernelsSync(threads === 1 ? { threads } : {});
      const net = new Network(784, [{ units: 256, activation: 'relu' }, { units: 2, activation: 'softmax' }], { seed: 1, loss: 'cross-entropy', kernels });
      const started = performance.now();
      await net.fit(x, y, { epochs: 10, batchSize: 64, optimizer: adam() });
      const took = (performance.now() - started) / 1000;
      expect(kernels.threads).toBe(threads === 1 ? 1 : availableCores());
      kernels.dispose();
      return took;
    };
    await seconds('default'); // warm-up: JIT, the kernels' compilation
    const busy = busyProcess();
    const times = { default: [] as number[], 1: [] as number[] };
    try {
      for (let round = 0; round < 3; round++) for (const threads of ['default', 1] as const) times[threads].push(await seconds(threads));
    } finally {
      busy.stop();
    }
    const [one, all] = [Math.min(...times[1]), Math.min(...times.default)];
    const what = `default threads ${times.default.map((t) => t.toFixed(3))} s, 1 thread ${times[1].map((t) => t.toFixed(3))} s`;
    expect(all, what).toBeLessThan(1.5 * one);
  });
});
