/**
 * `backprop playground`: serves the built playground (dist-web/, made by `npm run build:web`) on
 * localhost and prints its address. The site is static, so this is a small file server: GET and
 * HEAD only, no directory listings, nothing outside the site's directory. Every response carries
 * the cross-origin isolation headers (COOP/COEP), so that the page has SharedArrayBuffer and the
 * WebAssembly kernels train with threads. Text, scripts and wasm go out compressed (brotli or gzip,
 * as the browser accepts), since the page's scripts carry the library and its WebAssembly.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
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

/** Types worth compressing: everything but images that are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.wasm', '.map', '.txt']);

/**
 * The encoding to send `body` in, from the request's Accept-Encoding (brotli first: smaller), with
 * the compressed bytes cached per file and modification time (the site does not change while served).
 */
const compressed = new Map<string, { mtime: number; br?: Buffer; gzip?: Buffer }>();
function encode(file: string, mtime: number, body: Buffer, accept: string): { encoding: 'br' | 'gzip' | null; bytes: Buffer } {
  if (!COMPRESSIBLE.has(extname(file).toLowerCase()) || body.length < 512) return { encoding: null, bytes: body };
  const accepts = (name: string): boolean => accept.split(',').some((part) => {
    const [token, ...params] = part.trim().split(';');
    return token?.trim().toLowerCase() === name && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
  const encoding = accepts('br') ? 'br' : accepts('gzip') ? 'gzip' : null;
  if (!encoding) return { encoding: null, bytes: body };
  let entry = compressed.get(file);
  if (!entry || entry.mtime !== mtime) compressed.set(file, (entry = { mtime }));
  const bytes = (entry[encoding] ??=
    encoding === 'br' ? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }) : gzipSync(body, { level: 9 }));
  return { encoding, bytes };
}

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
        let info = await stat(file);
        if (info.isDirectory()) {
          file = join(file, 'index.html');
          info = await stat(file);
        }
        const { encoding, bytes } = encode(file, info.mtimeMs, await readFile(file), String(req.headers['accept-encoding'] ?? ''));
        res.writeHead(200, {
          'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': bytes.length,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          vary: 'accept-encoding',
          ...(encoding ? { 'content-encoding': encoding } : {}),
          ...ISOLATION_HEADERS,
        });
        res.end(req.method === 'HEAD' ? undefined : bytes);
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
