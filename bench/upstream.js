// The API behind the gateway in bench/forward-auth.js: answers every request with a small JSON body.
import { createServer } from 'node:http';
import process from 'node:process';

if (!process.send) throw new Error('bench/upstream.js is meant to be forked (it needs an IPC channel)');
process.on('disconnect', () => process.exit(0));
const body = JSON.stringify({ OrderId: 'o-1', Status: 'Paid' });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});
