// Types of binary.js, which scripts/build-wasm.mjs generates from assembly/kernels.ts (it is not
// committed; run `npm run build:wasm` or `npm run build`).

/** The kernel module importing a shared WebAssembly.Memory (threads), base64. */
export declare const SHARED: string;
/** The same kernels importing an ordinary (non-shared) memory, base64. */
export declare const PLAIN: string;
/** SHARED built with relaxed SIMD: the products' multiply-adds are f32x4.relaxed_madd (FMA). */
export declare const SHARED_FMA: string;
/** PLAIN built with relaxed SIMD. */
export declare const PLAIN_FMA: string;
