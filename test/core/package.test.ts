import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
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

describe('package.json and .npmrc', () => {
  const root = resolve(src, '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  it('engines asks for the Node that the code needs: process.getBuiltinModule is 20.16+', () => {
    expect(readFileSync(join(src, 'kernels/wasm/threads.ts'), 'utf8')).toContain('getBuiltinModule');
    expect(pkg.engines.node).toBe('>=20.16');
  });

  it('npm reads the project config without a warning (no unknown .npmrc keys)', async () => {
    // as a user's shell runs it: without the npm_* variables of an `npm test` that started this
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const { stdout, stderr } = await promisify(execFile)('npm', ['pkg', 'get', 'name'], { cwd: root, env });
    expect(stdout.trim()).toBe('"backprop"');
    expect(stderr).toBe('');
  });

  it("no dependency's install script runs (onnxruntime-node's would download its CUDA files)", () => {
    const lines = readFileSync(join(root, '.npmrc'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines).toEqual(['ignore-scripts=true']);
  });
});
