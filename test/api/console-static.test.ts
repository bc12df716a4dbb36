// The console's files at /console: the built page for every console route (the page routes itself),
// hashed assets cached for good, a strict Content-Security-Policy, and a clear answer when the
// console was not built.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/in-process-server.js';

describe('console static files', () => {
  let dir: string;
  let server: RunningApp;
  let unbuilt: RunningApp;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ramkey-console-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Ramkey</title><div id="root"></div>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log("hi")');
    server = await startApp({ consoleDir: dir });
    unbuilt = await startApp({ consoleDir: join(dir, 'missing') });
  });

  afterAll(async () => {
    await server.stop();
    await unbuilt.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (app: RunningApp, path: string) => fetch(`http://${app.endpoint}${path}`);

  it('serves the page at /console and at every route below it, under a strict CSP', async () => {
    for (const path of ['/console', '/console/', '/console/users/alice', '/console/audit?user=x']) {
      const response = await get(server, path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toContain('<div id="root">');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets for good and refuses missing ones', async () => {
    const asset = await get(server, '/console/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("hi")');
    expect((await get(server, '/console/assets/missing.js')).status).toBe(404);
    expect((await get(server, '/console/assets/../../master.key')).status).toBe(404);
  });

  it('answers unknown console API paths with the error envelope', async () => {
    const response = await get(server, '/console/api/nothing');
    expect(response.status).toBe(404);
    expect(((await response.json()) as { Code: string }).Code).toBe('InvalidAction.NotFound');
  });

  it('says how to build the console when it is missing', async () => {
    const response = await get(unbuilt, '/console');
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build');
  });
});
