import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process and captures what it prints: results (stdout) and info lines (stderr). */
export async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'backprop', ...args], { result: (l) => out.push(l), info: (l) => err.push(l) });
  return { code, out, err };
}
