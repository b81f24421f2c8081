/**
 * kernels.html: which kernels this browser gets (wasm with threads needs a cross-origin-isolated
 * page), checked by running them. The query string picks the options: `?backend=wasm&threads=2`,
 * `&where=main` to run on the page's thread instead of a worker, `&bench=3000` to also measure
 * training speed for about 3 s. `window.__kernels.check(options, where)` runs further checks (tests).
 */
import type { Backend } from '../../src/kernels/index.js';
import { environment, runCheck, type CheckOptions, type CheckReport } from './kernels-check.js';

type Where = 'worker' | 'main';

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { ok: (r: CheckReport) => void; fail: (e: Error) => void }>();

function inWorker(options: CheckOptions): Promise<CheckReport> {
  if (!worker) {
    worker = new Worker(new URL('./kernels-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (ev: MessageEvent<{ id: number; report?: CheckReport; error?: string }>) => {
      const w = waiting.get(ev.data.id);
      waiting.delete(ev.data.id);
      if (ev.data.report) w?.ok(ev.data.report);
      else w?.fail(new Error(ev.data.error ?? 'the kernel check failed'));
    };
    worker.onerror = (e) => {
      for (const w of waiting.values()) w.fail(new Error(`kernel check worker failed: ${e.message}`));
      waiting.clear();
    };
  }
  const id = ++nextId;
  return new Promise((ok, fail) => {
    waiting.set(id, { ok, fail });
    worker!.postMessage({ id, options });
  });
}

function check(options: CheckOptions, where: Where = 'worker'): Promise<CheckReport> {
  return where === 'main' ? runCheck(options, 'main') : inWorker(options);
}

declare global {
  interface Window {
    __kernels: {
      check: typeof check;
      environment: ReturnType<typeof environment>;
      /** the report of the check run on load (null until it is done) */
      report: CheckReport | null;
      error: string | null;
    };
  }
}

const q = new URLSearchParams(location.search);
const threadsParam = q.get('threads') ?? 'auto';
const options: CheckOptions = {
  backend: (q.get('backend') ?? 'auto') as Backend,
  threads: threadsParam === 'auto' ? 'auto' : Number(threadsParam),
};
if (q.has('bench')) options.benchMs = Number(q.get('bench')) || 3000;
const where: Where = q.get('where') === 'main' ? 'main' : 'worker';

window.__kernels = { check, environment: environment('main'), report: null, error: null };

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const env = window.__kernels.environment;
$('isolated').textContent = env.crossOriginIsolated ? 'yes' : 'no (the server does not send COOP/COEP: no SharedArrayBuffer, so no threads)';
$('cores').textContent = String(env.hardwareConcurrency);
$('simd').textContent = env.wasmSimd ? 'yes' : 'no (the JavaScript kernels are used)';
$('status').textContent = `checking (${where === 'main' ? 'main thread' : 'worker'})…`;

check(options, where).then(
  (r) => {
    window.__kernels.report = r;
    $('status').textContent = `${r.backend}${r.backend === 'wasm' ? ` · ${r.threads} thread${r.threads === 1 ? '' : 's'} · ${r.shared ? 'shared' : 'ordinary'} memory` : ''}`;
    $('status').dataset['backend'] = r.backend;
    $('status').dataset['threads'] = String(r.threads);
    const lines = [
      `kernels created in ${r.createMs.toFixed(1)} ms (${r.where})`,
      `training losses: ${r.losses.map((l) => l.toFixed(5)).join(', ')} (${r.trainMs.toFixed(0)} ms)`,
    ];
    if (r.bench) lines.push(`784-256-128-10, Adam, batch 128: ${Math.round(r.bench.samplesPerSecond)} samples/s`);
    $('details').textContent = lines.join('\n');
  },
  (e: unknown) => {
    window.__kernels.error = e instanceof Error ? e.message : String(e);
    $('status').textContent = `failed: ${window.__kernels.error}`;
  },
);
