/**
 * What the benchmark's parent process sends to each child (a Job, as one JSON argument) and what
 * the child prints back (one line: RESULT_MARKER + JSON). The Python child (torch_bench.py) speaks
 * the same protocol, so keep the two in step.
 */

import type { NetSpec } from './nets.js';

export const NETS = ['tiny', 'seed', 'modern', 'modern-toolkit', 'bag-of-words'] as const;
export type NetName = (typeof NETS)[number];

/** A net of the sweep (bench/sweep.ts): two hidden layers of `width` units, trained in batches of `batch`. */
export type SweepNetName = `sweep-${number}x${number}`;

export const LIBRARIES = ['backprop', 'tfjs-cpu', 'tfjs-wasm', 'jax-js', 'pytorch', 'onnxruntime'] as const;
export type LibraryName = (typeof LIBRARIES)[number];

/** A child prints exactly one line starting with this; everything else it prints is progress or noise. */
export const RESULT_MARKER = '@@bench-result ';

/** How throughput is measured; every field is the same for every library in one run. */
export interface Timing {
  /** Warm-up before any timed segment: at least this long and at least warmupSteps calls (JIT, caches, lazy init). */
  warmupSeconds: number;
  warmupSteps: number;
  /** Timed segments; the reported rate is their median. */
  segments: number;
  /** Target length of one segment; the number of calls per segment is calibrated from the warm-up's rate. */
  segmentSeconds: number;
  /** Fewest calls in a segment, so that one slow call cannot be a whole segment. */
  minSegmentSteps: number;
  /** Batch-1 latency: single-sample predict calls timed one by one for about this long (after the warm-up), their median reported. */
  latencySeconds: number;
}

export interface Job {
  net: NetName | SweepNetName;
  /** The net itself (from nets.ts), so that the Python child need not repeat the definitions. */
  spec: NetSpec;
  library: LibraryName;
  /** 'js' | 'wasm' for backprop; the peer's backend otherwise ('cpu', 'wasm'). */
  backend: string;
  /** Threads asked for (the child reports the threads actually used). */
  threads: number;
  /**
   * How the first layer takes the input, forced: 'dense' (backprop: sparseInput false) or 'sparse'
   * (backprop: sparseInput true; PyTorch: torch.sparse.mm on sparse batches). Absent: the library's
   * default (backprop: by the training set's density; PyTorch: dense tensors).
   */
  input?: 'dense' | 'sparse';
  epochs: number;
  /** Seed of the initial weights (all libraries start from the same ones) and of the batch order. */
  seed: number;
  /** Use only the first trainSamples / testSamples samples (the quick run); null: all of them. */
  trainSamples: number | null;
  testSamples: number | null;
  /** Samples per predict call when measuring inference. */
  inferBatch: number;
  timing: Timing;
  /** The sweep's jobs: training throughput only (no accuracy run, no inference); the child returns a TrainResult. */
  trainOnly?: boolean;
  /**
   * --contended: the command of a CPU-bound process the child runs beside its measurement (from
   * before the warm-up to after the inference timing; contention.ts), or null for none.
   */
  load: string[] | null;
  /** For the Python child: float32 initial weights, W(1), b(1), W(2), ... (W units × inputs, row-major). */
  initialWeightsPath?: string;
  /** For the Python child, when the data is not Fashion-MNIST: float32 train x, train y, test x, test y. */
  rawDataPath?: string;
  /** Samples in each split of rawDataPath (before trainSamples / testSamples apply). */
  rawDataCounts?: { train: number; test: number };
  /** For the Python child: int32 sample order of each epoch of the accuracy run (epochs × train samples). */
  epochOrderPath?: string;
  /** For the Python child: where the Fashion-MNIST IDX files are. */
  fashionMnistDir?: string;
}

/** One timed measurement: the median rate and its spread, so a reader can judge the noise. */
export interface RateStats {
  /** Median over the segments, samples per second. */
  median: number;
  min: number;
  max: number;
  segments: number;
  /** Samples processed in each segment. */
  samplesPerSegment: number;
}

/** Batch-1 latency: the time of one predict call on one sample, output read back, over many calls. */
export interface LatencyStats {
  /** Median over the calls, µs. */
  median: number;
  /** 10th and 90th percentiles, µs: the spread. */
  p10: number;
  p90: number;
  calls: number;
}

/** CPU time that other processes used while we measured: a busy machine makes every number suspect. */
export interface Interference {
  /** Average number of cores busy with other processes during the timed segments (0 on a quiet machine). */
  otherCores: number;
  /** Average number of cores this process used (worker threads included). */
  ownCores: number;
  /** --contended: average number of cores the busy process took (not counted in otherCores). */
  loadCores?: number;
}

export interface ChildResult {
  net: NetName;
  library: LibraryName;
  backend: string;
  threads: number;
  epochs: number;
  /** null for an inference engine (onnxruntime), which does not train. */
  trainSamplesPerSec: number | null;
  inferSamplesPerSec: number;
  /** Median µs of a single-sample predict call (null: not measured). */
  latencyMicros: number | null;
  testAccuracy: number;
  peakRssMB: number;
  /** Details behind the headline numbers. */
  train: RateStats | null;
  infer: RateStats;
  latency: LatencyStats | null;
  /** Samples per second over the whole accuracy run (all epochs, wall clock, everything included); null for an inference engine. */
  epochSamplesPerSec: number | null;
  trainSamples: number;
  testSamples: number;
  /** RSS right after loading the data set, before the library does anything: the data's share of peakRssMB. */
  rssAfterDataMB: number;
  interference: Interference | null;
  /** Whether a busy process ran beside this measurement (--contended). */
  contended: boolean;
  /** How this library's loop is written (one line). */
  loop: string;
  /** Library versions the child saw (e.g. torch's, only known inside Python). */
  versions?: Record<string, string>;
}

/** What a trainOnly job's child returns: the training throughput and the facts around it. */
export type TrainResult = Pick<
  ChildResult,
  'library' | 'backend' | 'threads' | 'trainSamplesPerSec' | 'train' | 'peakRssMB' | 'rssAfterDataMB' | 'trainSamples' | 'interference' | 'loop' | 'versions'
> & { net: Job['net'] };
