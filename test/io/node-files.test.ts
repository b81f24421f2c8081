import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, chmod, writeFile, lstat, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adam, FormatError, PathError } from '../../src/index.js';
import { modelToBytes, type JsonObject } from '../../src/io/model-file.js';
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel, saveOnnx, saveTfjsModel, writeFileAtomic } from '../../src/io/node-files.js';
import { ARCHITECTURES, bits, makeNetwork, randomBatch } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backprop-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const OLD = new TextEncoder().encode('the previous, valid file');

describe('writeFileAtomic', () => {
  it('writes bytes, strings and chunks, leaving no temporary file', async () => {
    const path = join(dir, 'out.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
    await writeFileAtomic(path, 'héllo');
    expect(await readFile(path, 'utf8')).toBe('héllo');
    await writeFileAtomic(pathToFileURL(path), [new Uint8Array([4]), new Uint8Array([5, 6])]);
    expect(Array.from(await readFile(path))).toEqual([4, 5, 6]);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('keeps the permission bits of the file it replaces', async () => {
    const path = join(dir, 'secret.bin');
    await writeFile(path, OLD);
    await chmod(path, 0o600);
    await writeFileAtomic(path, new Uint8Array([1]));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('while writing, the target still holds the old content and the new bytes go to a temp file beside it', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, OLD);
    const seen: { files: string[]; target: string }[] = [];
    async function* chunks() {
      yield new Uint8Array([1, 2]);
      seen.push({ files: (await readdir(dir)).sort(), target: await readFile(path, 'utf8') });
      yield new Uint8Array([3]);
    }
    await writeFileAtomic(path, chunks());
    expect(seen[0]!.target).toBe('the previous, valid file');
    expect(seen[0]!.files).toHaveLength(2);
    expect(seen[0]!.files[0]).toMatch(/^\.model\.safetensors\.\d+\.[0-9a-f]+\.tmp$/);
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('a failure half-way through leaves the existing file intact and removes the temp file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, OLD);
    function* failing() {
      yield new Uint8Array(1000).fill(7);
      throw new Error('disk full (simulated)');
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow('disk full (simulated)');
    expect(await readFile(path)).toEqual(Buffer.from(OLD));
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('a directory at the target is refused with a one-line error naming the path given, not the temp file', async () => {
    const target = join(dir, 'taken');
    await mkdir(target);
    await writeFile(join(target, 'inside.txt'), 'keep me');
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow(PathError);
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow(`cannot write ${target}: it is a directory, not a regular file; only regular files are replaced`);
    expect((await readdir(dir)).sort()).toEqual(['taken']);
    expect(await readFile(join(target, 'inside.txt'), 'utf8')).toBe('keep me');
  });

  it('fails cleanly when the directory does not exist, naming the path given', async () => {
    const path = join(dir, 'missing', 'x.bin');
    await expect(writeFileAtomic(path, new Uint8Array([1]))).rejects.toThrow(new PathError(`cannot write ${path}: no such file or directory`));
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a character device (/dev/null), leaving it a device', async () => {
    await expect(writeFileAtomic('/dev/null', 'x')).rejects.toThrow('cannot write /dev/null: it is a character device, not a regular file');
    expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO without opening it (no hang), leaving it a FIFO', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(writeFileAtomic(fifo, 'x')).rejects.toThrow(`cannot write ${fifo}: it is a FIFO (named pipe), not a regular file`);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    await expect(loadModel(fifo)).rejects.toThrow(`cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`);
  });

  it('refuses a socket', async () => {
    const path = join(dir, 'sock');
    const server = createServer().listen(path);
    await new Promise((ok) => server.once('listening', ok));
    try {
      await expect(writeFileAtomic(path, 'x')).rejects.toThrow(`cannot write ${path}: it is a socket`);
    } finally {
      server.close();
    }
  });

  it('a symbolic link is followed: the file it points to is replaced atomically and the link stays', async () => {
    const real = join(dir, 'runs', 'run-5.safetensors');
    await mkdir(join(dir, 'runs'));
    await writeFile(real, OLD);
    const link = join(dir, 'latest.safetensors');
    await symlink(join('runs', 'run-5.safetensors'), link);
    await writeFileAtomic(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe('new');
    expect((await readdir(join(dir, 'runs'))).sort()).toEqual(['run-5.safetensors']);
  });

  it('a symbolic link to a device, to standard output or to nothing is refused, naming the link', async () => {
    const toNull = join(dir, 'null');
    await symlink('/dev/null', toNull);
    await expect(writeFileAtomic(toNull, 'x')).rejects.toThrow(`cannot write ${toNull} (a symbolic link to /dev/null): it is a character device`);
    const toStdout = join(dir, 'stdout');
    await symlink('/proc/self/fd/1', toStdout);
    await expect(writeFileAtomic(toStdout, 'x')).rejects.toThrow(new RegExp(`^cannot write ${toStdout} \\(a symbolic link to .*\\): it is (a character device|a FIFO|a socket)`));
    const dangling = join(dir, 'dangling');
    await symlink(join(dir, 'nowhere'), dangling);
    await expect(writeFileAtomic(dangling, 'x')).rejects.toThrow(`cannot write ${dangling}: it is a symbolic link to a file that does not exist`);
    expect((await lstat(dangling)).isSymbolicLink()).toBe(true);
  });

  it('loading refuses a device instead of reading it forever', async () => {
    await expect(loadModel('/dev/zero')).rejects.toThrow(new PathError('cannot read /dev/zero: it is a character device, not a regular file'));
  });
});

describe('saveModel / loadModel', () => {
  it('round-trips through a file, a file: URL and bytes with bit-identical predictions', async () => {
    const net = makeNetwork(ARCHITECTURES[1]!);
    const path = join(dir, 'model.safetensors');
    await saveModel(path, net, { classNames: ['a', 'b', 'c'], createdAt: 'now' });
    const x = randomBatch(20, net.inputs);
    const expected = bits(net.predict(x).data);
    for (const source of [path, pathToFileURL(path), new Uint8Array(await readFile(path))]) {
      const { network, info } = await loadModel(source);
      expect(bits(network.predict(x).data)).toEqual(expected);
      expect(info.classNames).toEqual(['a', 'b', 'c']);
    }
    expect(await readFile(path)).toEqual(Buffer.from(modelToBytes(net, { classNames: ['a', 'b', 'c'], createdAt: 'now' })));
  });

  it('a model whose serialisation throws leaves the existing file intact and no temp file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, OLD);
    const net = makeNetwork(ARCHITECTURES[0]!);
    const unserialisable = { extra: { big: 10n } as unknown as JsonObject }; // JSON.stringify throws on BigInt
    await expect(saveModel(path, net, unserialisable)).rejects.toThrow(/BigInt/);
    expect(await readFile(path)).toEqual(Buffer.from(OLD));
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('names the file in format errors', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'not a model');
    const error = await loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toContain(path);
  });

  it('saves and loads checkpoints', async () => {
    const net = makeNetwork(ARCHITECTURES[0]!);
    const opt = adam();
    await net.fit([[0, 1], [1, 0]], [1, 0], { optimizer: opt, epochs: 2 });
    const path = join(dir, 'ckpt.safetensors');
    await saveCheckpoint(path, net, {}, { optimizer: opt, epoch: 2, fitSeed: net.seed });
    const back = await loadCheckpoint(path);
    expect(back.epoch).toBe(2);
    expect(back.optimizer.state().t).toBe(2);
  });
});

describe('export writers', () => {
  it('saveOnnx and saveTfjsModel write complete files and no temp files', async () => {
    const net = makeNetwork(ARCHITECTURES[2]!);
    await saveOnnx(join(dir, 'model.onnx'), net);
    const out = join(dir, 'tfjs', 'nested');
    const paths = await saveTfjsModel(out, net);
    expect(paths).toEqual({ modelJsonPath: join(out, 'model.json'), weightsPath: join(out, 'group1-shard1of1.bin') });
    expect((await readdir(dir)).sort()).toEqual(['model.onnx', 'tfjs']);
    expect((await readdir(out)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(await readFile(paths.modelJsonPath, 'utf8'));
    expect(json.format).toBe('layers-model');
    // 3·7 + 7 + 7·2 + 2 float32 values
    expect((await stat(paths.weightsPath)).size).toBe((21 + 7 + 14 + 2) * 4);
    expect((await stat(join(dir, 'model.onnx'))).size).toBeGreaterThan(0);
  });
});
