/**
 * The fuzzer's parent: makes the cases, runs them one by one in a child process (worker.ts) and
 * judges each: a typed BackpropError or a sane load passes; an untyped error, an insane result, a
 * case running past the time limit, a child that dies, or a case adding more than the memory bound
 * fails. The child's resident memory is also watched from outside, so that a blow-up is stopped
 * before it takes the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpus } from './corpus.js';
import { makeCase, type Case } from './mutate.js';
import type { Outcome } from './target.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** A case running longer than this is a hang (default 5 s). */
  timeoutMs?: number;
  /** A case adding more memory than this fails (default 64 MB). */
  memoryLimitBytes?: number;
  /** Where each failing input is written, with a .json describing it (default: not written). */
  failuresDir?: string;
  onProgress?(done: number, summary: FuzzSummary): void;
}

export interface Failure {
  index: number;
  kind: Case['kind'];
  origin: string;
  mutations: string[];
  what: 'crash' | 'hang' | 'insane' | 'memory' | 'died';
  detail: string;
}

export interface FuzzSummary {
  cases: number;
  seed: number;
  /** Loads that succeeded with a sane result, and typed errors. */
  ok: number;
  typed: number;
  crashes: number;
  hangs: number;
  nonFiniteAccepted: number;
  /** Other loads whose result is not sane (predictions of the wrong shape, data sets that disagree with themselves...). */
  insane: number;
  overMemory: number;
  maxExtraBytes: number;
  /** Per kind: [sane loads, typed errors]. */
  perKind: Record<Case['kind'], [number, number]>;
  failures: Failure[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** The child is killed when its resident memory passes this, whatever the case. */
const RSS_CEILING = 1024 * 1024 * 1024;
const RSS_POLL_MS = 50;
/**
 * The child's address space is capped too (ulimit -v, in KiB), so that an allocation of gigabytes
 * fails inside the child, where it is reported, instead of between two polls of its memory.
 */
const ADDRESS_SPACE_KIB = 4 * 1024 * 1024;

class Worker {
  private child: ChildProcess;
  private rssWatch: NodeJS.Timeout;
  overRss = false;

  constructor() {
    const node = [process.execPath, '--import', 'tsx', '--max-old-space-size=1024', '--no-expose-wasm', WORKER];
    const [command, args] = process.platform === 'win32' ? [node[0]!, node.slice(1)] : ['/bin/sh', ['-c', `ulimit -v ${ADDRESS_SPACE_KIB} && exec "$@"`, 'sh', ...node]];
    this.child = spawn(command, args, { cwd: ROOT, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr!.resume();
    this.rssWatch = setInterval(() => {
      if (rss(this.child.pid) > RSS_CEILING) {
        this.overRss = true;
        this.child.kill('SIGKILL');
      }
    }, RSS_POLL_MS);
  }

  /** The case's outcome, or why there is none: 'hang' after the time limit, 'died' when the child ended. */
  run(c: Case, timeoutMs: number): Promise<Outcome | 'hang' | 'died'> {
    return new Promise((resolve) => {
      const done = (r: Outcome | 'hang' | 'died'): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (m: Outcome): void => done(m);
      const onExit = (): void => done('died');
      const timer = setTimeout(() => done('hang'), timeoutMs);
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(c);
    });
  }

  stop(): void {
    clearInterval(this.rssWatch);
    this.child.kill('SIGKILL');
  }
}

function rss(pid: number | undefined): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const memoryLimit = options.memoryLimitBytes ?? 64 * 1024 * 1024;
  const seeds = await corpus();
  const summary: FuzzSummary = {
    cases: 0,
    seed: options.seed,
    ok: 0,
    typed: 0,
    crashes: 0,
    hangs: 0,
    nonFiniteAccepted: 0,
    insane: 0,
    overMemory: 0,
    maxExtraBytes: 0,
    perKind: { model: [0, 0], checkpoint: [0, 0], idx: [0, 0], csv: [0, 0] },
    failures: [],
  };
  if (options.failuresDir) mkdirSync(options.failuresDir, { recursive: true });
  let worker = new Worker();
  try {
    for (let i = 0; i < options.cases; i++) {
      const c = makeCase(options.seed, i, seeds);
      const result = await worker.run(c, timeoutMs);
      summary.cases++;
      let failure: Pick<Failure, 'what' | 'detail'> | undefined;
      if (result === 'hang' || result === 'died') {
        const what = result === 'died' && worker.overRss ? 'memory' : result;
        failure = { what, detail: what === 'hang' ? `no answer within ${timeoutMs} ms` : what === 'memory' ? `resident memory passed ${RSS_CEILING} bytes` : 'the worker process ended' };
        if (what === 'hang') summary.hangs++;
        else if (what === 'memory') summary.overMemory++;
        else summary.crashes++;
        worker.stop();
        worker = new Worker();
      } else {
        summary.maxExtraBytes = Math.max(summary.maxExtraBytes, result.extraBytes);
        if (result.status === 'ok' || result.status === 'typed') {
          summary[result.status]++;
          summary.perKind[c.kind][result.status === 'ok' ? 0 : 1]++;
        }
        if (result.status === 'crash') {
          summary.crashes++;
          failure = { what: 'crash', detail: result.detail };
        } else if (result.status === 'insane') {
          if (/non-finite (model|optimizer state) accepted/.test(result.detail)) summary.nonFiniteAccepted++;
          else summary.insane++;
          failure = { what: 'insane', detail: result.detail };
        } else if (result.extraBytes > memoryLimit) {
          summary.overMemory++;
          failure = { what: 'memory', detail: `${result.extraBytes} bytes of extra memory` };
        }
      }
      if (failure) {
        const f: Failure = { index: c.index, kind: c.kind, origin: c.origin, mutations: c.mutations, ...failure };
        summary.failures.push(f);
        if (options.failuresDir) {
          const base = join(options.failuresDir, `${options.seed}-${c.index}-${c.kind}-${f.what}`);
          writeFileSync(`${base}.bin`, c.bytes);
          writeFileSync(`${base}.json`, JSON.stringify({ ...f, seed: options.seed, variant: c.variant }, null, 2));
        }
      }
      if (options.onProgress && (i + 1) % 1000 === 0) options.onProgress(i + 1, summary);
    }
  } finally {
    worker.stop();
  }
  return summary;
}
