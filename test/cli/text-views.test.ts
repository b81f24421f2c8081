/** The text views of eval and explain: the confusion matrix's columns and explain --lr's update. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-views-'));
const digits = join(dir, 'digits.safetensors');
const named = join(dir, 'named.safetensors');
const csv = join(dir, 'named.csv');

beforeAll(async () => {
  expect((await run('train', '--data', 'digits', '--limit', '300', '--layers', '16', '--epochs', '1', '--out', digits)).code).toBe(0);
  const rows = ['a,b,kind'];
  for (let i = 0; i < 60; i++) rows.push(`${i % 3},${(i * 7) % 5},${['setosa', 'versicolor', 'a-very-long-class-name'][i % 3]}`);
  writeFileSync(csv, rows.join('\n') + '\n');
  expect((await run('train', '--data', csv, '--layers', '4', '--epochs', '2', '--out', named)).code).toBe(0);
});

/** The confusion matrix's lines: its header and one line per class. */
function confusionLines(out: string[]): { header: string; rows: string[] } {
  const at = out.findIndex((l) => l.startsWith('confusion matrix'));
  const k = out.length - at - 2;
  return { header: out[at + 1]!, rows: out.slice(at + 2, at + 2 + k) };
}

/** The column where each number of a line ends. */
function ends(line: string): number[] {
  return [...line.matchAll(/\d+/g)].map((m) => m.index! + m[0].length);
}

describe('eval: the confusion matrix', () => {
  for (const [name, args] of [
    ['digits (unnamed classes)', ['--model', digits, '--data', 'digits', '--limit', '200']],
    ['a CSV with named classes', ['--model', named, '--data', csv]],
  ] as const) {
    it(`${name}: each header label ends where its column's counts end`, async () => {
      const r = await run('eval', ...args);
      expect(r.code).toBe(0);
      const { header, rows } = confusionLines(r.out);
      const columns = ends(header);
      expect(columns.length).toBe(rows.length);
      for (const row of rows) {
        // a row: its class number, then one count per column (class names hold no digits here)
        expect(ends(row).slice(1)).toEqual(columns);
      }
    });
  }
});

describe('explain --lr', () => {
  it('text mode shows the update W − η·∂C/∂W of every layer, as the JSON holds it', async () => {
    const text = await run('explain', '--model', digits, '--data', 'digits', '--index', '2', '--lr', '0.5');
    expect(text.code).toBe(0);
    const json = JSON.parse((await run('explain', '--model', digits, '--data', 'digits', '--index', '2', '--lr', '0.5', '--json')).out[0]!);
    const at = text.out.findIndex((l) => l.startsWith('Update'));
    const update = text.out.slice(at);
    expect(update[1]).toBe('  η = 0.5000');
    for (const name of ['W(1)', 'b(1)', 'W(2)', 'b(2)']) expect(update.some((l) => l.startsWith(`  ${name} `))).toBe(true);
    // the largest step of b(2) is η times the largest |∂C/∂b(2)|, checked against the JSON's numbers
    const out = json.layers[1];
    const db = (out.db as number[][]).flat();
    const k = db.reduce((best, v, i) => (Math.abs(v) > Math.abs(db[best]!) ? i : best), 0);
    const b = (out.b as number[][]).flat();
    const line = update[update.findIndex((l) => l.startsWith('  b(2) ')) + 1]!;
    expect(line).toContain(`largest step [${k}] `);
    const step = Number(line.match(/\(([-\d.e+]+)\)$/)![1]);
    expect(step).toBeCloseTo(-0.5 * db[k]!, 3);
    expect(b[k]! - 0.5 * db[k]!).toBeCloseTo((out.bNext as number[][]).flat()[k]!, 6);
  });

  it('without --lr there is no update to show', async () => {
    const text = await run('explain', '--model', digits, '--data', 'digits', '--index', '2');
    expect(text.out.some((l) => l.startsWith('  η ='))).toBe(false);
    expect(text.out.some((l) => l.startsWith('  W(1) '))).toBe(false);
  });
});

