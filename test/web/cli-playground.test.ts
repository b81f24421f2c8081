/** `backprop playground`'s server: serves the built site on localhost, nothing else. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playground, playgroundRoot, type PlaygroundServer } from '../../src/cli/playground.js';
import { OptionError } from '../../src/errors.js';

function get(
  url: string,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | undefined; body: string; raw: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: raw.toString('utf8'), raw, headers: res.headers });
      });
    });
    req.on('error', fail);
    req.end();
  });
}

/** A script large enough to be worth compressing (the real bundle carries ~100 KB of library and wasm). */
const BIG_JS = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i} * Math.PI; // line ${i}`).join('\n');

describe('backprop playground (server)', () => {
  let dir: string;
  let srv: PlaygroundServer;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backprop-site-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>site</title>');
    await writeFile(join(dir, 'assets', 'a.js'), 'export {};');
    await writeFile(join(dir, 'assets', 'big.js'), BIG_JS);
    await writeFile(join(dir, '..', 'secret-backprop-test.txt'), 'no').catch(() => undefined);
    srv = await playground({ port: 0, root: dir }, { result: (l) => lines.push(l), info: () => undefined });
  });
  afterAll(async () => {
    await srv?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(join(dir, '..', 'secret-backprop-test.txt'), { force: true });
  });

  it('prints its localhost address and serves the site with the right types', async () => {
    expect(lines).toEqual([srv.url]);
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await get(srv.url, '/');
    expect(index.status).toBe(200);
    expect(index.type).toContain('text/html');
    expect(index.body).toContain('<title>site</title>');
    const js = await get(srv.url, '/assets/a.js');
    expect(js.type).toContain('text/javascript');
    // cross-origin isolated (SharedArrayBuffer: the wasm kernels' threads), the page and its scripts alike
    for (const r of [index, js]) {
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    }
    expect((await get(srv.url, '/nothing.js')).status).toBe(404);
    expect((await get(srv.url, '/', 'HEAD')).status).toBe(200);
    expect((await get(srv.url, '/', 'POST')).status).toBe(405);
  });

  it('sends scripts compressed, as the browser accepts (brotli first, then gzip), and plain otherwise', async () => {
    const br = await get(srv.url, '/assets/big.js', 'GET', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toBe('accept-encoding');
    expect(Number(br.headers['content-length'])).toBe(br.raw.length);
    expect(br.raw.length).toBeLessThan(BIG_JS.length / 3);
    expect(brotliDecompressSync(br.raw).toString('utf8')).toBe(BIG_JS);
    const gz = await get(srv.url, '/assets/big.js', 'GET', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.raw).toString('utf8')).toBe(BIG_JS);
    // br refused with q=0: gzip
    expect((await get(srv.url, '/assets/big.js', 'GET', { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');
    const plain = await get(srv.url, '/assets/big.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(BIG_JS);
    // still cross-origin isolated when compressed
    expect(br.headers['cross-origin-embedder-policy']).toBe('require-corp');
  });

  it('never serves files outside the site', async () => {
    const r = await get(srv.url, '/%2e%2e/secret-backprop-test.txt');
    expect([403, 404]).toContain(r.status);
    expect(r.body).not.toBe('no');
  });

  it('says how to build the site when it is missing', async () => {
    await expect(playground({ port: 0, root: join(dir, 'missing') }, { result: () => undefined, info: () => undefined })).rejects.toThrow(OptionError);
    await expect(playground({ port: 0, root: join(dir, 'missing') }, { result: () => undefined, info: () => undefined })).rejects.toThrow(/npm run build:web/);
    expect(playgroundRoot().replace(/\\/g, '/')).toMatch(/\/dist-web\/$/);
  });
});
