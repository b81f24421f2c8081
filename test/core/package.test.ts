import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every module reachable from an entry by static imports, and every non-relative specifier it names. */
function importGraph(entry: string): { modules: Set<string>; external: Set<string> } {
  const modules = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        external.add(spec);
        continue;
      }
      const path = join(dirname(file), spec);
      // sources are .ts; generated modules (the wasm binary) are .js
      visit(existsSync(path.replace(/\.js$/, '.ts')) ? path.replace(/\.js$/, '.ts') : path);
    }
  };
  visit(join(src, entry));
  return { modules, external };
}

describe('the package entries', () => {
  it('the core entry has no runtime dependency and no Node-only import (it runs in browsers)', () => {
    const { modules, external } = importGraph('index.ts');
    expect(modules.size).toBeGreaterThan(10);
    expect([...external]).toEqual([]);
  });

  it('the export entry needs protobufjs only', () => {
    expect([...importGraph('export.ts').external].every((s) => s.startsWith('protobufjs'))).toBe(true);
  });
});
