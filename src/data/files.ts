import { readFileSync } from 'node:fs';
import { DataError } from '../errors.js';

/** Reads a whole file; a missing or unreadable file becomes a DataError naming it instead of a bare ENOENT. */
export function readFileBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${path}: no such file`);
    if (code === 'EISDIR') throw new DataError(`${path} is a directory; expected a file`);
    throw new DataError(`cannot read ${path}: ${(e as Error).message}`);
  }
}
