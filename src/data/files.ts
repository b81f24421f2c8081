import { readFileSync, statSync } from 'node:fs';
import { DataError, PathError } from '../errors.js';

/**
 * Reads a whole file; a missing or unreadable file becomes a DataError naming it instead of a bare
 * ENOENT. Anything but a regular file is a PathError before it is opened: a FIFO would block the
 * read forever, a device such as /dev/zero would never end.
 */
export function readFileBytes(path: string): Buffer {
  try {
    const entry = statSync(path);
    if (entry.isDirectory()) throw new DataError(`${path} is a directory; expected a file`);
    if (!entry.isFile()) throw new PathError(`cannot read ${path}: it is not a regular file (a device, FIFO or socket)`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof DataError || e instanceof PathError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${path}: no such file`);
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`);
  }
}
