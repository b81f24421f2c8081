/**
 * The code blocks of the Markdown docs, as the docs runner sees them (documented in
 * docs/contributing-docs.md):
 *
 * - ```js, ```ts, ```bash and ```sh blocks run, in order, one file's blocks in one fresh
 *   directory (so a bash block can use the model a previous block wrote);
 * - `<!-- not run: reason -->` on the line before a block keeps it from running (the reason is
 *   required);
 * - a line ending in `// → text` (js/ts) or `# → text` (bash) states the line it prints: when a
 *   block has such lines, its standard output must be exactly those lines, in order;
 * - an ```output block right after a code block is its whole expected standard output.
 */
import { readFileSync } from 'node:fs';

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  lang: 'js' | 'ts' | 'bash';
  code: string;
  /** why it is not run, from the marker */
  skip?: string;
  /** the exact standard output, from `// →` lines or an ```output block */
  expected?: string[];
}

const RUNNABLE: Record<string, CodeBlock['lang']> = { js: 'js', javascript: 'js', ts: 'ts', typescript: 'ts', bash: 'bash', sh: 'bash' };
const SKIP = /^<!--\s*not run:\s*(.*?)\s*-->$/;

export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let last: CodeBlock | null = null;
  for (let i = 0; i < lines.length; i++) {
    // (a backtick fence's info string has no backticks: "```` ```js ```` blocks" is inline code)
    const open = /^(\s*)(`{3,})([^`\s]*)[^`]*$/.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== '') last = null;
      continue;
    }
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith(`${indent}${fence}`); j++) body.push(lines[j]!.slice(indent!.length));
    const lang = RUNNABLE[info!];
    if (info === 'output') {
      if (!last) throw new Error(`${file}:${i + 1}: an output block must follow a code block`);
      if (last.expected) throw new Error(`${file}:${i + 1}: the block before states its output twice`);
      last.expected = body;
      last = null;
    } else if (lang) {
      const marker = SKIP.exec(lines[i - 1]?.trim() ?? '');
      if (marker && marker[1] === '') throw new Error(`${file}:${i}: "not run" needs a reason`);
      const arrow = lang === 'bash' ? /\s#\s*→\s?(.*)$/ : /\/\/\s*→\s?(.*)$/;
      const arrows = body.map((l) => arrow.exec(l)?.[1]).filter((l): l is string => l !== undefined);
      const block: CodeBlock = { file, line: i + 1, lang, code: body.join('\n') };
      if (marker) block.skip = marker[1]!;
      if (arrows.length) block.expected = arrows;
      blocks.push(block);
      last = block;
    } else {
      last = null;
    }
    i = j;
  }
  return blocks;
}
