/** The kernel check in a module Web Worker (where the playground trains): one message in, one report out. */
import { runCheck, type CheckOptions } from './kernels-check.js';

self.onmessage = (ev: MessageEvent<{ id: number; options: CheckOptions }>) => {
  const { id, options } = ev.data;
  runCheck(options, 'worker').then(
    (report) => self.postMessage({ id, report }),
    (e: unknown) => self.postMessage({ id, error: e instanceof Error ? e.message : String(e) }),
  );
};
