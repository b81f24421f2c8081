// Types of binary.js, which scripts/build-wasm.mjs generates from assembly/kernels.ts (it is not
// committed; run `npm run build:wasm` or `npm run build`).

/** The kernel module importing a shared WebAssembly.Memory (threads), base64. */
export declare const SHARED: string;
/** The same kernels importing an ordinary (non-shared) memory, base64. */
export declare const PLAIN: string;
