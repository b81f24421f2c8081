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
 * machine's rare hiccup). The clock is read only while paused and by the pool when it has lost
 * time (the workers time their waits with the clock reads their spinning makes anyway), so an idle
 * machine pays nothing for the watch.
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

export class Pacer {
  private paused = false;
  private resumeAt = 0;
  private pause = MIN_PAUSE_MS;
  /** When the threads last came back from a pause. */
  private resumedAt = -Infinity;
  /** Start of the current window, or -Infinity before the first loss. */
  private windowStart = -Infinity;
  private lost = 0;

  constructor(private readonly clock: () => number) {}

  /** Whether the next job is to use the threads (false during a pause). */
  threaded(): boolean {
    if (!this.paused) return true;
    const now = this.clock();
    if (now < this.resumeAt) return false;
    this.paused = false;
    this.resumedAt = now;
    this.windowStart = now;
    this.lost = 0;
    return true;
  }

  /** The threads lost the time from `from` to `to` (ms, the clock's) to a late thread: a worker, or the caller. */
  lose(from: number, to: number): void {
    if (to - this.windowStart > WINDOW_MS) {
      this.windowStart = from;
      this.lost = 0;
    }
    this.lost += to - from;
    if (this.lost < LOST_LIMIT_MS) return;
    if (to - this.resumedAt > MAX_PAUSE_MS) this.pause = MIN_PAUSE_MS;
    this.paused = true;
    this.resumeAt = to + this.pause;
    this.pause = Math.min(2 * this.pause, MAX_PAUSE_MS);
  }
}
