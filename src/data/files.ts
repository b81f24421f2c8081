import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { DataError, PathError } from '../errors.js';

/**
 * Reads a whole file; a missing or unreadable file becomes a DataError naming it instead of a bare
 * ENOENT. Anything but a regular file is a PathError before it is opened: a FIFO would block the
 * read forever, a device such as /dev/zero would never end.
 */
export function readFileBytes(path: string): Buffer {
  return named(path, () => {
    regularFileSize(path);
    return readFileSync(path);
  });
}

/** The size of a regular file, with readFileBytes's errors for anything else. */
export function regularFileSize(path: string): number {
  return named(path, () => {
    const entry = statSync(path);
    if (entry.isDirectory()) throw new DataError(`${path} is a directory; expected a file`);
    if (!entry.isFile()) throw new PathError(`cannot read ${path}: it is not a regular file (a device, FIFO or socket)`);
    return entry.size;
  });
}

/** The first `n` bytes of a file (fewer if it is shorter), with readFileBytes's errors. */
export function readFileHead(path: string, n: number): Uint8Array {
  return named(path, () => {
    const fd = openSync(path, 'r');
    try {
      const head = new Uint8Array(n);
      return head.subarray(0, readSync(fd, head, 0, n, 0));
    } finally {
      closeSync(fd);
    }
  });
}

/** Opens a file for reading (the caller closes it), with readFileBytes's errors. */
export function openFile(path: string): number {
  return named(path, () => openSync(path, 'r'));
}

/** Runs `read`, turning a system error into a DataError that names the file. */
function named<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof DataError || e instanceof PathError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${path}: no such file`);
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`);
  }
}
