/**
 * Files on disk (Node only). Every write is atomic: readers see either the old file or the complete
 * new one, never a torn mix, even if the process dies or the disk fills up half-way.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readFile, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathError } from '../errors.js';
import type { Network } from '../network.js';
import {
  checkpointFromBytes,
  checkpointToBytes,
  modelFromBytes,
  modelToBytes,
  type CheckpointState,
  type LoadedCheckpoint,
  type LoadedModel,
  type LoadOptions,
  type ModelInfoInput,
} from './model-file.js';
import { toOnnx, type OnnxExportOptions } from './onnx.js';
import { TFJS_WEIGHTS_FILE, toTfjs, type TfjsExportOptions } from './tfjs.js';

/** Bytes to write: one buffer, or chunks produced while writing (a failing producer aborts the write). */
export type FileContent = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Writes `content` to `path` atomically: into a new temporary file in the same directory (so that
 * the rename cannot cross file systems), fsync, rename over the target, then fsync the directory
 * so that the rename itself survives a crash (where the platform allows opening a directory).
 * On any failure the temporary file is removed and an existing file at `path` is left untouched.
 * An existing target keeps its permission bits.
 *
 * Only a regular file is ever replaced: a device, FIFO, socket or directory at `path` is refused
 * with a PathError naming `path`. A symbolic link is followed: the file it points to is replaced
 * (under the same rule, in that file's directory) and the link stays. A link to nothing is refused.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from 'backprop/node';
 *
 * await writeFileAtomic('history.json', JSON.stringify({ epochs: 10 }));   // a reader never sees half a file
 * ```
 */
export async function writeFileAtomic(path: string | URL, content: FileContent): Promise<void> {
  const given = typeof path === 'string' ? path : fileURLToPath(path);
  const target = await writableTarget(given);
  const dir = dirname(target);
  // Hidden, unique per process and call; 'wx' below refuses to reuse an existing name.
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let mode = 0o666;
  try {
    mode = (await stat(target)).mode & 0o777;
  } catch {
    // no existing file: default mode (masked by the umask)
  }
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', mode);
    await writeAll(handle, content);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw systemError(e, given, 'write');
  }
  await syncDirectory(dir);
}

/** The regular file (existing or not) that writing `path` replaces; anything else is a PathError. */
async function writableTarget(path: string): Promise<string> {
  let entry: Stats;
  try {
    entry = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw systemError(e, path, 'write');
  }
  if (!entry.isSymbolicLink()) {
    refuseUnlessFile(entry, path);
    return path;
  }
  let pointed: Stats;
  try {
    pointed = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PathError(`cannot write ${path}: it is a symbolic link to a file that does not exist`);
    throw systemError(e, path, 'write');
  }
  refuseUnlessFile(pointed, path, await readlink(path));
  return realpath(path);
}

function refuseUnlessFile(entry: Stats, path: string, link?: string): void {
  if (entry.isFile()) return;
  const via = link === undefined ? '' : ` (a symbolic link to ${link})`;
  throw new PathError(`cannot write ${path}${via}: it is ${kindOf(entry)}, not a regular file; only regular files are replaced`);
}

function kindOf(entry: Stats): string {
  if (entry.isDirectory()) return 'a directory';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isFIFO()) return 'a FIFO (named pipe)';
  if (entry.isSocket()) return 'a socket';
  return 'a special file';
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
};

/** What a system error code means, in words. */
export function describeSystemError(code: string): string {
  return SYSTEM_ERRORS[code] ?? code;
}

/** A failed system call on `path` as one line naming `path` (not a temporary file); other errors pass unchanged. */
function systemError(e: unknown, path: string, verb: 'read' | 'write'): unknown {
  const sys = e as NodeJS.ErrnoException;
  if (typeof sys.code !== 'string' || typeof sys.syscall !== 'string') return e;
  return new PathError(`cannot ${verb} ${path}: ${describeSystemError(sys.code)}`);
}

async function writeAll(handle: FileHandle, content: FileContent): Promise<void> {
  if (typeof content === 'string') {
    await writeChunk(handle, new TextEncoder().encode(content));
  } else if (content instanceof Uint8Array) {
    await writeChunk(handle, content);
  } else if (Symbol.asyncIterator in content) {
    for await (const chunk of content) await writeChunk(handle, chunk);
  } else {
    for (const chunk of content) await writeChunk(handle, chunk);
  }
}

/** FileHandle.write may write fewer bytes than asked: loop until the chunk is out. */
async function writeChunk(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}

/** fsync of the directory makes the new directory entry durable; not every platform allows it (Windows). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on platforms that cannot fsync a directory: the rename is already done.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Saves a model file (safetensors: the weights as tensors, the architecture as metadata; see
 * {@link modelToBytes}) atomically.
 *
 * @example
 * ```ts
 * import { loadModel, network, saveModel } from 'backprop/node';
 *
 * const net = network([2, { units: 4, activation: 'tanh' }, 1], { seed: 1 });
 * await saveModel('xor.safetensors', net, { task: 'classification' });
 * const { network: again } = await loadModel('xor.safetensors');
 * console.log(again.predict([[0, 1]]).get(0, 0) === net.predict([[0, 1]]).get(0, 0));   // true
 * ```
 */
export async function saveModel(path: string | URL, net: Network, info: ModelInfoInput = {}): Promise<void> {
  await writeFileAtomic(path, modelToBytes(net, info));
}

/**
 * Loads a model from a path (string or file: URL) or from bytes already read.
 *
 * @example
 * ```ts
 * import { applyPreprocessing, loadModel, Matrix, type Preprocessing } from 'backprop/node';
 *
 * const { network, info } = await loadModel('model.safetensors');   // what `backprop train` writes
 * let x = Matrix.fromArray([new Array(network.inputs).fill(0)]);
 * if (info.preprocessing) x = applyPreprocessing(info.preprocessing as Preprocessing, x);   // as in training
 * console.log(network.predict(x).toArray(), info.classNames);
 * ```
 */
export async function loadModel(pathOrBytes: string | URL | Uint8Array, options: LoadOptions = {}): Promise<LoadedModel> {
  const { bytes, name } = await readSource(pathOrBytes, 'model data');
  return modelFromBytes(bytes, name, options);
}

/**
 * Saves a training checkpoint atomically (a crash while saving keeps the previous checkpoint).
 *
 * @example
 * ```ts
 * import { adam, network, saveCheckpoint, toyDataset } from 'backprop/node';
 *
 * const { x, y } = toyDataset('spirals', { samples: 300, seed: 1 });
 * const net = network([2, 32, { units: 2, activation: 'softmax' }], { loss: 'cross-entropy', seed: 1 });
 * const optimizer = adam({ learningRate: 0.01 });
 * await net.fit(x, y, {
 *   epochs: 20, optimizer,
 *   onEpochEnd: (logs, state) => saveCheckpoint('run.ckpt.safetensors', net, {}, { optimizer, epoch: logs.epoch + 1, fitSeed: net.seed, state }),
 * });
 * ```
 */
export async function saveCheckpoint(path: string | URL, net: Network, info: ModelInfoInput, state: CheckpointState): Promise<void> {
  await writeFileAtomic(path, checkpointToBytes(net, info, state));
}

/**
 * Loads a checkpoint from a path or from bytes: the network, a fresh optimizer holding the saved
 * state, and where to resume (see {@link resumeOptions}).
 *
 * @example
 * ```ts
 * import { loadCheckpoint, resumeOptions, toyDataset } from 'backprop/node';
 *
 * const { x, y } = toyDataset('spirals', { samples: 300, seed: 1 });
 * const checkpoint = await loadCheckpoint('run.ckpt.safetensors');
 * await checkpoint.network.fit(x, y, { ...resumeOptions(checkpoint), epochs: 20 });   // the epochs after the saved one
 * ```
 */
export async function loadCheckpoint(pathOrBytes: string | URL | Uint8Array, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const { bytes, name } = await readSource(pathOrBytes, 'checkpoint data');
  return checkpointFromBytes(bytes, name, options);
}

/**
 * Writes a TF.js Layers model into `dir` (created if needed): the weights file first, then
 * model.json, each atomically. A reader therefore never finds a model.json without its weights;
 * a reader racing an overwrite of an existing export may briefly pair the old model.json with the
 * new weights (the file names are fixed by the format), so do not overwrite an export being served.
 *
 * @example
 * ```ts
 * import { network, saveTfjsModel } from 'backprop/node';
 *
 * const { modelJsonPath } = await saveTfjsModel('tfjs-model', network([4, 8, { units: 3, activation: 'softmax' }], { loss: 'cross-entropy' }));
 * console.log(modelJsonPath);   // tfjs-model/model.json: load it with tf.loadLayersModel('file://…')
 * ```
 */
export async function saveTfjsModel(
  dir: string | URL,
  net: Network,
  options: TfjsExportOptions = {},
): Promise<{
  /** Where model.json went. */
  modelJsonPath: string;
  /** Where the weights file went. */
  weightsPath: string;
}> {
  const root = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const { modelJson, weights } = toTfjs(net, options);
  await mkdir(root, { recursive: true });
  const weightsPath = join(root, TFJS_WEIGHTS_FILE);
  const modelJsonPath = join(root, 'model.json');
  await writeFileAtomic(weightsPath, weights);
  await writeFileAtomic(modelJsonPath, JSON.stringify(modelJson));
  return { modelJsonPath, weightsPath };
}

/**
 * The bytes of a model or checkpoint file. Anything but a regular file is refused before it is
 * opened: reading a FIFO would wait forever, a device such as /dev/zero would never end.
 */
async function readSource(source: string | URL | Uint8Array, fallback: string): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: fallback };
  const path = typeof source === 'string' ? source : fileURLToPath(source);
  try {
    const entry = await stat(path);
    if (!entry.isFile()) throw new PathError(`cannot read ${path}: it is ${kindOf(entry)}, not a regular file`);
    const buf = await readFile(path);
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), name: path };
  } catch (e) {
    throw systemError(e, path, 'read');
  }
}

/**
 * Writes the ONNX export of `net` (see {@link toOnnx}) atomically.
 *
 * @example
 * ```ts
 * import { network, saveOnnx } from 'backprop/node';
 *
 * await saveOnnx('model.onnx', network([2, 8, 1], { seed: 1 }));   // onnxruntime: new InferenceSession('model.onnx'), input "input"
 * ```
 */
export async function saveOnnx(path: string | URL, net: Network, options: OnnxExportOptions = {}): Promise<void> {
  await writeFileAtomic(path, toOnnx(net, options));
}
