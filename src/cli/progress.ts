import cliProgress from '../vendor/cli-progress.js';
import type { BatchLogs, EpochLogs } from '../train/fit.js';
import { thousands } from './output.js';

/** Reports training: a live bar per epoch on a terminal, plain lines otherwise (logs, CI, pipes). */
export interface Progress {
  /** `learningRate`: η of this epoch (after the schedule). */
  epochStart(epoch: number, epochs: number, batches: number, learningRate: number): void;
  batch(logs: BatchLogs): void;
  epochEnd(logs: EpochLogs, epochs: number): void;
  stop(): void;
}

/** Running numbers of the current epoch, shared by both renderings. */
class EpochMeter {
  started = 0;
  samples = 0;
  lossSum = 0;
  reset(): void {
    this.started = performance.now();
    this.samples = 0;
    this.lossSum = 0;
  }
  add(logs: BatchLogs): void {
    this.samples += logs.size;
    this.lossSum += logs.loss * logs.size;
  }
  get samplesPerSec(): number {
    const s = (performance.now() - this.started) / 1000;
    return s > 0 ? this.samples / s : 0;
  }
  get loss(): number {
    return this.samples ? this.lossSum / this.samples : NaN;
  }
}

export function summaryLine(logs: EpochLogs, epochs: number): string {
  const parts = [`epoch ${logs.epoch + 1}/${epochs}`, `loss ${logs.loss.toFixed(4)}`, `accuracy ${logs.accuracy.toFixed(4)}`];
  if (logs.valLoss !== undefined) parts.push(`val loss ${logs.valLoss.toFixed(4)}`, `val accuracy ${logs.valAccuracy!.toFixed(4)}`);
  parts.push(`lr ${formatRate(logs.learningRate)}`, `${logs.seconds.toFixed(1)}s`);
  return parts.join('  ');
}

/** η in 4 significant digits: 0.001, 0.0005, 2.5e-7 (a schedule's rates stay readable). */
export function formatRate(eta: number): string {
  return String(Number(eta.toPrecision(4)));
}

export function createProgress(stream: NodeJS.WriteStream, out: (line: string) => void): Progress {
  return stream.isTTY ? new BarProgress(stream, out) : new LineProgress(out);
}

class BarProgress implements Progress {
  private readonly meter = new EpochMeter();
  private readonly bar: cliProgress.SingleBar;
  constructor(
    stream: NodeJS.WriteStream,
    private readonly out: (line: string) => void,
  ) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'epoch {epoch} {bar} {value}/{total} batches | {rate} samples/s | lr {lr} | loss {loss} | ETA {eta_formatted}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }
  epochStart(epoch: number, epochs: number, batches: number, learningRate: number): void {
    this.meter.reset();
    this.bar.start(batches, 0, { epoch: `${epoch + 1}/${epochs}`, rate: '-', lr: formatRate(learningRate), loss: '-' });
  }
  batch(logs: BatchLogs): void {
    this.meter.add(logs);
    this.bar.update(logs.batch + 1, { rate: thousands(Math.round(this.meter.samplesPerSec)), loss: this.meter.loss.toFixed(4) });
  }
  epochEnd(logs: EpochLogs, epochs: number): void {
    this.bar.stop();
    this.out(summaryLine(logs, epochs));
  }
  stop(): void {
    this.bar.stop();
  }
}

/** Without a terminal: a line at each quarter of an epoch, then the summary. */
class LineProgress implements Progress {
  private readonly meter = new EpochMeter();
  private nextQuarter = 1;
  constructor(private readonly out: (line: string) => void) {}
  epochStart(): void {
    this.meter.reset();
    this.nextQuarter = 1;
  }
  batch(logs: BatchLogs): void {
    this.meter.add(logs);
    const done = (logs.batch + 1) / logs.batches;
    if (done >= this.nextQuarter / 4 && done < 1) {
      this.out(
        `  epoch ${logs.epoch + 1}: ${logs.batch + 1}/${logs.batches} batches, ${Math.round(this.meter.samplesPerSec)} samples/s, loss ${this.meter.loss.toFixed(4)}`,
      );
      while (this.nextQuarter / 4 <= done) this.nextQuarter++;
    }
  }
  epochEnd(logs: EpochLogs, epochs: number): void {
    this.out(summaryLine(logs, epochs));
  }
  stop(): void {}
}
