/**
 * When the thread pool's jobs run on all its threads and when on the calling thread alone.
 *
 * A job on several threads pays only while the other threads run beside the caller. When the
 * machine is busy with other processes, the OS deschedules one of them for a time slice (several
 * ms), and the caller either waits for it at the barrier or, when it has not even started, runs
 * its block itself: the threads then lose to one thread. When the OS deschedules the caller
 * instead (it put the caller on the busy core), the workers finish their blocks and wait for it:
 * the threads lose too, and the caller runs the serial work between jobs at half speed beside the
 * other process, where alone it would have been moved to the free core. The pool reports each
 * stretch of lost time, the caller's and the workers' (`lose`); once LOST_LIMIT_MS have been lost
 * within WINDOW_MS, jobs run on the caller alone (`threaded()` false) for a pause, during which
 * the workers sleep and the OS can give the caller a core of its own; then the threads are tried
 * again. The pause doubles each time the threads lose again within MAX_PAUSE_MS of their return (a
 * busy machine stays busy), up to MAX_PAUSE_MS, and starts over at MIN_PAUSE_MS otherwise (an idle
 * machine's rare hiccup). For this the clock is read only while paused and by the pool when it has
 * lost time (the workers time their waits with the clock reads their spinning makes anyway).
 *
 * Threads can also lose without waiting: at times both threads' blocks take twice as long while
 * they run side by side (measured on this project's 2-vCPU VM: the tiny net's forward blocks 2.6 →
 * 5–6 µs on each thread, for seconds, so that two threads predicted 51.6 M samples/s against one
 * thread's 85.7 M), which no barrier wait shows. So the pacer also compares throughput: the pool
 * tells it each job's work (its flops, or its element count), and after every PROBE_EVERY_MS of
 * threaded time it times PROBE_MS of jobs on the threads and then PROBE_MS of jobs on the caller
 * alone, and compares their work per ms; when one thread does PROBE_MARGIN times as much, the
 * threads pause as above (and the next probe after their return comes after PROBE_SOON_MS). Only
 * the jobs' own time counts (the pool reports each timed job's end, `ended`): an app that calls
 * the kernels in bursts, idle in between, would otherwise look slow on the threads whenever the
 * probe fell inside a burst. The clock is read every CHECK_JOBS jobs for this, twice a job while
 * timing, and a probe costs an idle machine about PROBE_MS / PROBE_EVERY_MS of its threads' gain.
 */

/**
 * The span over which lost time is summed, ms. Long enough that one stall of a time slice (3-8 ms,
 * which a virtual machine's host inflicts on an idle guest every second or so) stays under the
 * limit: with 5 ms in 20 ms such stalls paused the threads again and again on an idle machine
 * (modern training fell from 90 k to 48-60 k samples/s in most half-second segments).
 */
export const WINDOW_MS = 100;
/** Lost time within a window that makes the threads lose to one thread, ms (a quarter of it: the threads' gain is gone). */
export const LOST_LIMIT_MS = 25;
/** The first pause on one thread, ms. */
export const MIN_PAUSE_MS = 50;
/** The longest pause, ms: with another process holding a core for good, a failed try costs about LOST_LIMIT_MS once per pause. */
export const MAX_PAUSE_MS = 2000;

/** Threaded time between two throughput probes, ms. */
export const PROBE_EVERY_MS = 2000;
/** Threaded time before the first probe after the threads come back from a pause a probe began, ms. */
export const PROBE_SOON_MS = 200;
/** Job time a probe measures on the threads, then on the calling thread alone, ms. */
export const PROBE_MS = 20;
/** How much more work per ms one thread must do in a probe for the threads to pause (noise in a 20 ms window stays under it). */
export const PROBE_MARGIN = 1.2;
/** Jobs between two clock reads while threaded (a power of 2). */
export const CHECK_JOBS = 16;

export class Pacer {
  /** Whether the current job is timed: the pool then calls `ended` when it has run. */
  timing = false;
  private paused = false;
  private resumeAt = 0;
  private pause = MIN_PAUSE_MS;
  /** When the threads last came back from a pause. */
  private resumedAt = -Infinity;
  /** Start of the current window, or -Infinity before the first loss. */
  private windowStart = -Infinity;
  private lost = 0;
  private jobs = 0;
  private started = false;
  /** When the next probe begins, and whether the last pause came from a probe. */
  private probeAt = 0;
  private probePaused = false;
  /** A probe's phase (none, timing jobs on the threads, then on the caller alone), its timed jobs' work and time so far, and the threads' work per ms. */
  private phase: 'none' | 'threads' | 'alone' = 'none';
  private timedWork = 0;
  private timedMs = 0;
  private threadedRate = 0;
  /** The timed job: its start and work. */
  private jobStart = 0;
  private jobWork = 0;

  constructor(private readonly clock: () => number) {}

  /** Whether the next job, of `work` units, is to use the threads (false during a pause or a probe's jobs alone). */
  threaded(work: number): boolean {
    if (this.paused) {
      const now = this.clock();
      if (now < this.resumeAt) return false;
      this.paused = false;
      this.resumedAt = now;
      this.windowStart = now;
      this.lost = 0;
      this.probeAt = now + (this.probePaused ? PROBE_SOON_MS : PROBE_EVERY_MS);
      return true;
    }
    if (this.phase !== 'none') {
      this.time(this.clock(), work);
      return this.phase === 'threads';
    }
    if ((++this.jobs & (CHECK_JOBS - 1)) !== 0 && this.started) return true;
    const now = this.clock();
    if (!this.started) {
      this.started = true;
      this.probeAt = now + PROBE_EVERY_MS;
    }
    if (now < this.probeAt) return true;
    this.phase = 'threads';
    this.timedWork = this.timedMs = 0;
    this.time(now, work);
    return true;
  }

  /** The end of a timed job: once a phase has PROBE_MS of job time, the next phase, or the verdict. */
  ended(): void {
    const now = this.clock();
    this.timing = false;
    this.timedWork += this.jobWork;
    this.timedMs += now - this.jobStart;
    if (this.timedMs < PROBE_MS) return;
    const rate = this.timedWork / this.timedMs;
    this.timedWork = this.timedMs = 0;
    if (this.phase === 'threads') {
      this.threadedRate = rate;
      this.phase = 'alone';
      return;
    }
    this.phase = 'none';
    if (rate > 0 && rate >= PROBE_MARGIN * this.threadedRate) this.stop(now, true);
    else this.probeAt = now + PROBE_EVERY_MS;
  }

  private time(now: number, work: number): void {
    this.timing = true;
    this.jobStart = now;
    this.jobWork = work;
  }

  /** Pauses the threads from `to` on: for the current pause, doubled when they lose again within MAX_PAUSE_MS of their return. */
  private stop(to: number, byProbe: boolean): void {
    if (to - this.resumedAt > MAX_PAUSE_MS) this.pause = MIN_PAUSE_MS;
    this.paused = true;
    this.phase = 'none';
    this.timing = false;
    this.probePaused = byProbe;
    this.resumeAt = to + this.pause;
    this.pause = Math.min(2 * this.pause, MAX_PAUSE_MS);
  }

  /** The threads lost the time from `from` to `to` (ms, the clock's) to a late thread: a worker, or the caller. */
  lose(from: number, to: number): void {
    if (to - this.windowStart > WINDOW_MS) {
      this.windowStart = from;
      this.lost = 0;
    }
    this.lost += to - from;
    if (this.lost >= LOST_LIMIT_MS) this.stop(to, false);
  }
}
