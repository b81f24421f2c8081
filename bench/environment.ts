import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  cpus: number;
  model: string;
  node: string;
  platform: string;
  arch: string;
  memoryMB: number;
  /** 1-, 5- and 15-minute load averages when the run started: a busy machine shows here first. */
  loadAverageAtStart: number[];
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    memoryMB: Math.round(totalmem() / 2 ** 20),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@jax-js/jax', 'tsx'];

/** Versions of backprop and of the JavaScript peers as installed (Python's come from its child). */
export function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = {
    backprop: readVersion(new URL('../package.json', import.meta.url)),
    node: process.version,
  };
  for (const name of PACKAGES) {
    try {
      out[name] = readVersion(require.resolve(`${name}/package.json`));
    } catch {
      // Not resolvable through "exports": find the package directory from its main file instead.
      try {
        const main = require.resolve(name);
        out[name] = readVersion(`${main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length)}package.json`);
      } catch {
        out[name] = 'not installed';
      }
    }
  }
  return out;
}

function readVersion(path: string | URL): string {
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** The commit measured, and whether the code measured (src, assembly, bench) differs from it. */
export function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src', 'assembly', 'bench', ':(exclude)bench/results'], { encoding: 'utf8' });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}
