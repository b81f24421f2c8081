import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The playground is a static site: relative paths (base './') so that it works from any static host
// or a sub-directory, and from `backprop playground`. The library is imported from ../src directly.
const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Cross-origin isolation: with these two headers `crossOriginIsolated` is true, SharedArrayBuffer
 * exists, and the WebAssembly kernels train with threads on a shared memory. Without them the page
 * still works (wasm on one thread). Static hosts need the same two headers (see README.md).
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        // which kernels this browser gets, checked by running them (also the browser tests' page)
        kernels: fileURLToPath(new URL('kernels.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  server: { headers: ISOLATION_HEADERS, fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { headers: ISOLATION_HEADERS },
});
