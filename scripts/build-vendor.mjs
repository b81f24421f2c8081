// Bundles each third-party module that src/vendor names into dist/vendor/<name>.js (replacing the
// re-export tsc emitted there), so that the published package has no runtime dependency: the
// CLI's parser and progress bar, the CSV reader and the protobuf codec ship inside it. Node's
// built-in modules stay imports. The licences of everything bundled go to dist/vendor/LICENSES.txt.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const names = readdirSync(join(root, 'src/vendor')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
const builtin = new Set(builtinModules);
const bundled = new Map(); // package directory → name@version

for (const name of names) {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      outDir: join(root, 'dist/vendor'),
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      sourcemap: false,
      write: true,
      lib: { entry: join(root, 'src/vendor', `${name}.ts`), formats: ['es'], fileName: () => `${name}.js` },
      rollupOptions: { external: (id) => id.startsWith('node:') || builtin.has(id) },
    },
    // Node's resolution (the "node" and "import" conditions), not a browser's
    resolve: { conditions: ['node', 'import', 'default'], mainFields: ['module', 'main'] },
  });
  // tsc's source map described the re-export this bundle replaces
  rmSync(join(root, 'dist/vendor', `${name}.js.map`), { force: true });
  for (const output of [out].flat()) {
    for (const chunk of output.output) {
      for (const id of Object.keys(chunk.modules ?? {})) {
        const dir = packageDir(id);
        if (dir && !bundled.has(dir)) {
          const { name: pkg, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          bundled.set(dir, `${pkg}@${version}`);
        }
      }
    }
  }
}

/** The package directory (node_modules/<name> or node_modules/@scope/<name>) that holds a module. */
function packageDir(id) {
  const file = id.replace(/^\0/, '').split('?')[0];
  const at = file.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) return undefined;
  const rest = file.slice(at + 14).split(sep);
  return file.slice(0, at + 14) + (rest[0].startsWith('@') ? join(rest[0], rest[1]) : rest[0]);
}

const licences = [...bundled].sort((a, b) => a[1].localeCompare(b[1])).map(([dir, id]) => {
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${id}: no licence file in ${dir}`);
  return `${id}\n${'='.repeat(id.length)}\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
});
writeFileSync(join(root, 'dist/vendor/LICENSES.txt'), `The third-party code bundled in dist/vendor, and its licences.\n\n${licences.join('\n')}`);
console.log(`vendor: ${names.join(', ')} bundled (${[...bundled.values()].join(', ')})`);
