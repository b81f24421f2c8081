/**
 * `backprop playground`: serves the built playground (dist-web/, made by `npm run build:web`) on
 * localhost and prints its address. The site is static, so this is a small file server: GET and
 * HEAD only, no directory listings, nothing outside the site's directory. Every response carries
 * the cross-origin isolation headers (COOP/COEP), so that the page has SharedArrayBuffer and the
 * WebAssembly kernels train with threads.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OptionError } from '../errors.js';
import type { Output } from './output.js';

export interface PlaygroundFlags {
  /** Port on 127.0.0.1 (default 4173; 0 picks a free one). */
  port?: number;
  /** Open the page in the default browser. */
  open?: boolean;
  /** The built site (default: dist-web/ of this package). */
  root?: string;
}

export interface PlaygroundServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export const DEFAULT_PLAYGROUND_PORT = 4173;

/** dist-web/ of the package: two levels up from src/cli/ and from dist/cli/ alike. */
export function playgroundRoot(): string {
  return fileURLToPath(new URL('../../dist-web/', import.meta.url));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Cross-origin isolation: `crossOriginIsolated` becomes true, so SharedArrayBuffer (wasm threads) exists. */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;

function handler(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        res.writeHead(400).end('bad request');
        return;
      }
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      try {
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
        const body = await readFile(file);
        res.writeHead(200, {
          'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': body.length,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          ...ISOLATION_HEADERS,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      }
    })();
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      fail(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const a = server.address();
      ok(typeof a === 'object' && a ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser to open: the address is printed anyway
  }
}

/**
 * Starts the server and prints the address (to stdout); it runs until `close()` is called. With
 * the default port taken, a free port is used instead.
 */
export async function playground(flags: PlaygroundFlags, io: Output): Promise<PlaygroundServer> {
  const root = resolve(flags.root ?? playgroundRoot());
  if (!existsSync(join(root, 'index.html'))) {
    throw new OptionError(`the playground is not built: ${join(root, 'index.html')} is missing; run \`npm run build:web\` first`);
  }
  const port = flags.port ?? DEFAULT_PLAYGROUND_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionError(`--port must be an integer 0..65535, got ${port}`);
  const server = createServer(handler(root));
  let actual: number;
  try {
    actual = await listen(server, port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' || flags.port !== undefined) {
      throw new OptionError(`cannot serve the playground on 127.0.0.1:${port}: ${code === 'EADDRINUSE' ? 'the port is in use (try --port 0)' : (e as Error).message}`);
    }
    actual = await listen(server, 0);
  }
  const url = `http://127.0.0.1:${actual}/`;
  io.result(url);
  io.info(`backprop playground: serving ${root} at ${url} (Ctrl-C or SIGTERM stops it)`);
  if (flags.open) openBrowser(url);
  return { url, server, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/** How often the command looks whether the process that started it is still there. */
const PARENT_POLL_MS = 500;

/**
 * `backprop playground`: serves until SIGINT or SIGTERM, or until the process that started it
 * ends. The last one matters under `npx backprop playground`: a SIGTERM to npx ends npx without
 * passing the signal on, and this process, adopted by another parent, would serve forever.
 */
export async function playgroundCommand(flags: PlaygroundFlags, io: Output): Promise<number> {
  const served = await playground(flags, io);
  const parent = process.ppid;
  await new Promise<void>((stop) => {
    const watch = setInterval(() => process.ppid !== parent && done('the process that started it ended'), PARENT_POLL_MS);
    const onSignal = (signal: NodeJS.Signals): void => done(signal);
    function done(why: string): void {
      clearInterval(watch);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.info(`backprop playground: stopping (${why})`);
      stop();
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  served.server.closeAllConnections();
  await served.close();
  return 0;
}
