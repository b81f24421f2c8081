/**
 * Inputs the fuzzer once found failing (test/fuzz/reproducers: the bytes, and a .json saying what
 * they are and how they failed), run as the fuzzer runs them: each must now end in a typed error
 * or a sane load. `npm run fuzz` writes new ones to fuzz-failures/; once fixed, they move here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Case } from './mutate.js';
import { judge, removeScratch, runCase } from './target.js';

const dir = new URL('./reproducers/', import.meta.url);
const names = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('fuzz reproducers', () => {
  it('there are some', () => expect(names.length).toBeGreaterThan(0));

  it.each(names)('%s', (name) => {
    const meta = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Omit<Case, 'bytes'> & { what: string; detail: string };
    const bytes = new Uint8Array(readFileSync(new URL(name.replace(/\.json$/, '.bin'), dir)));
    const { status, detail } = judge(() => runCase({ ...meta, bytes }));
    removeScratch();
    expect([status, detail], `once: ${meta.what}: ${meta.detail.split('\n')[0]}`).toEqual([expect.stringMatching(/^(ok|typed)$/), expect.any(String)]);
  });
});
