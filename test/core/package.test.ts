import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every module reachable from an entry by static imports, and every non-relative specifier it names (with the modules that name it). */
function importGraph(entry: string): { modules: Set<string>; external: Set<string>; importers: Map<string, Set<string>> } {
  const modules = new Set<string>();
  const external = new Set<string>();
  const importers = new Map<string, Set<string>>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        external.add(spec);
        importers.set(spec, (importers.get(spec) ?? new Set()).add(file));
        continue;
      }
      const path = join(dirname(file), spec);
      // sources are .ts; generated modules (the wasm binary) are .js
      visit(existsSync(path.replace(/\.js$/, '.ts')) ? path.replace(/\.js$/, '.ts') : path);
    }
  };
  visit(join(src, entry));
  return { modules, external, importers };
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

  it('every entry and the CLI reach third-party code only through src/vendor, which the build bundles', () => {
    for (const entry of ['index.ts', 'export.ts', 'node.ts', 'cli/main.ts']) {
      const { importers } = importGraph(entry);
      for (const [spec, files] of importers) {
        if (spec.startsWith('node:')) continue;
        for (const file of files) expect(dirname(file), `${entry}: ${spec} imported by ${file}`).toBe(join(src, 'vendor'));
      }
    }
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

  it('declares no runtime dependency and no install hook: a consumer installs backprop alone, and quietly', () => {
    for (const key of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) expect(pkg[key], key).toBeUndefined();
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts[hook], hook).toBeUndefined();
    // what src/vendor names is a dev dependency, bundled into dist/vendor by the build
    const vendored = ['commander', 'cli-progress', 'csv-parse', 'protobufjs', 'mnist'];
    for (const name of vendored) expect(pkg.devDependencies[name], name).toBeDefined();
    expect(pkg.scripts.build).toContain('build:vendor');
    expect(pkg.scripts.build).toContain('build:digits');
  });

  it("no dependency's install script runs (onnxruntime-node's would download its CUDA files)", () => {
    const lines = readFileSync(join(root, '.npmrc'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines).toEqual(['ignore-scripts=true']);
  });
});
