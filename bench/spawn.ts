import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RESULT_MARKER, type ChildResult, type Job } from './protocol.js';

/** The only Python that has PyTorch here (Debian's python3-torch); the python3 on PATH does not. */
export const PYTHON = '/usr/bin/python3';
const REPO = fileURLToPath(new URL('..', import.meta.url));
/** Hours would mean a hung child, not a slow library: tfjs-cpu's modern epoch takes minutes. */
const CHILD_TIMEOUT_MS = 60 * 60 * 1000;
/** TF.js prints a banner recommending tfjs-node (native code, which this benchmark leaves out on purpose). */
const NOISE = [/^=+$/, /^Hi,? (there|looks like you are running TensorFlow\.js in Node\.js)/, /^\s*$/];

export type ChildOutcome = { ok: true; result: ChildResult } | { ok: false; error: string };

/**
 * Runs one job in its own process (Node with tsx, or Python for PyTorch) and returns its result.
 * Progress lines pass through to our stderr; a failure returns the child's last words.
 */
export function runChild(job: Job): Promise<ChildOutcome> {
  const [command, args, env] =
    job.library === 'pytorch'
      ? [
          PYTHON,
          ['bench/torch_bench.py', JSON.stringify(job)],
          // Before torch loads, so that OpenMP and OpenBLAS size their pools to the job's threads.
          { ...process.env, OMP_NUM_THREADS: String(job.threads), OPENBLAS_NUM_THREADS: String(job.threads), MKL_NUM_THREADS: String(job.threads) },
        ]
      : [process.execPath, ['--import', 'tsx', 'bench/child.ts', JSON.stringify(job)], process.env];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: CHILD_TIMEOUT_MS });
    let stdout = '';
    const lastLines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (NOISE.some((re) => re.test(line))) continue;
        process.stderr.write(`  ${line}\n`);
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
      }
    });
    child.on('error', (e) => resolve({ ok: false, error: `could not start ${command}: ${e.message}` }));
    child.on('close', (code, signal) => {
      if (pending) lastLines.push(pending);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) {
        resolve({ ok: true, result: JSON.parse(line.slice(RESULT_MARKER.length)) as ChildResult });
        return;
      }
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ ok: false, error: `${why}: ${lastLines.slice(-5).join(' | ') || 'no output'}` });
    });
  });
}
