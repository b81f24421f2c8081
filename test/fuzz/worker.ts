/**
 * The fuzzer's child process: runs one case at a time (target.ts) and reports how it ended and the
 * most memory it added. A hang or an allocation blow-up here is caught by the parent (run.ts),
 * which kills and replaces this process. It runs without WebAssembly (the loaders use the
 * JavaScript kernels), so that its address space can be capped tightly.
 */
import { lastPeakExtraMemory, peakExtraMemory } from '../support/memory.js';
import type { Case } from './mutate.js';
import { judge, removeScratch, runCase, type Outcome } from './target.js';

process.on('message', (c: Case) => {
  const { status, detail } = judge(() => peakExtraMemory(() => runCase(c)));
  const outcome: Outcome = { index: c.index, status, detail, extraBytes: lastPeakExtraMemory() };
  process.send!(outcome);
});

process.on('exit', removeScratch);
