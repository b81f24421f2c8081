/**
 * Child process of the benchmark: runs one Job (given as one JSON argument) and prints one result
 * line, RESULT_MARKER + JSON, on stdout. Progress goes to stderr. One process per measurement, so
 * that its peak RSS belongs to one library and no JIT or allocator state leaks between libraries.
 */
import { runJob } from './job.js';
import { RESULT_MARKER, type Job } from './protocol.js';

const job = JSON.parse(process.argv[2] || 'null') as Job | null;
if (!job) {
  console.error('usage: node --import tsx bench/child.ts JOB_JSON (started by bench/run.ts)');
  process.exit(2);
}
const tag = `[${job.net} ${job.library} ${job.backend}×${job.threads}]`;
try {
  const result = await runJob(job, (message) => console.error(`${tag} ${message}`));
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
  // Worker threads or library timers must not keep the process (and the parent) waiting.
  process.exit(0);
} catch (e) {
  console.error(`${tag} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
}
