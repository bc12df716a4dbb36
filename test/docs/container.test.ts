// The Dockerfile and the compose example (examples/compose/), checked without Docker: the image's
// shape (Node 20 slim, non-root, /data a volume), its health check run against a real server, the
// compose file's services and settings against the code that reads them, and its nginx configuration
// run by Debian's nginx in front of a real Ramkey, signed SDK calls passing through.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nginxAvailable } from '../support/nginx.js';
import { startServer, type RunningServer } from '../support/ramkey-server.js';
import { clients, RamModule, type Key } from '../support/sdk.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const composeDir = join(root, 'examples', 'compose');

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  networks?: Record<string, { ipv4_address?: string }> | string[];
}

interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { ipam: { config: { subnet: string }[] } }>;
  volumes: Record<string, unknown>;
}

const compose = parse(readFileSync(join(composeDir, 'compose.yaml'), 'utf8'), { merge: true }) as Compose;
const dockerfile = read('Dockerfile');
const nginxConf = readFileSync(join(composeDir, 'nginx.conf'), 'utf8');
const NODES = ['ramkey-a', 'ramkey-b'];

/** Values of one instruction of the Dockerfile (continuation lines joined). */
function instructions(name: string): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1).trim());
}

/** The TypeScript files of src/ (not the tests). */
function sourceFiles(dir = join(root, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every RAMKEY_ variable src/ names: `process.env.RAMKEY_X`, or a 'RAMKEY_X' literal it looks up. */
function variablesReadBySrc(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles()) {
    for (const match of readFileSync(file, 'utf8').matchAll(
      /process\.env\.(RAMKEY_\w+)|['"`](RAMKEY_\w+)['"`]/g,
    )) {
      names.add(match[1] ?? match[2] ?? '');
    }
  }
  return names;
}

function nodeEnvironment(name: string): Record<string, string> {
  return compose.services[name]?.environment ?? {};
}

describe('the Dockerfile', () => {
  it('builds on node:20-slim in two stages and keeps the build tools out of the runtime', () => {
    const froms = instructions('FROM');
    expect(froms).toEqual(['node:20-slim AS build', 'node:20-slim']);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).not.toMatch(/apt-get install|npm ci/);
    expect(dockerfile).toContain('npm prune --omit=dev');
    // What the build copies exists, and .dockerignore does not leave it out.
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const copy of instructions('COPY').filter((c) => !c.startsWith('--from'))) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(root, source)), source).toBe(true);
        expect(ignored, source).not.toContain(source);
      }
    }
    expect(ignored).toEqual(
      expect.arrayContaining(['.git', 'node_modules', 'dist', 'ramkey-data', '*.db', '*.key', '.env']),
    );
  });

  it('runs the package’s command as a non-root user, with the data directory a volume of its own', () => {
    const users = instructions('USER');
    expect(users).toHaveLength(1);
    expect(users[0]).toBe('node');
    expect(dockerfile).toContain('chown node:node /data && chmod 700 /data');
    expect(instructions('VOLUME')).toEqual(['/data']);
    expect(instructions('ENV').join(' ')).toMatch(/RAMKEY_DATA=\/data\b/);
    const bin = (JSON.parse(read('package.json')) as { bin: { ramkey: string } }).bin.ramkey;
    expect(JSON.parse(instructions('ENTRYPOINT')[0] ?? '[]')).toEqual(['node', `/app/${bin}`]);
    const port = /RAMKEY_PORT=(\d+)/.exec(instructions('ENV').join(' '))?.[1];
    expect(instructions('EXPOSE')).toEqual([port]);
    // Behind a TLS proxy: plain HTTP on 0.0.0.0 only because the command line says so.
    expect(JSON.parse(instructions('CMD')[0] ?? '[]')).toEqual(['start', '--insecure-http']);
  });

  describe('its health check', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(async () => {
      await server.stop();
    });

    /** The HEALTHCHECK command, run here as Docker runs it in the container. */
    function healthCheck(port: number): number | null {
      const command = JSON.parse(
        /CMD (\[.*\])$/.exec(instructions('HEALTHCHECK')[0] ?? '')?.[1] ?? '[]',
      ) as string[];
      expect(command[0]).toBe('node');
      return spawnSync(process.execPath, command.slice(1), {
        env: { ...process.env, RAMKEY_PORT: String(port) },
        timeout: 10_000,
      }).status;
    }

    it('passes against a serving Ramkey (its /healthz) and fails where none answers', () => {
      expect(instructions('HEALTHCHECK')[0]).toContain("'/healthz'");
      expect(healthCheck(server.port)).toBe(0);
      expect(healthCheck(1)).toBe(1);
    });
  });
});

