/**
 * The API reference (`npm run docs`, TypeDoc over the three entry points of package.json's
 * "exports") builds without a warning, which with typedoc.json's `treatWarningsAsErrors` and
 * `validation.notDocumented` means: every public export and every member of one is documented.
 * Every exported function and class has an `@example`, and every example type-checks against the
 * package's own import paths, so the examples cannot drift from the API.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The parts of TypeDoc's JSON output read here. */
interface Reflection {
  name: string;
  kind: number;
  comment?: { blockTags?: { tag: string; content: { text: string }[] }[] };
  signatures?: Reflection[];
  children?: Reflection[];
}

/** TypeDoc's ReflectionKind values. */
const KIND = { Module: 2, Function: 64, Class: 128, Reference: 4194304 } as const;

interface Built {
  status: number | null;
  output: string;
  dir: string;
  project: Reflection;
}

/** Runs the `docs` script's TypeDoc into a temporary directory (HTML and JSON), not into dist-web. */
function buildReference(): Promise<Built> {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-api-'));
  const cli = join(root, 'node_modules/typedoc/bin/typedoc');
  return new Promise((done) => {
    execFile(process.execPath, [cli, '--out', join(dir, 'html'), '--json', join(dir, 'api.json')], { cwd: root, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const status = error ? ((error as { code?: number }).code ?? 1) : 0;
      const json = join(dir, 'api.json');
      const project = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Reflection) : { name: '', kind: 0 };
      done({ status, output: stdout + stderr, dir, project });
    });
  });
}

/** The exported functions and classes of each entry point (not the re-exports), with their examples. */
function topLevel(project: Reflection): { name: string; examples: string[] }[] {
  return (project.children ?? []).flatMap((mod) =>
    (mod.children ?? [])
      .filter((r) => r.kind === KIND.Function || r.kind === KIND.Class)
      .map((r) => ({
        name: `${mod.name}: ${r.name}`,
        examples: [r, ...(r.signatures ?? [])]
          .flatMap((c) => c.comment?.blockTags ?? [])
          .filter((t) => t.tag === '@example')
          .map((t) => t.content.map((p) => p.text).join('')),
      })),
  );
}

/** Every `@example` of every reflection and member, with where it was found. */
function allExamples(r: Reflection, path: string[] = []): { where: string; code: string }[] {
  const here = [...path, r.name];
  const own = [r, ...(r.signatures ?? [])]
    .flatMap((c) => c.comment?.blockTags ?? [])
    .filter((t) => t.tag === '@example')
    .map((t) => ({ where: here.join('.'), code: fenced(t.content.map((p) => p.text).join('')) }));
  return [...own, ...(r.children ?? []).flatMap((c) => allExamples(c, here))];
}

/** The code of a fenced block (an example is one fenced ts block). */
function fenced(text: string): string {
  const m = /```(?:ts|js|typescript)?\n([\s\S]*?)```/.exec(text);
  return m ? m[1]! : text;
}

/**
 * Type-checks every example as its own ES module, with `backprop`, `backprop/node` and
 * `backprop/export` resolved to this checkout's sources (as package.json's "exports" map them).
 */
function typeCheck(examples: { where: string; code: string }[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-api-examples-'));
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
  mkdirSync(join(dir, 'src'));
  const files = examples.map((e, i) => {
    const file = join(dir, 'src', `example-${i}.ts`);
    // `export {}` makes a module of an example without imports (top-level await needs one)
    writeFileSync(file, `${e.code}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    baseUrl: root,
    paths: {
      backprop: ['src/index.ts'],
      'backprop/node': ['src/node.ts'],
      'backprop/export': ['src/export.ts'],
    },
  });
  const exampleOf = new Map(files.map((f, i) => [f, examples[i]!]));
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && exampleOf.has(d.file.fileName))
    .map((d) => {
      const e = exampleOf.get(d.file!.fileName)!;
      const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
      return `${e.where}, example line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('the API reference', () => {
  let built: Built;
  beforeAll(async () => {
    built = await buildReference();
  }, 120_000);

  it('is configured to fail on any undocumented export', () => {
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string }> };
    expect(config['treatWarningsAsErrors']).toBe(true);
    expect(config['validation']).toMatchObject({ notDocumented: true, notExported: true });
    // one entry point per typed subpath of the package, each the source of that subpath's types
    // (export.ts before node.ts, which re-exports it: a symbol is documented where it is first met)
    const typed = Object.values(pkg.exports).flatMap((e) => (typeof e === 'object' && e.types ? [e.types.replace(/^\.\/dist\/(.*)\.d\.ts$/, 'src/$1.ts')] : []));
    expect([...(config['entryPoints'] as string[])].sort()).toEqual(typed.sort());
  });

  it('ships with the playground: built into dist-web/api by build:web, linked from the page', () => {
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts['docs']).toBe('typedoc');
    // after vite, which empties dist-web
    expect(scripts['build:web']).toMatch(/^vite build .*&& npm run docs$/);
    expect(config['out']).toBe('dist-web/api');
    expect(readFileSync(join(root, 'web/index.html'), 'utf8')).toContain('href="./api/"');
  });

  it('builds with no warning', () => {
    expect(built.output).not.toMatch(/\[warning\]|\[error\]/);
    expect(built.status, built.output).toBe(0);
  });

  it('has a module per entry point and pages for the main API', () => {
    expect((built.project.children ?? []).map((m) => m.name).sort()).toEqual(['backprop', 'backprop/export', 'backprop/node']);
    const html = (page: string) => readFileSync(join(built.dir, 'html', page), 'utf8');
    const networkPage = html('classes/backprop.Network.html');
    for (const method of ['fit', 'predict', 'evaluate', 'explain', 'trainStep']) expect(networkPage).toContain(`id="${method.toLowerCase()}"`);
    expect(html('interfaces/backprop.FitOptions.html')).toContain('batchSize');
    expect(html('functions/backprop.network.html')).toMatch(/<h4[^>]*>Example/);
    expect(existsSync(join(built.dir, 'html/functions/backprop_export.toOnnx.html'))).toBe(true);
    expect(existsSync(join(built.dir, 'html/functions/backprop_node.loadModel.html'))).toBe(true);
  });

  it('gives every exported function and class an example', () => {
    const items = topLevel(built.project);
    expect(items.length).toBeGreaterThan(60);
    expect(items.filter((i) => i.examples.length === 0).map((i) => i.name)).toEqual([]);
  });

  it('has examples that type-check against the package', () => {
    const examples = allExamples(built.project);
    expect(examples.length).toBeGreaterThan(70);
    expect(typeCheck(examples)).toEqual([]);
  }, 120_000);
});
