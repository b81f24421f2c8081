import type { LibraryName } from '../protocol.js';
import type { CreateTrainer } from './types.js';

/**
 * The runner of a JavaScript library, imported on demand so that a child process loads only its
 * own library: its peak RSS is then that library's (plus the data set's), not everyone's.
 */
export async function trainerFactory(library: Exclude<LibraryName, 'pytorch'>): Promise<CreateTrainer> {
  switch (library) {
    case 'backprop':
      return (await import('./backprop.js')).createBackpropTrainer;
    case 'tfjs-cpu':
    case 'tfjs-wasm':
      return (await import('./tfjs.js')).createTfjsTrainer;
    case 'jax-js':
      return (await import('./jax.js')).createJaxTrainer;
    case 'onnxruntime':
      return (await import('./onnx.js')).createOnnxTrainer;
  }
}
