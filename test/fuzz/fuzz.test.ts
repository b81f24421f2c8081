/**
 * A bounded run of the fuzz suite (npm run fuzz runs as many cases as asked): 2,000 mutated model
 * files, checkpoints, IDX and CSV files, each in a child process with a time limit and a memory
 * watch. Every case must end in a typed BackpropError or a sane load.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from './run.js';

describe('fuzz: 2,000 mutated files (seed 1)', () => {
  it('no crash, no hang, no non-finite model accepted, no case above 64 MB', async () => {
    const summary = await runFuzz({ cases: 2000, seed: 1 });
    expect(summary.failures).toEqual([]);
    expect(summary.ok + summary.typed).toBe(2000);
    // The cases reach both outcomes for every kind: the mutator neither only breaks nor only keeps files valid.
    for (const [kind, [sane, typed]] of Object.entries(summary.perKind)) {
      expect(sane, `${kind}: sane loads`).toBeGreaterThan(20);
      expect(typed, `${kind}: typed errors`).toBeGreaterThan(200);
    }
  });
});
