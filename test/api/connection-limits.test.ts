// Slow and many connections cannot hold the server: request timeouts and the connection cap, on a
// real listener.
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { makeGateFixture, type GateFixture } from '../support/gate-fixture.js';

let f: GateFixture;
let port: number;
let close: () => Promise<void>;

async function serve(limits: Parameters<typeof buildApp>[0]['connectionLimits']) {
  const app = buildApp({ ramkey: f.ramkey, connectionLimits: limits });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  port = address.port;
  close = () => app.close();
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * What the server sent before it ended the connection. Without the limit under test the server would
 * hold the connection for a minute or more, and the test would time out.
 */
function closed(socket: Socket): Promise<{ received: string }> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) =>
    socket.once('close', () => {
      resolve({ received });
    }),
  );
}

function health(socket: Socket): Promise<string> {
  const answer = new Promise<string>((resolve) =>
    socket.once('data', (c: Buffer) => {
      resolve(c.toString('latin1'));
    }),
  );
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  return answer;
}

beforeEach(async () => {
  f = await makeGateFixture();
});
afterEach(async () => {
  await close();
  await f.close();
});

describe('connection limits', () => {
  it('ends a request whose body trickles in slower than the request timeout', async () => {
    await serve({ requestTimeoutMs: 300, headersTimeoutMs: 200 });
    const socket = await open();
    const ended = closed(socket);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n');
    socket.write('Content-Length: 1000\r\n\r\nA');
    const timer = setInterval(() => socket.write('B'), 100);
    const { received } = await ended;
    clearInterval(timer);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('ends a connection that never finishes its headers', async () => {
    await serve({ requestTimeoutMs: 1000, headersTimeoutMs: 200 });
    const socket = await open();
    const ended = closed(socket);
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const { received } = await ended;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes connections beyond the cap at once, and serves the ones within it', async () => {
    await serve({ maxConnections: 2 });
    const held = [await open(), await open()];
    // Both are served (and so counted by the server) before a third one tries.
    for (const socket of held) expect(await health(socket)).toMatch(/^HTTP\/1\.1 200/);
    const { received } = await closed(await open());
    expect(received).toBe('');
    expect(await health(held[0] as Socket)).toMatch(/^HTTP\/1\.1 200/);
    for (const s of held) s.destroy();
  });
});