describe('the compose example', () => {
  it('runs PostgreSQL, Redis, two Ramkey nodes of this repository’s image, and nginx', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'nginx',
      'postgres',
      'ramkey-a',
      'ramkey-b',
      'redis',
    ]);
    for (const name of NODES) {
      const node = compose.services[name] as Service;
      expect(existsSync(join(composeDir, node.build?.context ?? '-', 'Dockerfile')), name).toBe(true);
      expect(node.command?.at(-1)).toBe('--insecure-http');
    }
    // One node creates the installation on its first start; the other serves once it is healthy.
    expect(compose.services['ramkey-a']?.command?.[0]).toBe('start');
    expect(compose.services['ramkey-b']?.command?.[0]).toBe('serve');
    expect(compose.services['ramkey-b']?.depends_on).toEqual({
      'ramkey-a': { condition: 'service_healthy' },
    });
    for (const volume of ['postgres-data', 'redis-data']) expect(compose.volumes).toHaveProperty(volume);
  });

  it('gives both nodes one installation: the same PostgreSQL, Redis and master key', () => {
    const a = nodeEnvironment('ramkey-a');
    expect(nodeEnvironment('ramkey-b')).toEqual(a);
    const postgres = compose.services.postgres?.environment ?? {};
    const database = new URL((a.RAMKEY_DATABASE_URL ?? '').replace('${POSTGRES_PASSWORD:-ramkey}', 'x'));
    expect(database.hostname).toBe('postgres');
    expect(database.username).toBe(postgres.POSTGRES_USER);
    expect(database.pathname).toBe(`/${postgres.POSTGRES_DB ?? ''}`);
    expect(postgres.POSTGRES_PASSWORD).toBe('${POSTGRES_PASSWORD:-ramkey}');
    expect(new URL(a.RAMKEY_REDIS_URL ?? '').hostname).toBe('redis');
    expect(a.RAMKEY_MASTER_KEY).toMatch(/^\$\{RAMKEY_MASTER_KEY:\?.+\}$/);
  });

  it('sets only RAMKEY_ variables that Ramkey reads', () => {
    const known = variablesReadBySrc();
    const set = new Set([
      ...NODES.flatMap((name) => Object.keys(nodeEnvironment(name))),
      ...Array.from(dockerfile.matchAll(/\b(RAMKEY_\w+)/g), (m) => m[1] ?? ''),
    ]);
    expect([...set].filter((name) => !known.has(name))).toEqual([]);
    expect(set.size).toBeGreaterThan(6);
  });

  it('puts nginx before both nodes, on the host’s loopback only, and trusts its forwarded addresses alone', () => {
    const nginx = compose.services.nginx as Service;
    expect(nginx.volumes).toEqual(['./nginx.conf:/etc/nginx/nginx.conf:ro']);
    expect(nginx.ports).toEqual(['127.0.0.1:8080:80']);
    const port = /RAMKEY_PORT=(\d+)/.exec(instructions('ENV').join(' '))?.[1] ?? '';
    const upstream = [...nginxConf.matchAll(/^\s*server (\S+?)(?: [^;]*)?;$/gm)].map((m) => m[1]);
    expect(upstream).toEqual(NODES.map((name) => `${name}:${port}`));
    const address = (nginx.networks as Record<string, { ipv4_address?: string }>).ramkey?.ipv4_address;
    expect(nodeEnvironment('ramkey-a').RAMKEY_TRUST_PROXY).toBe(address);
    const subnet = compose.networks.ramkey?.ipam.config[0]?.subnet ?? '';
    expect(address?.startsWith(subnet.replace(/\.0\/24$/, '.'))).toBe(true);
  });
});

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
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

describe.runIf(nginxAvailable() || process.env.CI)('the compose example’s nginx configuration', () => {
  let server: RunningServer;
  let prefix: string;
  let port: number;
  let nginx: ChildProcess | undefined;

  beforeAll(async () => {
    server = await startServer();
    prefix = await mkdtemp(join(tmpdir(), 'ramkey-compose-nginx-'));
    await mkdir(join(prefix, 'tmp'));
    port = await freePort();
    // The compose file's configuration with the nodes' names (both: the one server here) and the
    // port replaced, and this run's files in its own directory.
    const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((kind) => `    ${kind}_temp_path ${join(prefix, 'tmp', kind)};`)
      .join('\n');
    const conf = nginxConf
      .replace(/server ramkey-[ab]:8080/g, `server 127.0.0.1:${String(server.port)}`)
      .replace('listen 80;', `listen 127.0.0.1:${String(port)};`)
      .replace('http {', `http {\n${temps}`);
    expect(conf).not.toMatch(/ramkey-[ab]|listen 80;/);
    await writeFile(join(prefix, 'nginx.conf'), conf);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await server.stop();
    await rm(prefix, { recursive: true, force: true });
  });

  const globals = () =>
    [
      process.getuid?.() === 0 ? 'user root;' : '',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
    ].join(' ');
  const args = () => ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')];

  it('passes nginx -t', () => {
    const test = spawnSync('nginx', [...args(), '-g', globals(), '-t'], { encoding: 'utf8' });
    expect(test.status, test.stderr).toBe(0);
    expect(test.stderr).toContain('test is successful');
  });

  it('passes signed SDK calls through to Ramkey, V3 (which signs the Host header) and V1', async () => {
    nginx = spawn('nginx', [...args(), '-g', `${globals()} daemon off;`], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 50));
    const admin: Key = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
    const endpoint = `127.0.0.1:${String(port)}`;
    for (const signature of ['v3', 'v2'] as const) {
      const { ram, sts } = clients(endpoint, admin, signature);
      expect((await sts.getCallerIdentity()).body?.accountId).toBe(server.admin.accountId);
      const made = await ram.createUser(
        new RamModule.CreateUserRequest({ userName: `via-nginx-${signature}` }),
      );
      expect(made.body?.user?.userName).toBe(`via-nginx-${signature}`);
    }
    const log = await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
    expect(log).not.toMatch(/\[(error|crit|alert|emerg)\]/);
  });
});
