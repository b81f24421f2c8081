import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The playground is a static site: relative paths (base './') so that it works from any static host
// or a sub-directory, and from `backprop playground`. The library is imported from ../src directly.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
  worker: { format: 'es' },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
