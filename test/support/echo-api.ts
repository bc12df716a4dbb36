// A tiny upstream API for gateway tests: it trusts the gateway's X-Ramkey-* headers, checks the body
// against the signed hash with the verification client's verifyBody as the README tells upstreams
// to, and answers with what it saw.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { verifyBody } from '../../src/client/index.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EchoApi {
  port: number;
  /** Every request that reached the API, in order. */
  seen: SeenRequest[];
  stop(): Promise<void>;
}

export async function startEchoApi(): Promise<EchoApi> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: body.toString(),
      });
      const declared = String(req.headers['x-ramkey-content-sha256'] ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.headers['x-ramkey-body-verified'] !== 'true' && !verifyBody(body, declared)) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            Code: 'InvalidParameter.Body.Mismatch',
            Message: 'The body is not the signed one.',
          }),
        );
        return;
      }
      const identity = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => name.startsWith('x-ramkey-')),
      );
      res.end(
        JSON.stringify({ Method: req.method, Path: req.url, Identity: identity, Body: body.toString() }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    seen,
    stop: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}
