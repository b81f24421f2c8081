import { readFileSync } from 'node:fs';
import type { Load } from './contention.js';
import type { Interference } from './protocol.js';

/** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

interface Sample {
  /** Machine-wide busy CPU seconds (all cores), or null where /proc/stat does not exist. */
  busy: number | null;
  /** CPU seconds of this process, worker threads included. */
  own: number;
  /** CPU seconds of the busy process of --contended (0 without one), or null where /proc does not say. */
  load: number | null;
  wall: number;
}

/**
 * Watches how much CPU other processes take while we time something. The machine-wide busy time
 * comes from /proc/stat, our own from process.cpuUsage(); the difference is everyone else. The
 * busy process of --contended (`load`) is counted apart, as loadCores: it is meant to be there.
 */
export class InterferenceMeter {
  private start: Sample | null = null;
  private otherSeconds = 0;
  private ownSeconds = 0;
  private loadSeconds = 0;
  private wallSeconds = 0;
  private available = true;

  constructor(private readonly load: Load | null = null) {}

  begin(): void {
    this.start = this.sample();
  }

  end(): void {
    if (!this.start) throw new Error('InterferenceMeter.end() without begin()');
    const now = this.sample();
    if (now.busy === null || this.start.busy === null || now.load === null || this.start.load === null) this.available = false;
    else {
      const own = now.own - this.start.own;
      const load = now.load - this.start.load;
      // Tick granularity can make the difference slightly negative on a quiet machine.
      this.otherSeconds += Math.max(0, now.busy - this.start.busy - own - load);
      this.ownSeconds += own;
      this.loadSeconds += load;
      this.wallSeconds += now.wall - this.start.wall;
    }
    this.start = null;
  }

  /** Averages over every begin/end interval so far; null where the machine does not say. */
  result(): Interference | null {
    if (!this.available || this.wallSeconds === 0) return null;
    const cores = { otherCores: round2(this.otherSeconds / this.wallSeconds), ownCores: round2(this.ownSeconds / this.wallSeconds) };
    return this.load ? { ...cores, loadCores: round2(this.loadSeconds / this.wallSeconds) } : cores;
  }

  private sample(): Sample {
    const cpu = process.cpuUsage();
    return { busy: machineBusySeconds(), own: (cpu.user + cpu.system) / 1e6, load: this.load ? this.load.cpuSeconds() : 0, wall: performance.now() / 1000 };
  }
}

/** The first line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..." in ticks. */
function machineBusySeconds(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return null;
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
