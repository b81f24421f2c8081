import { Random } from '../src/random.js';

/**
 * Hands out mini-batches of a training set in a seeded random order, reshuffled at every epoch, as
 * every library's loop does. All JavaScript libraries draw their batches from this, so they see
 * the same samples in the same order.
 */
export class BatchOrder {
  /** The current epoch's sample order; a batch is order[start .. start + size). */
  readonly order: Int32Array;
  private readonly random: Random;
  private next = 0;
  /** Completed passes over the data. */
  epochs = 0;

  constructor(
    readonly count: number,
    readonly batchSize: number,
    seed: number,
  ) {
    this.order = new Int32Array(count);
    this.random = new Random(seed);
    this.reshuffle();
  }

  /** Batches in one epoch, the last one possibly smaller. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.count / this.batchSize);
  }

  /**
   * The next batch: its start in `order` and its size. With `fullOnly`, a short tail of the epoch
   * is skipped so that every batch has the same shape (the throughput phase: a new shape would
   * make jax-js compile inside a timed segment); the accuracy run keeps it, as fit() does.
   */
  take(fullOnly: boolean): { start: number; size: number } {
    const left = this.count - this.next;
    if (left === 0 || (fullOnly && left < this.batchSize)) this.newEpoch();
    const start = this.next;
    const size = Math.min(this.batchSize, this.count - start);
    this.next += size;
    return { start, size };
  }

  /** The next epoch: a fresh shuffle. */
  private newEpoch(): void {
    this.epochs++;
    this.reshuffle();
  }

  private reshuffle(): void {
    for (let i = 0; i < this.count; i++) this.order[i] = i;
    this.random.shuffle(this.order);
    this.next = 0;
  }
}

/**
 * The sample order of each of the first `epochs` epochs, exactly as a BatchOrder with this seed
 * hands them out (the batch size does not change the shuffles): for the Python child, which
 * then trains on the same batches as the JavaScript libraries.
 */
export function epochOrders(count: number, seed: number, epochs: number): Int32Array {
  const batches = new BatchOrder(count, count, seed);
  const out = new Int32Array(count * epochs);
  for (let e = 0; e < epochs; e++) {
    batches.take(false);
    out.set(batches.order, e * count);
  }
  return out;
}
