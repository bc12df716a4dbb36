// nginx from the distribution (Debian's package; `.ci/run` installs it) as a real gateway in tests,
// run as a child process with its own prefix directory and the configuration the README gives.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The configuration the README documents: Ramkey at 127.0.0.1:8080, the API at :3000, nginx on :8000. */
export const EXAMPLE_CONFIG = new URL('../../examples/nginx/ramkey-gateway.conf', import.meta.url);

/** Whether `nginx` can run here; the suites that need it fail under CI=true when it cannot. */
export function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
}

export interface RunningNginx {
  /** `127.0.0.1:PORT`, where clients call. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, for a server that binds it right after. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/**
 * Starts nginx with the README's configuration, its addresses pointed at this test's Ramkey and API,
 * listening on 127.0.0.1 only (tests bind clients to 127.0.0.2 and .3 to be two sources).
 */
export async function startNginx(ports: { ramkey: number; api: number }): Promise<RunningNginx> {
  const example = await readFile(EXAMPLE_CONFIG, 'utf8');
  return runNginx((port) => {
    const site = example
      .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${String(ports.ramkey)};`)
      .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${String(ports.api)};`)
      .replace('listen 8000;', `listen ${String(port)};`);
    if (site === example) throw new Error('the example configuration no longer has the expected addresses');
    return site;
  });
}

/**
 * Starts nginx as a plain load balancer: a round-robin `upstream` of Ramkey nodes on 127.0.0.1 (nginx's
 * defaults: a node that refuses connections is passed over and the request goes to the next one),
 * keeping the client's Host header, which V3 signatures sign.
 */
export function startLoadBalancer(nodePorts: readonly number[]): Promise<RunningNginx> {
  return runNginx((port) =>
    [
      'upstream ramkey_nodes {',
      ...nodePorts.map((p) => `    server 127.0.0.1:${String(p)};`),
      '}',
      'server {',
      `    listen 127.0.0.1:${String(port)};`,
      '    location / {',
      '        proxy_pass http://ramkey_nodes;',
      '        proxy_set_header Host $http_host;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '    }',
      '}',
      '',
    ].join('\n'),
  );
}

/** Runs nginx in a prefix directory of its own with `site(port)` as its only site, on a free port. */
async function runNginx(site: (port: number) => string): Promise<RunningNginx> {
  const port = await freePort();
  const siteConfig = site(port);
  const prefix = await mkdtemp(join(tmpdir(), 'ramkey-nginx-'));
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  const tmp = join(prefix, 'tmp');
  await writeFile(join(prefix, 'site.conf'), siteConfig);
  await writeFile(
    join(prefix, 'nginx.conf'),
    [
      // Workers run as root only when the tests do (nginx drops to nobody otherwise, and nobody
      // could not write the prefix); ignored by a non-root nginx.
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 512; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${tmp}/body;`,
      `  proxy_temp_path ${tmp}/proxy;`,
      `  fastcgi_temp_path ${tmp}/fastcgi;`,
      `  uwsgi_temp_path ${tmp}/uwsgi;`,
      `  scgi_temp_path ${tmp}/scgi;`,
      `  include ${join(prefix, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'nginx',
    ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  // Should the test process end without stop() (a crash, a timeout), nginx must not outlive it. Never
  // SIGKILL: that ends the master alone and leaves its workers behind.
  const onExit = () => {
    child.kill('SIGTERM');
  };
  process.once('exit', onExit);
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await accepts(port)) {
      return {
        endpoint: `127.0.0.1:${String(port)}`,
        port,
        async stop() {
          process.off('exit', onExit);
          child.kill('SIGQUIT');
          await exited;
          await rm(prefix, { recursive: true, force: true });
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.off('exit', onExit);
  child.kill('SIGTERM');
  await exited;
  const log = await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
  await rm(prefix, { recursive: true, force: true });
  throw new Error(`nginx did not start: ${stderr}${log}`);
}
