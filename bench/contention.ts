import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The busy machine of `--contended`: one CPU-bound process beside the measurement, as a user's
 * other program or a CI neighbour would be. It checks every ~0.1 s that the process that started it
 * is still its parent and exits when it is not, so that it dies with a child killed in any way
 * (a crash, a timeout's SIGTERM, SIGKILL); otherwise the child kills it by PID when it is done.
 */
const BUSY_SOURCE = 'const p = process.ppid; for (let i = 0; ; i++) if (i % 1e8 === 0 && process.ppid !== p) process.exit(0);';

/** The command line of the busy process, pinned to one core with taskset when `core` is given. */
export function loadCommand(core: number | null): string[] {
  const busy = [process.execPath, '-e', BUSY_SOURCE];
  return core === null ? busy : ['taskset', '-c', String(core), ...busy];
}

/** A running busy process. */
export interface Load {
  readonly pid: number;
  /** CPU seconds it has used so far, or null where /proc does not say. */
  cpuSeconds(): number | null;
  /** Kills it (idempotent). */
  stop(): void;
}

/** Linux reports /proc/PID/stat in USER_HZ ticks, 100 per second on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/** Starts the busy process and waits until it runs; it is killed on stop() and, at the latest, when this process exits. */
export async function startLoad(command: readonly string[]): Promise<Load> {
  const child = spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', (e) => fail(new Error(`--contended: could not start ${command.join(' ')}: ${e.message}`)));
  });
  const pid = child.pid!;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    child.kill('SIGKILL');
  };
  process.on('exit', stop);
  return {
    pid,
    cpuSeconds: () => processCpuSeconds(pid),
    stop,
  };
}

/** utime + stime of a process (/proc/PID/stat fields 14 and 15, after the parenthesised name). */
export function processCpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : null;
}
