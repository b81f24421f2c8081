/** `backprop playground`'s server: serves the built site on localhost, nothing else. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playground, playgroundRoot, type PlaygroundServer } from '../../src/cli/playground.js';
import { OptionError } from '../../src/errors.js';

function get(url: string, path: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('backprop playground (server)', () => {
  let dir: string;
  let srv: PlaygroundServer;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backprop-site-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>site</title>');
    await writeFile(join(dir, 'assets', 'a.js'), 'export {};');
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
