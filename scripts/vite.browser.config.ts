import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * dist/backprop.browser.js: the core entry (dist/index.js, built by tsc first) as one ES module with
 * no imports, the WebAssembly kernels embedded, for a <script type="module"> or a CDN without a
 * bundler. The core has no runtime dependency, so nothing else is bundled in.
 */
export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: false,
    target: 'es2022',
    // names and syntax (Vite keeps the whitespace of ES libraries); the kernels are base64 text
    minify: true,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
      formats: ['es'],
      fileName: () => 'backprop.browser.js',
    },
  },
});
